// detect-objects and detect-faces through the real queued engine (coordinator, tiles queue,
// worker loops, piscina threads running tfjs, blobs): the detection stage's windows spread over
// messages and threads, read from the previous stage's layer a few rows at a time, and merged
// at the finish. The JSON is the same for any tile size and number of loops, and its
// detections are detectImage's (every window in this thread) on the same pixels, so the
// streamed resize and the grouping change nothing. Bad params are refused before anything is
// stored.

import { readFile } from "node:fs/promises";
import { type Detection, formatPipeline, parsePipeline, type RgbaImage } from "@tessera/kernels";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planPipeline } from "../../engine/plan.js";
import { cropPixels, detectImage, LetterboxStream, letterbox, resolveDetectParams } from "../../workers/detect/index.js";
import { codec, startCluster } from "../helpers/cluster.js";
import { PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

type Cluster = Awaited<ReturnType<typeof startCluster>>;
interface Result {
  width: number;
  height: number;
  pipeline: string;
  op: string;
  detections: Detection[];
}

async function run(cluster: Cluster, bytes: Uint8Array, pipeline: string, tileSize: number): Promise<string> {
  const job = await cluster.coordinator.submit(bytes, parsePipeline(pipeline), { format: "json", tileSize });
  const done = await cluster.coordinator.wait(job.id);
  expect(done.status, done.error?.message).toBe("succeeded");
  expect(done.result).toBe(`jobs/${job.id}/result.json`);
  const text = new TextDecoder().decode(await cluster.blobs.get(done.result as string));
  // No layer, group output or window left: the manifest, the JSON and the source it is drawn on.
  const left = async () => (await cluster.blobs.list(`jobs/${job.id}/`)).map((b) => b.name.split("/").pop()).sort();
  await expect.poll(left).toEqual(["manifest.json", "result.json", "source"]);
  return text;
}

/** What one thread finds on the same pixels, every window in grid order (workers/detect). */
async function oneThread(image: RgbaImage, op: string, params: Record<string, unknown> = {}): Promise<Detection[]> {
  const found = await detectImage({ ...image, channels: 4 }, resolveDetectParams(op, params));
  return found.detections;
}

const best = (result: Result, label: string): Detection | undefined => result.detections.find((d) => d.label === label);

describe("detection through the engine", () => {
  let cluster: Cluster;
  let chelsea: Uint8Array;
  let astronaut: Uint8Array;
  beforeAll(async () => {
    cluster = await startCluster({ loops: 2 });
    chelsea = new Uint8Array(await readFile(`${PHOTO_DIR}chelsea.png`));
    astronaut = new Uint8Array(await readFile(`${PHOTO_DIR}astronaut.png`));
  });
  afterAll(() => cluster.stop());

  it("plans an image stage that writes a layer, then a detection stage", () => {
    const stages = (p: string) =>
      planPipeline(parsePipeline(p)).stages.map((s) => [s.steps.map((t) => t.op), s.reduction ?? null, s.detection?.op ?? null]);
    expect(stages("detect-objects")).toEqual([
      [[], null, null],
      [[], null, "detect-objects"],
    ]);
    expect(stages("brightness(delta=10) | equalize | detect-faces")).toEqual([
      [["brightness"], "histogram", null],
      [[], null, null],
      [[], null, "detect-faces"],
    ]);
    expect(stages("canny | detect-objects").map((s) => s[1])).toEqual(["hysteresis", null, null]);
  });

  it("streams a window's rows into the same model input as letterboxing the whole crop", () => {
    const image = { width: 301, height: 203, channels: 4 as const, data: new Uint8Array(301 * 203 * 4) };
    for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 2654435761) >>> 24;
    const window = { x: 17, y: 9, width: 250, height: 190 };
    for (const [size, scale, offset] of [
      [512, 1, 0],
      [128, 1 / 127.5, -1],
    ] as const) {
      const stream = new LetterboxStream(window.width, window.height, size, scale, offset);
      for (let y = 0; y < window.height; y += 7) {
        const rows = Math.min(7, window.height - y);
        stream.addRows(image.data, ((window.y + y) * image.width + window.x) * 4, image.width * 4, 4, rows);
      }
      const streamed = stream.finish();
      const whole = letterbox(cropPixels(image, window), size, scale, offset);
      // Bit for bit (compared as bytes: toEqual over 786,432 floats takes seconds).
      expect(Buffer.from(streamed.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
      expect(streamed.some((v) => v !== offset)).toBe(true);
    }
  });

  it("finds the astronaut (a person, score ≥ 0.5) and her face, as one thread does", async () => {
    const result = JSON.parse(await run(cluster, astronaut, "detect-objects", 256)) as Result;
    expect(Object.keys(result)).toEqual(["width", "height", "pipeline", "op", "detections"]);
    expect([result.width, result.height, result.pipeline, result.op]).toEqual([512, 512, "detect-objects", "detect-objects"]);
    expect(best(result, "person")?.score).toBeGreaterThanOrEqual(0.5);
    expect(result.detections).toEqual(await oneThread(await codec.decode(astronaut), "detect-objects"));
    const faces = JSON.parse(await run(cluster, astronaut, "detect-faces(score=0.75)", 128)) as Result;
    expect(faces.detections.map((d) => d.label)).toEqual(["face"]);
  });

  it("finds chelsea's cat, the same JSON for tiles of 64 and 256 and for 1 or 2 loops", async () => {
    const byTile = [await run(cluster, chelsea, "detect-objects", 64), await run(cluster, chelsea, "detect-objects", 256)];
    const single = await startCluster({ loops: 1 });
    try {
      byTile.push(await run(single, chelsea, "detect-objects", 64));
    } finally {
      await single.stop();
    }
    expect(byTile[1]).toBe(byTile[0]);
    expect(byTile[2]).toBe(byTile[0]);
    const result = JSON.parse(byTile[0] as string) as Result;
    expect(best(result, "cat")?.score).toBeGreaterThanOrEqual(0.3);
    expect(result.detections).toEqual(await oneThread(await codec.decode(chelsea), "detect-objects"));
  });

  it("finds the cat on a 4× upscaled chelsea, its 7 windows in groups over tiles", async () => {
    const big = new Uint8Array(
      await sharp(chelsea)
        .resize(451 * 4, 300 * 4)
        .png({ compressionLevel: 1 })
        .toBuffer(),
    );
    const result = JSON.parse(await run(cluster, big, "detect-objects(classes=cat+dog)", 256)) as Result;
    expect([result.width, result.height]).toEqual([1804, 1200]);
    expect(best(result, "cat")?.score).toBeGreaterThanOrEqual(0.3);
    expect(result.detections.every((d) => d.label === "cat" || d.label === "dog")).toBe(true);
    expect(result.detections).toEqual(await oneThread(await codec.decode(big), "detect-objects", { classes: "cat+dog" }));
  });

  it("runs the image steps first and detects on their colour result", async () => {
    const pipeline = "brightness(delta=10) | detect-objects";
    const result = JSON.parse(await run(cluster, astronaut, pipeline, 128)) as Result;
    expect(result.pipeline).toBe(formatPipeline(parsePipeline(pipeline)));
    expect(best(result, "person")?.score).toBeGreaterThanOrEqual(0.5);
    const brighter = (await kernels()).run(await codec.decode(astronaut), "brightness(delta=10)");
    const expected = await oneThread(brighter as RgbaImage, "detect-objects");
    expect(result.detections).toEqual(expected);
    // Not what the detector finds on the source: the steps ran before it.
    expect(expected).not.toEqual(await oneThread(await codec.decode(astronaut), "detect-objects"));
  });

  it.each([
    ["detect-objects(score=2)", "step 1 detect-objects: score must be a number between 0 and 1, got 2"],
    ["gaussian-blur | detect-objects(classes=kat)", "step 2 detect-objects: classes must be"],
    ["detect-faces(classes=cat)", 'step 1 detect-faces: unknown param "classes"'],
  ])("refuses %s at submit, storing nothing: %s", async (pipeline, message) => {
    const before = (await cluster.blobs.list("jobs/")).length;
    await expect(
      (async () => cluster.coordinator.submit(chelsea, parsePipeline(pipeline), { format: "json" }))(),
    ).rejects.toMatchObject({ code: "INVALID_PIPELINE", message: expect.stringContaining(message) });
    expect((await cluster.blobs.list("jobs/")).length).toBe(before);
  });

  it("refuses a detector with an image format", async () => {
    await expect(cluster.coordinator.submit(chelsea, parsePipeline("detect-objects"), { format: "png" })).rejects.toThrow(
      "detect-objects is an analysis op: its result is JSON (format json), not png",
    );
  });
});
