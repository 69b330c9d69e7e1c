// Analysis ops through the HTTP API in process (app.request): a pipeline ending in one returns
// JSON (the default download, and ?format=json), and as png/jpeg/webp the source with the data
// drawn on it; pipelines that cannot run are 400s that create no job.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError, JobView } from "../../edge/api-types.js";
import { createApp } from "../../edge/app.js";
import { DEFAULT_LIMITS } from "../../edge/config.js";
import { type EmbeddedGateway, startEmbeddedGateway } from "../../roles/gateway.js";
import { photoBytes } from "../helpers/bad-images.js";
import { jobForm } from "../helpers/job-form.js";

const dataDir = mkdtempSync(join(tmpdir(), "tessera-analysis-api-"));
let gw: EmbeddedGateway;
let app: Hono;

beforeAll(async () => {
  gw = await startEmbeddedGateway({ dataDir, threads: 2, limits: DEFAULT_LIMITS });
  app = createApp(gw);
});
afterAll(async () => {
  await gw.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const submit = (fields: Record<string, string | Buffer>) => app.request("/v1/jobs", { method: "POST", body: jobForm(fields) });

async function finished(id: string): Promise<JobView> {
  for (let i = 0; i < 600; i++) {
    const job = (await (await app.request(`/v1/jobs/${id}`)).json()) as JobView;
    if (job.status !== "queued" && job.status !== "running") return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not end`);
}

describe("analysis jobs over HTTP", () => {
  it("returns the JSON (default and ?format=json) and, as an image, the overlay", async () => {
    const image = photoBytes("chelsea.png");
    const res = await submit({ image, pipeline: "gaussian-blur(sigma=1) | fast(threshold=20)", tileSize: "128" });
    const job = (await res.json()) as JobView;
    expect(res.status, JSON.stringify(job)).toBe(202);
    expect(job.format).toBe("json");
    expect((await finished(job.id)).status).toBe("succeeded");

    const plain = await app.request(`/v1/jobs/${job.id}/result`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toBe("application/json");
    expect(plain.headers.get("content-disposition")).toContain(".json");
    const text = await plain.text();
    const asked = await app.request(`/v1/jobs/${job.id}/result?format=json`);
    expect(await asked.text()).toBe(text);
    const json = JSON.parse(text);
    expect(Object.keys(json)).toEqual(["width", "height", "pipeline", "op", "keypoints"]);
    expect(json).toMatchObject({ width: 451, height: 300, pipeline: "gaussian-blur | fast", op: "fast" });
    expect(json.keypoints.length).toBeGreaterThan(50);

    const png = await app.request(`/v1/jobs/${job.id}/result?format=png`);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    const overlay = await sharp(Buffer.from(await png.arrayBuffer()))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([overlay.info.width, overlay.info.height]).toEqual([451, 300]);
    const source = await sharp(image).ensureAlpha().raw().toBuffer();
    // The circle around each keypoint passes 3 px to its right: drawn pixels differ there.
    const moved = json.keypoints.filter((k: { x: number; y: number }) => {
      const at = (k.y * 451 + Math.min(450, k.x + 3)) * 4;
      return [0, 1, 2].some((c) => overlay.data[at + c] !== source[at + c]);
    });
    expect(moved.length / json.keypoints.length).toBeGreaterThan(0.9);
    const jpeg = await app.request(`/v1/jobs/${job.id}/result?format=jpeg&quality=90`);
    expect(jpeg.headers.get("content-type")).toBe("image/jpeg");
    expect((await sharp(Buffer.from(await jpeg.arrayBuffer())).metadata()).width).toBe(451);
    expect((await app.request(`/v1/jobs/${job.id}/result?format=gif`)).status).toBe(400);
  });

  it("refuses ?format=json for an image job", async () => {
    const res = await submit({ image: photoBytes("coins.png"), pipeline: "invert" });
    const job = (await res.json()) as JobView;
    expect((await finished(job.id)).status).toBe("succeeded");
    const refused = await app.request(`/v1/jobs/${job.id}/result?format=json`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ApiError).error.message).toContain("this job's result is an image");
  });

  it.each([
    ["fast | sobel", undefined, 400, "INVALID_PIPELINE", "step 1 fast: fast is an analysis op"],
    ["fast(threshold=300)", undefined, 400, "INVALID_PIPELINE", "threshold must be an integer between 1 and 255"],
    ["corners(max=10, speed=2)", undefined, 400, "INVALID_PIPELINE", 'unknown param "speed"'],
    ["detect-faces(score=2)", undefined, 400, "INVALID_PIPELINE", "step 1 detect-faces: score must be a number between 0 and 1"],
    ["fast", "png", 400, "BAD_REQUEST", "its result is JSON (format json), not png"],
    ["sobel", "json", 400, "BAD_REQUEST", "format json is the result of an analysis op"],
  ])("refuses %s (format %s): %i %s", async (pipeline, format, status, code, message) => {
    const before = gw.coordinator.list().length;
    const res = await submit({ image: photoBytes("coins.png"), pipeline, ...(format && { format }) });
    expect(res.status).toBe(status);
    const body = (await res.json()) as ApiError;
    expect(body.error.code).toBe(code);
    expect(body.error.message).toContain(message);
    expect(gw.coordinator.list().length).toBe(before);
  });
});
