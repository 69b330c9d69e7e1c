// Analysis ops through the real queued engine (coordinator, tiles queue, worker loops, piscina
// threads, blobs): each wired op on a real photograph, after image and global ops, gives the
// same JSON byte for byte whatever the tile size, and that JSON is the kernels' analyseWhole on
// the same luma. Pipelines the engine cannot run are refused before anything is stored.

import { readFile } from "node:fs/promises";
import {
  analyseWhole,
  analysisOp,
  analysisParams,
  formatPipeline,
  type Kernels,
  type Pipeline,
  parsePipeline,
  type RgbaImage,
  type Step,
} from "@tessera/kernels";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analysisJson, analysisResult } from "../../engine/analysis-result.js";
import { planPipeline } from "../../engine/plan.js";
import { codec, startCluster } from "../helpers/cluster.js";
import { PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

/** One case per wired op, each after image ops (and global ones, which add stages before it). */
const CASES = [
  { op: "fast", photo: "chelsea.png", pipeline: "gaussian-blur(sigma=1) | fast(threshold=20)", key: "keypoints", min: 50 },
  { op: "corners", photo: "astronaut.png", pipeline: "corners(max=300, min-distance=8)", key: "keypoints", min: 100 },
  { op: "orb", photo: "coffee.png", pipeline: "sharpen(amount=1) | orb(max=300)", key: "keypoints", min: 100 },
  {
    op: "hough-lines",
    photo: "rocket.jpg",
    pipeline: "canny(low=60, high=150) | hough-lines(threshold=80)",
    key: "lines",
    min: 3,
  },
  {
    op: "components",
    photo: "coins.png",
    pipeline: "median(radius=1) | otsu-threshold | components(min-area=30)",
    key: "components",
    min: 10,
  },
] as const;
const TILE_SIZES = [64, 100, 256];

/** What the kernels say on the whole image: the luma after the image steps, then analyseWhole. */
function whole(k: Kernels, image: RgbaImage, steps: Pipeline): Uint8Array {
  const step = steps[steps.length - 1] as Step;
  const grey = k.run(image, [...steps.slice(0, -1), ...parsePipeline("grayscale")], { channels: 1 });
  const op = analysisOp(step.op);
  if (!op) throw new Error(`${step.op} is not wired`);
  const data = analyseWhole(k.analysisHeap, op, { ...grey, data: new Uint8Array(grey.data.buffer) }, analysisParams(step));
  return analysisJson(analysisResult(image, steps, data));
}

describe("analysis ops through the engine", () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster({ loops: 3 });
  });
  afterAll(() => cluster.stop());

  it("plans the analysis step onto the last stage, its halo added to the stage's", () => {
    const plan = planPipeline(parsePipeline("gaussian-blur(sigma=1) | equalize | box-blur(radius=2) | fast"));
    const last = plan.stages[plan.stages.length - 1];
    expect(plan.stages).toHaveLength(2);
    expect(last?.steps.map((s) => s.op)).toEqual(["box-blur"]);
    expect(last?.analysis?.op).toBe("fast");
    expect(last?.halo).toBe(2 + (last?.analysisHalo ?? Number.NaN));
    expect(last?.analysisHalo).toBeGreaterThan(0);
    expect(planPipeline(parsePipeline("corners")).stages.map((s) => [s.steps.length, s.analysis?.op])).toEqual([[0, "corners"]]);
  });

  it.each(CASES)("$op: the same JSON for tile sizes 64, 100 and 256, equal to analyseWhole", async (kase) => {
    const k = await kernels();
    const bytes = new Uint8Array(await readFile(PHOTO_DIR + kase.photo));
    const steps = parsePipeline(kase.pipeline);
    const results: string[] = [];
    for (const tileSize of TILE_SIZES) {
      const job = await cluster.coordinator.submit(bytes, steps, { format: "json", tileSize });
      const done = await cluster.coordinator.wait(job.id);
      expect(done.status, done.error?.message).toBe("succeeded");
      expect(done.result).toBe(`jobs/${job.id}/result.json`);
      results.push(new TextDecoder().decode(await cluster.blobs.get(done.result as string)));
      // No image result: the manifest, the JSON and the source it is drawn on, nothing else.
      // (Dropped once the ending is stored, just after the job is seen to end.)
      const left = async () => (await cluster.blobs.list(`jobs/${job.id}/`)).map((b) => b.name.split("/").pop()).sort();
      await expect.poll(left).toEqual(["manifest.json", "result.json", "source"]);
    }
    expect(results[1]).toBe(results[0]);
    expect(results[2]).toBe(results[0]);
    const expected = new TextDecoder().decode(whole(k, await codec.decode(bytes), steps));
    expect(results[0]).toBe(expected);
    const json = JSON.parse(results[0] as string);
    expect(Object.keys(json).slice(0, 4)).toEqual(["width", "height", "pipeline", "op"]);
    // The pipeline's canonical text (params at their defaults left out), as the job shows it.
    expect(json.pipeline).toBe(formatPipeline(steps));
    expect(json.op).toBe(formatPipeline(steps.slice(-1)));
    expect(json.pipeline.endsWith(` | ${json.op}`) || json.pipeline === json.op).toBe(true);
    expect([json.width, json.height]).toEqual([(await codec.probe(bytes)).width, (await codec.probe(bytes)).height]);
    expect(json[kase.key].length).toBeGreaterThanOrEqual(kase.min);
  });

  it.each([
    ["fast | sobel", "step 1 fast: fast is an analysis op"],
    ["gaussian-blur | corners | fast", "step 2 corners: corners is an analysis op"],
    ["fast(threshold=0)", "step 1 fast: threshold must be an integer between 1 and 255"],
    ["fast(radius=2)", 'step 1 fast: unknown param "radius"'],
    ["components(connectivity=6)", "step 1 components: connectivity must be 4 or 8"],
    ["hough-lines(theta=0)", "step 1 hough-lines: theta must be a number between 0.01 and 180"],
  ])("refuses %s at parse time: %s", (pipeline, message) => {
    expect(() => parsePipeline(pipeline)).toThrow(message);
  });

  it.each([
    // Detectors run (test/engine/detection.test.ts); their params are checked as any op's.
    ["gaussian-blur | detect-objects(score=1.5)", "step 2 detect-objects: score must be a number between 0 and 1"],
    ["detect-objects(classes=kat)", 'step 1 detect-objects: classes must be "all", or labels joined by "+"'],
  ])("refuses %s at submit, storing nothing: %s", async (pipeline, message) => {
    const bytes = new Uint8Array(await readFile(`${PHOTO_DIR}coins.png`));
    const before = (await cluster.blobs.list("jobs/")).length;
    await expect(
      (async () => cluster.coordinator.submit(bytes, parsePipeline(pipeline), { format: "json" }))(),
    ).rejects.toMatchObject({
      code: "INVALID_PIPELINE",
      message: expect.stringContaining(message),
    });
    expect((await cluster.blobs.list("jobs/")).length).toBe(before);
  });

  it("refuses an analysis pipeline with an image format, and json for an image pipeline", async () => {
    const bytes = new Uint8Array(await readFile(`${PHOTO_DIR}coins.png`));
    const before = (await cluster.blobs.list("jobs/")).length;
    await expect(cluster.coordinator.submit(bytes, parsePipeline("fast"), { format: "png" })).rejects.toThrow(
      "fast is an analysis op: its result is JSON (format json), not png",
    );
    await expect(cluster.coordinator.submit(bytes, parsePipeline("sobel"), { format: "json" })).rejects.toThrow(
      "format json is the result of an analysis op",
    );
    expect((await cluster.blobs.list("jobs/")).length).toBe(before);
  });
});
