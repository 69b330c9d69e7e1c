// The analysis ops' place in the kernels' API: registered with kind "analysis" and their
// params as public API, the last step only, refused by the image calls, and run on a window by
// analyseWindow exactly as the reference driver runs the op on the same luma.

import { analysisOp, analysisParams, cutTile, formatPipeline, ops, parsePipeline, wiredAnalysisOps } from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

describe("analysis ops in the registry", () => {
  it("registers every analysis op with its params and defaults, as public API", () => {
    const analysis = [...ops.values()].filter((op) => op.kind === "analysis");
    const shown = analysis.map((op) => `${op.name}(${op.params.map((p) => `${p.name}=${p.default}`).join(", ")})`);
    expect(shown).toEqual([
      "fast(threshold=20, nonmax=true)",
      "corners(max=1000, quality=0.01, min-distance=10, block=3, method=shi-tomasi, k=0.04)",
      "orb(max=500)",
      "hough-lines(rho=1, theta=1, threshold=150)",
      "components(connectivity=8, min-area=1)",
      "detect-objects(score=0.3, classes=all)",
      "detect-faces(score=0.5)",
    ]);
    expect(analysis.every((op) => op.category === "analysis")).toBe(true);
    expect(wiredAnalysisOps().sort()).toEqual(["components", "corners", "fast", "hough-lines", "orb"]);
  });

  it("turns a step's params into the op's: camelCase names, yes/no as booleans (text or JSON)", () => {
    const [fromText] = parsePipeline("corners(min-distance=4, method=harris)");
    expect(analysisParams(fromText as never)).toEqual({
      max: 1000,
      quality: 0.01,
      minDistance: 4,
      block: 3,
      method: "harris",
      k: 0.04,
    });
    const [json] = parsePipeline('[{"op":"fast","nonmax":false}]');
    expect(analysisParams(json as never)).toEqual({ threshold: 20, nonmax: false });
    expect(parsePipeline("fast(nonmax=false)")).toEqual(parsePipeline('[{"op":"fast","nonmax":false}]'));
  });

  it('takes detect-objects\' classes as labels joined by "+" (or a JSON list), kept as one canonical text', () => {
    const classes = (pipeline: string) => parsePipeline(pipeline)[0]?.params.classes;
    expect(classes("detect-objects")).toBe("all");
    expect(classes("detect-objects(classes=Car+person)")).toBe("person+car");
    expect(classes('[{"op":"detect-objects","classes":["traffic-light","person","person"]}]')).toBe("person+traffic light");
    expect(parsePipeline(formatPipeline(parsePipeline("detect-objects(classes=dog+cat)")))).toEqual(
      parsePipeline('[{"op":"detect-objects","classes":"cat,dog"}]'),
    );
    expect(() => parsePipeline("detect-objects(classes=all+person)")).toThrow(
      'step 1 detect-objects: classes must be "all", or labels joined by "+"',
    );
  });

  it.each([
    [
      "fast | invert",
      "step 1 fast: fast is an analysis op (it returns data, not an image), so it must be the last step, but step 2 invert follows it",
    ],
    ["sobel | corners | fast", "step 2 corners: corners is an analysis op"],
    ["components(connectivity=6)", "step 1 components: connectivity must be 4 or 8, got 6"],
    ["fast(nonmax=maybe)", 'step 1 fast: nonmax must be one of "true", "false", got "maybe" (default "true")'],
    ["detect-objects(classes=unicorn)", 'step 1 detect-objects: classes must be "all", or labels joined by "+"'],
  ])("refuses %s", (pipeline, message) => {
    expect(() => parsePipeline(pipeline)).toThrow(message);
  });

  it("run(), runRegion() and runWindow() refuse a pipeline that ends in an analysis op, naming the analysis API", async () => {
    const k = await kernels();
    const image = await loadPhoto("coins.png", 64);
    const rect = { x: 0, y: 0, width: image.width, height: image.height };
    for (const call of [
      () => k.run(image, "gaussian-blur | fast"),
      () => k.runRegion(image, rect, "fast"),
      () => k.runWindow(image, rect, rect, "corners", { ...image, data: image.data.slice() }, { x: 0, y: 0 }),
    ]) {
      expect(call).toThrow(
        /step \d+ (fast|corners): \w+(\(\))? returns an image, but (fast|corners) is an analysis op that returns data; use the analysis API/,
      );
    }
  });

  it("analyseWindow: the image steps, then the op on the luma of the core grown by its halo, as cutTile gives it", async () => {
    const k = await kernels();
    const image = await loadPhoto("chelsea.png");
    const grey = k.run(image, "box-blur(radius=2) | grayscale", { channels: 1 });
    const luma = { width: grey.width, height: grey.height, data: new Uint8Array(grey.data.buffer) };
    const [step] = parsePipeline("fast(threshold=15)");
    const op = analysisOp("fast");
    if (!op || !step) throw new Error("fast is not wired");
    const params = analysisParams(step);
    const core = { x: 100, y: 60, width: 128, height: 100 };
    // The window the engine would cut: the core grown by the blur's radius and the op's halo.
    const halo = 2 + op.halo(params);
    const window = { x: core.x - halo, y: core.y - halo, width: core.width + 2 * halo, height: core.height + 2 * halo };
    const got = k.analyseWindow(
      image,
      window,
      { x: halo, y: halo, width: core.width, height: core.height },
      "box-blur(radius=2)",
      {
        step,
        origin: { x: window.x, y: window.y },
        image: { width: image.width, height: image.height },
      },
    );
    const expected = op.tile(k.analysisHeap, cutTile(luma, core, op.halo(params)), params);
    expect(got).toEqual(expected);
    expect((got as number[]).length).toBeGreaterThan(0);
  });
});
