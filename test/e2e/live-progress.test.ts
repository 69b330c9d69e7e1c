// Live progress over a real socket: the WebSocket and the SSE stream of `tessera serve`
// deliver job and tile events up to the end of the job.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { JobEvent, JobView } from "../../edge/api-types.js";
import { PHOTO_DIR } from "../helpers/images.js";
import { type ServerProcess, startServe } from "../helpers/server.js";

let server: ServerProcess;
beforeAll(async () => {
  server = await startServe();
}, 60_000);
afterAll(() => server?.stop());

async function submit(tileSize: number): Promise<JobView> {
  const body = new FormData();
  body.set("image", new Blob([readFileSync(`${PHOTO_DIR}astronaut.png`)]), "astronaut.png");
  body.set("pipeline", "median(radius=3) | sobel");
  body.set("tileSize", String(tileSize));
  const res = await fetch(`${server.url}/v1/jobs`, { method: "POST", body });
  expect(res.status).toBe(202);
  return (await res.json()) as JobView;
}

describe("live progress", () => {
  it("streams job and tile events over a WebSocket until the job ends", async () => {
    const job = await submit(64);
    const events: JobEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace("http", "ws")}/v1/jobs/${job.id}/ws`);
      ws.on("message", (data) => events.push(JSON.parse(String(data)) as JobEvent));
      ws.on("close", () => resolve());
      ws.on("error", reject);
    });
    const end = events.at(-1);
    expect(end?.type).toBe("end");
    if (end?.type === "end") expect(end.job.status).toBe("succeeded");
    // 64 tiles of median(radius=3) take far longer than opening a socket: tiles arrive live.
    const tiles = events.flatMap((e) => (e.type === "tile" ? [e] : []));
    expect(events[0]?.type).toBe("job");
    expect(tiles.length).toBeGreaterThan(0);
    expect(tiles.every((t) => t.tile >= 0 && t.tile < 64 && t.worker.length > 0)).toBe(true);
  });

  it("streams the same over server-sent events", async () => {
    const job = await submit(32);
    const text = await (await fetch(`${server.url}/v1/jobs/${job.id}/events`)).text();
    const names = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names[0] === "job" || names[0] === "end").toBe(true);
    expect(names.at(-1)).toBe("end");
    expect(names).toContain("tile");
  });
});
