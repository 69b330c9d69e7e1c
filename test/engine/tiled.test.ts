// Tiled equals whole: every photo, random pipelines of 1–5 steps that include global ops, and
// tile sizes 16, 17, 64, 100 and 512, through the real queued engine (coordinator, tiles queue,
// worker loops, piscina pool, blob store), compared byte for byte with run() on the whole image.

import { parsePipeline } from "@tessera/kernels";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planPipeline } from "../../engine/plan.js";
import { startCluster } from "../helpers/cluster.js";
import { compare, describe as describeDiff, loadPhoto, photoNames } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

describe("planPipeline", () => {
  it("splits at global ops, sums halos, and adds an apply stage after a final histogram op", () => {
    const plan = planPipeline(
      parsePipeline("gaussian-blur(sigma=2) | equalize | sobel | canny(sigma=1) | invert | otsu-threshold"),
    );
    expect(plan.stages.map((s) => [s.steps.map((x) => x.op), s.global?.op, s.reduction, s.halo])).toEqual([
      [["gaussian-blur"], "equalize", "histogram", 6],
      [["sobel"], "canny", "hysteresis", 1 + 5],
      [["invert"], "otsu-threshold", "histogram", 0],
      [[], undefined, undefined, 0],
    ]);
  });
});

describe("tiled == whole", () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster({ loops: 4 });
  });
  afterAll(() => cluster.stop());

  const global = ["equalize", "normalize(low=2, high=97)", "otsu-threshold", "canny(low=30, high=90, sigma=1.2)"];
  const local = [
    "gaussian-blur(sigma=1.5)",
    "box-blur(radius=2)",
    "median(radius=2)",
    "sobel",
    "sharpen(amount=2)",
    "convolve(kernel=[1,2,1,0,0,0,-1,-2,-1])",
    "laplacian",
  ];
  const point = ["invert", "gamma(gamma=1.8)", "sepia", "contrast(factor=1.4)", "hue-rotate(degrees=45)", "threshold(value=100)"];
  const pipelineArb = fc
    .array(fc.constantFrom(...global, ...local, ...point), { minLength: 1, maxLength: 5 })
    .filter((steps) => steps.some((s) => global.includes(s)))
    .map((steps) => steps.join(" | "));

  it("keeps a translucent image's alpha through canny's hysteresis, at the end of a pipeline and in its middle", async () => {
    const k = await kernels();
    const photo = await loadPhoto("coins.png", 150);
    // Alpha varies across the image (a gradient with a hole), so an edge band that took its
    // alpha from the wrong rows, or wrote 255, differs from the whole run.
    const data = Uint8ClampedArray.from(photo.data);
    for (let i = 0; i < data.length; i += 4) {
      const x = (i / 4) % photo.width;
      const y = Math.floor(i / 4 / photo.width);
      data[i + 3] = (x * 7 + y * 3) % 200 === 0 ? 0 : 40 + ((x + 2 * y) % 216);
    }
    const image = { width: photo.width, height: photo.height, data };
    for (const text of ["canny(low=30, high=90)", "canny(low=30, high=90) | invert"]) {
      const steps = parsePipeline(text);
      const whole = k.run(image, steps).data;
      for (const tileSize of [16, 48]) {
        const job = await cluster.coordinator.submit(image, steps, { format: "png", tileSize });
        const done = await cluster.coordinator.wait(job.id);
        expect(done.status, done.error?.message).toBe("succeeded");
        const diff = compare(await cluster.result(done.result), whole, image.width);
        expect(`${text} @${tileSize}: ${describeDiff(diff)}`).toBe(`${text} @${tileSize}: max diff 0`);
      }
    }
  });

  it.each(photoNames())("is byte-identical on %s for random pipelines with global ops and every tile size", async (name) => {
    const k = await kernels();
    const image = await loadPhoto(name, 160); // downscaled: 5 tile sizes × 2 pipelines per photo on 2 cores
    const pipelines = fc.sample(pipelineArb, { numRuns: 2, seed: name.length * 7919 });
    for (const text of pipelines) {
      const steps = parsePipeline(text);
      const whole = k.run(image, steps).data;
      const jobs = await Promise.all(
        [16, 17, 64, 100, 512].map((tileSize) => cluster.coordinator.submit(image, steps, { format: "png", tileSize })),
      );
      for (const job of jobs) {
        const done = await cluster.coordinator.wait(job.id);
        expect(done.status, done.error?.message).toBe("succeeded");
        const diff = compare(await cluster.result(done.result), whole, image.width);
        expect(`${text} @${job.tileSize}: ${describeDiff(diff)}`).toBe(`${text} @${job.tileSize}: max diff 0`);
      }
    }
  });
});
