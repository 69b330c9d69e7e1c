import { ops, PipelineError, parsePipeline } from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import {
  addStep,
  defaultParams,
  formatKernelText,
  fromText,
  localOpViews,
  moveStep,
  normalizeOps,
  parseKernelText,
  removeStep,
  reuseKeys,
  roundToStep,
  setParam,
  sliderStep,
  toJsonSteps,
  toText,
} from "../../edge/web/src/builder.ts";

const views = localOpViews();
const op = (name: string) => {
  const found = views.find((v) => v.name === name);
  if (!found) throw new Error(`no op ${name}`);
  return found;
};

describe("web pipeline builder", () => {
  it("lists every op of the registry, with its params and defaults", () => {
    expect(views.map((v) => v.name)).toEqual([...ops.keys()]);
    expect(defaultParams(op("gaussian-blur"))).toEqual({ sigma: 1 });
    expect(defaultParams(op("grayscale"))).toEqual({ mode: "rec709" });
    expect(JSON.parse(JSON.stringify(views))).toEqual(views); // what GET /v1/ops can send
    expect(normalizeOps({ ops: views })).toBe(views);
    expect(normalizeOps(views)).toBe(views);
    expect(() => normalizeOps({ nope: 1 })).toThrow(/list of ops/);
  });

  it("adds, edits, reorders and removes steps; the text form follows", () => {
    let steps = addStep([], op("gaussian-blur"));
    steps = addStep(steps, op("sobel"));
    expect(toText(steps)).toBe("gaussian-blur | sobel");
    steps = setParam(steps, 0, "sigma", 2.5);
    expect(toText(steps)).toBe("gaussian-blur(sigma=2.5) | sobel");
    const keys = steps.map((s) => s.key);
    steps = moveStep(steps, 1, -1);
    expect(steps.map((s) => s.key)).toEqual([keys[1], keys[0]]);
    expect(toText(steps)).toBe("sobel | gaussian-blur(sigma=2.5)");
    expect(moveStep(steps, 0, -1).map((s) => s.key)).toEqual(steps.map((s) => s.key)); // clamped
    steps = removeStep(steps, 0);
    expect(toText(steps)).toBe("gaussian-blur(sigma=2.5)");
    expect(toText([])).toBe("");
  });

  it("reports an out-of-range param as the kernels' PipelineError", () => {
    const steps = setParam(addStep([], op("gaussian-blur")), 0, "sigma", 1000);
    expect(() => toText(steps)).toThrow(PipelineError);
    expect(() => toText(steps)).toThrow(/step 1 gaussian-blur: sigma must be a number between 0.3 and 50/);
  });

  it("parses the text form back into steps with every param, keeping keys of unchanged ops", () => {
    const steps = fromText("median(radius=2) | grayscale(mode=average) | convolve(kernel=[0,-1,0,-1,5,-1,0,-1,0])");
    expect(steps.map((s) => s.op)).toEqual(["median", "grayscale", "convolve"]);
    expect(steps[0]?.params).toEqual({ radius: 2 });
    expect(steps[2]?.params.kernel).toEqual([0, -1, 0, -1, 5, -1, 0, -1, 0]);
    expect(parsePipeline(toText(steps))).toEqual(parsePipeline(toJsonSteps(steps))); // the text form round-trips
    const next = reuseKeys(steps, fromText("median(radius=3) | invert"));
    expect(next[0]?.key).toBe(steps[0]?.key);
    expect(next[1]?.key).not.toBe(steps[1]?.key);
    expect(fromText("  ")).toEqual([]);
    expect(() => fromText("gaussian-blurr")).toThrow(/did you mean "gaussian-blur"/);
  });

  it("reads and writes kernel matrices in the textarea", () => {
    expect(parseKernelText("0 -1 0\n-1 5 -1\n0 -1 0")).toEqual([0, -1, 0, -1, 5, -1, 0, -1, 0]);
    expect(parseKernelText("[1, 2; 3]")).toEqual([1, 2, 3]);
    expect(parseKernelText("1 x 2")).toBe("1 x 2");
    expect(formatKernelText([1, 2, 3, 4, 5, 6, 7, 8, 9])).toBe("1 2 3\n4 5 6\n7 8 9");
    const steps = setParam(addStep([], op("convolve")), 0, "kernel", parseKernelText("1 2"));
    expect(() => toText(steps)).toThrow(/kernel must be a list of 1, 9, 25, 49 or 81 numbers/);
  });

  it("gives sliders a sensible step and rounds without float noise", () => {
    expect(sliderStep({ type: "int", min: 1, max: 64 })).toBe(1);
    expect(sliderStep({ type: "number", min: 0.3, max: 50 })).toBe(0.1);
    expect(sliderStep({ type: "number", min: 0, max: 1 })).toBe(0.01);
    expect(sliderStep({ type: "number", min: -255, max: 255 })).toBe(1);
    expect(roundToStep(0.30000000000000004, 0.1)).toBe(0.3);
    expect(roundToStep(2.345, 0.01)).toBe(2.35);
  });
});
