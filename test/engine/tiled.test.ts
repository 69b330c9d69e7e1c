// Tiled equals whole, at the level of the engine's pure parts: plan → tiles with halos →
// kernels → reductions → stitch, with no queue in between. The queued path (coordinator and
// worker loops) has its own byte-identical tests; this one pins the maths they share.

import { type Kernels, parsePipeline, type RgbaImage, type Step } from "@tessera/kernels";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planPipeline, tileSteps } from "../../engine/plan.js";
import { assembleWindow, cutRect, placeTile } from "../../engine/stitch.js";
import { computeTile, coreInWindow, resolveAfterHistogram, sumHistograms } from "../../engine/tile-work.js";
import { makeGrid, tileCount, tileRect, windowRect } from "../../engine/tiling.js";
import { compare, describe as describeDiff, loadPhoto, photoNames } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

/** The coordinator's algorithm, synchronously: every stage over every tile, then reduce. */
async function runTiled(k: Kernels, image: RgbaImage, steps: readonly Step[], tileSize: number): Promise<Uint8ClampedArray> {
  const grid = makeGrid(image.width, image.height, tileSize);
  let cores = Array.from({ length: tileCount(grid) }, (_, i) => cutRect(image, tileRect(grid, i)));
  let carried: Step | undefined;
  for (const stage of planPipeline(steps).stages) {
    const steps = tileSteps(stage, carried);
    carried = undefined;
    const outputs = [];
    for (let i = 0; i < tileCount(grid); i++) {
      const window = await assembleWindow(grid, windowRect(grid, i, stage.halo), async (j) => cores[j] as RgbaImage);
      outputs.push(computeTile(k, window, coreInWindow(grid, i, stage.halo), steps, stage.reduction === "histogram"));
    }
    cores = outputs.map((o) => o.core);
    if (stage.reduction === "histogram")
      carried = resolveAfterHistogram(stage, sumHistograms(outputs.map((o) => o.histogram ?? [])));
    if (stage.reduction === "hysteresis") {
      const classes = { width: grid.width, height: grid.height, data: new Uint8ClampedArray(grid.width * grid.height * 4) };
      cores.forEach((core, i) => placeTile(grid, i, core, classes));
      const edges = k.hysteresis(classes);
      cores = cores.map((_, i) => cutRect(edges, tileRect(grid, i)));
    }
  }
  const out = { width: grid.width, height: grid.height, data: new Uint8ClampedArray(grid.width * grid.height * 4) };
  cores.forEach((core, i) => placeTile(grid, i, core, out));
  return out.data;
}

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

  it.each(photoNames())("is byte-identical on %s for random pipelines with global ops and every tile size", async (name) => {
    const k = await kernels();
    const image = await loadPhoto(name, 192); // downscaled: 5 tile sizes × several pipelines per photo on 2 cores
    const pipelines = fc.sample(pipelineArb, { numRuns: 3, seed: name.length * 7919 });
    for (const text of pipelines) {
      const steps = parsePipeline(text);
      const whole = k.run(image, steps).data;
      for (const tile of [16, 17, 64, 100, 512]) {
        const tiled = await runTiled(k, image, steps, tile);
        expect(`${text} @${tile}: ${describeDiff(compare(tiled, whole, image.width))}`).toBe(`${text} @${tile}: max diff 0`);
      }
    }
  });
});
