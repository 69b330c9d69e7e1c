import { describe, expect, it, vi } from "vitest";
import type { JobView } from "../../edge/api-types.ts";
import { Api, ApiFailure, TOKEN_KEY } from "../../edge/web/src/api.ts";
import { workerColor, workerHue } from "../../edge/web/src/colors.ts";
import { fitWithin, scaleRect, tileRect } from "../../edge/web/src/geometry.ts";
import { applyJobEvent, formatEta, normalizeJob } from "../../edge/web/src/job-state.ts";
import { PreviewScheduler } from "../../edge/web/src/scheduler.ts";

describe("web geometry", () => {
  it("downscales the preview so the longest side is at most 1024, never up", () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 1024, height: 768 });
    expect(fitWithin(3000, 4000)).toEqual({ width: 768, height: 1024 });
    expect(fitWithin(800, 600)).toEqual({ width: 800, height: 600 });
    expect(fitWithin(100000, 10)).toEqual({ width: 1024, height: 1 });
  });

  it("places tiles row-major and clips the last row and column", () => {
    const grid = { tileSize: 512, cols: 3, rows: 2 };
    const image = { width: 1200, height: 700 };
    expect(tileRect(0, grid, image)).toEqual({ x: 0, y: 0, width: 512, height: 512 });
    expect(tileRect(5, grid, image)).toEqual({ x: 1024, y: 512, width: 176, height: 188 });
    const a = scaleRect(tileRect(0, grid, image), 0.3);
    const b = scaleRect(tileRect(1, grid, image), 0.3);
    expect(a.x + a.width).toBe(b.x); // neighbours share an edge, no gaps
  });
});

describe("worker colours", () => {
  it("are stable per id and spread over the wheel", () => {
    expect(workerColor("worker-1")).toBe(workerColor("worker-1"));
    const hues = ["worker-1", "worker-2", "worker-3", "worker-4"].map(workerHue);
    expect(new Set(hues).size).toBe(4);
    for (const h of hues) expect(h).toBeGreaterThanOrEqual(0);
    expect(workerColor("w", 0.5)).toMatch(/^hsl\(\d+ 70% 52% \/ 0.5\)$/);
  });
});

const job = (over: Partial<JobView> = {}): JobView =>
  normalizeJob({
    id: "j1",
    status: "running",
    progress: { done: 0, total: 6 },
    stages: [
      { done: 0, total: 3 },
      { done: 0, total: 3 },
    ],
    grid: { tileSize: 512, cols: 3, rows: 1 },
    ...over,
  });

describe("job state", () => {
  it("fills live tiles in, per stage, and takes the gateway's view on job events", () => {
    let j = applyJobEvent(job(), { type: "tile", stage: 0, tile: 1, worker: "a" });
    j = applyJobEvent(j, { type: "tile", stage: 0, tile: 1, worker: "a" }); // redelivered: counted once
    j = applyJobEvent(j, { type: "tile", stage: 0, tile: 2, worker: "b" });
    expect(j.tileWorkers).toEqual({ "1": "a", "2": "b" });
    expect(j.progress).toEqual({ done: 2, total: 6 });
    j = applyJobEvent(j, { type: "tile", stage: 1, tile: 0, worker: "b" });
    expect(j.stage).toBe(1);
    expect(j.tileWorkers).toEqual({ "0": "b" });
    expect(j.progress.done).toBe(4);
    const end = applyJobEvent(j, { type: "end", job: { ...j, status: "succeeded" } });
    expect(end.status).toBe("succeeded");
  });

  it("formats the ETA", () => {
    expect(formatEta(null)).toBe("—");
    expect(formatEta(4.4)).toBe("~4 s");
    expect(formatEta(130)).toBe("~2 min 10 s");
    expect(formatEta(3900)).toBe("~1 h 5 min");
  });
});

describe("preview scheduler", () => {
  it("runs one request at a time and keeps only the newest waiting one", () => {
    const sent: string[] = [];
    const s = new PreviewScheduler((r) => sent.push(`${r.id}:${r.pipeline}`));
    const a = s.request("invert");
    s.request("sepia");
    const c = s.request("sobel"); // replaces "sepia"
    expect(sent).toEqual(["1:invert"]);
    expect(s.complete(a.id)).toEqual({ draw: true, latest: false });
    expect(sent).toEqual(["1:invert", "3:sobel"]);
    expect(s.complete(c.id)).toEqual({ draw: true, latest: true });
    expect(s.idle).toBe(true);
  });

  it("drops results computed for a previous image", () => {
    const s = new PreviewScheduler(() => {});
    const a = s.request("invert");
    s.newImage();
    const b = s.request("invert");
    expect(s.complete(a.id)).toEqual({ draw: false, latest: false });
    expect(s.complete(b.id)).toEqual({ draw: true, latest: true });
  });
});

describe("web api client", () => {
  const store = () => {
    const m = new Map<string, string>();
    return {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
    };
  };

  it("shows the API's error message and asks for a token on 401", async () => {
    const onUnauthorized = vi.fn();
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) =>
      Response.json({ error: { code: "UNAUTHORIZED", message: "a bearer token is required" } }, { status: 401 }),
    );
    const api = new Api({ base: "http://h/ui/", storage: store(), fetch, onUnauthorized });
    const err = await api.get("/v1/jobs").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiFailure);
    expect((err as ApiFailure).message).toBe("a bearer token is required");
    expect(onUnauthorized).toHaveBeenCalledOnce();
    expect(fetch.mock.calls[0]?.[0]).toBe("http://h/ui/v1/jobs");
  });

  it("sends the stored token as a header, and as access_token where headers cannot go", async () => {
    const storage = store();
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => Response.json({ jobs: [] }));
    const api = new Api({ base: "http://h/", storage, fetch });
    api.token = "s3cret";
    expect(storage.getItem(TOKEN_KEY)).toBe("s3cret");
    await api.get("/v1/jobs");
    const headers = (fetch.mock.calls[0]?.[1]?.headers ?? {}) as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer s3cret");
    expect(api.authedUrl("/v1/jobs/x/result", { format: "png" })).toBe(
      "http://h/v1/jobs/x/result?format=png&access_token=s3cret",
    );
    api.token = null;
    expect(api.authedUrl("/v1/jobs/x/events")).toBe("http://h/v1/jobs/x/events");
  });

  it("turns non-JSON failures and network errors into short messages", async () => {
    const html = new Api({
      base: "http://h/",
      fetch: async () => new Response("<html>oops</html>", { status: 502, statusText: "Bad Gateway" }),
    });
    await expect(html.get("/v1/cluster")).rejects.toThrow(/^HTTP 502 Bad Gateway$/);
    const down = new Api({
      base: "http://h/",
      fetch: async () => {
        throw new TypeError("Failed to fetch");
      },
    });
    await expect(down.get("/v1/cluster")).rejects.toThrow("Cannot reach the gateway (Failed to fetch).");
  });
});
