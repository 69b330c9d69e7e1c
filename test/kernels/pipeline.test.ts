// Pipeline parsing and validation: both forms, defaults, and the exact error sentences the
// API, CLI and UI show (they all come from the same builder, so pinning them here pins all).

import { formatPipeline, MAX_STEPS, ops, PipelineError, parsePipeline } from "@tessera/kernels";
import { describe, expect, it } from "vitest";

function errorOf(input: Parameters<typeof parsePipeline>[0]): PipelineError {
  try {
    parsePipeline(input);
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineError);
    return err as PipelineError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe("parsePipeline", () => {
  it("reads the text and JSON forms to the same steps, with defaults filled in", () => {
    const text = parsePipeline("gaussian-blur(sigma=2) | sobel");
    const json = parsePipeline('[{"op":"gaussian-blur","sigma":2},{"op":"sobel"}]');
    const array = parsePipeline([{ op: "gaussian-blur", sigma: 2 }, { op: "sobel" }]);
    expect(text).toEqual([
      { op: "gaussian-blur", params: { sigma: 2 } },
      { op: "sobel", params: {} },
    ]);
    expect(json).toEqual(text);
    expect(array).toEqual(text);
    expect(parsePipeline("sharpen")[0]?.params).toEqual({ sigma: 1, amount: 1 });
    expect(parsePipeline("grayscale(mode=rec601)")[0]?.params).toEqual({ mode: "rec601" });
  });

  it("accepts its own output: parsed steps and formatted text round-trip", () => {
    const steps = parsePipeline("convolve(kernel=[1, 2, 1, 2, 4, 2, 1, 2, 1]) | contrast(factor=1.5) | canny(low=20)");
    expect(parsePipeline(steps)).toEqual(steps);
    const text = formatPipeline(steps);
    expect(text).toBe("convolve(kernel=[1,2,1,2,4,2,1,2,1]) | contrast(factor=1.5) | canny(low=20)");
    expect(parsePipeline(text)).toEqual(steps);
  });

  it("has a default for every param of every op that validates against its own range", () => {
    for (const op of ops.values()) {
      expect(() => parsePipeline([{ op: op.name }])).not.toThrow();
      expect(op.radius(parsePipeline([{ op: op.name }])[0]?.params ?? {})).toBeGreaterThanOrEqual(0);
    }
    // The contract table of DESIGN.md, in its order (its sobel/prewitt/scharr row is three ops).
    expect([...ops.keys()]).toEqual([
      "box-blur",
      "gaussian-blur",
      "sharpen",
      "median",
      "convolve",
      "sobel",
      "prewitt",
      "scharr",
      "laplacian",
      "canny",
      "grayscale",
      "invert",
      "brightness",
      "contrast",
      "gamma",
      "saturation",
      "hue-rotate",
      "sepia",
      "threshold",
      "posterize",
      "equalize",
      "normalize",
      "otsu-threshold",
      // Analysis ops (issue 15): data, not an image; the last step only.
      "fast",
      "corners",
      "orb",
      "hough-lines",
      "components",
      "detect-objects",
      "detect-faces",
    ]);
  });

  it.each([
    ["gaussian-blur(sigma=1e9)", "step 1 gaussian-blur: sigma must be a number between 0.3 and 50, got 1000000000 (default 1)"],
    ["sobel | gaussian-blur(sigma=NaN)", "step 2 gaussian-blur: sigma must be a number between 0.3 and 50, got NaN (default 1)"],
    ["box-blur(radius=Infinity)", "step 1 box-blur: radius must be an integer between 1 and 64, got Infinity (default 1)"],
    ["box-blur(radius=1.5)", "step 1 box-blur: radius must be an integer between 1 and 64, got 1.5 (default 1)"],
    ["brightness(delta=-300)", "step 1 brightness: delta must be an integer between -255 and 255, got -300 (default 0)"],
    ["contrast(factor=abc)", 'step 1 contrast: factor must be a number between 0 and 4, got "abc" (default 1)'],
    [
      "grayscale(mode=luma)",
      'step 1 grayscale: mode must be one of "rec709", "rec601", "average", got "luma" (default "rec709")',
    ],
    ["gausian-blur", 'step 1: unknown op "gausian-blur"; did you mean "gaussian-blur"? GET /v1/ops or `tessera ops` lists them'],
    ["frobnicate", 'step 1: unknown op "frobnicate"; GET /v1/ops or `tessera ops` lists them'],
    ["sobel(radius=2)", 'step 1 sobel: unknown param "radius"; sobel takes no params'],
    ["sharpen(sigmaa=2)", 'step 1 sharpen: unknown param "sigmaa"; sharpen takes sigma, amount'],
    ["canny(low=200, high=100)", "step 1 canny: low (200) must not exceed high (100)"],
    [
      "convolve(kernel=[1,2,3,4])",
      "step 1 convolve: kernel must be a list of 1, 9, 25, 49 or 81 numbers (an odd square up to 9×9), each between -1000000 and 1000000, got [1,2,3,4] (default [0,0,0,0,1,0,0,0,0])",
    ],
    [
      "convolve(kernel=[1,1,1,1,1,1,1,1,1], divisor=0)",
      "step 1 convolve: divisor must not be 0; leave it out to use the kernel's sum",
    ],
    ["", 'pipeline is empty; give at least one step, e.g. "gaussian-blur(sigma=2)"'],
    ["sobel |", 'step 2: "" is not a step; write name or name(param=value, ...)'],
    ["gaussian-blur(sigma=2", 'step 1 gaussian-blur: missing ")" at the end of "gaussian-blur(sigma=2"'],
    ["gaussian-blur(2)", 'step 1 gaussian-blur: "2" is not param=value'],
    ['{"op":"sobel"}', 'step 1: "{"op":"sobel"}" is not a step; write name or name(param=value, ...)'],
    ['[{"sigma":2}]', 'step 1: missing op name; each step needs "op", e.g. {"op":"sobel"}'],
    ["[3]", 'step 1: must be an object like {"op":"sobel"}, got 3'],
  ])("rejects %j with a message naming the step, param, range and fix", (input, message) => {
    expect(errorOf(input).message).toBe(message);
  });

  it("reports malformed JSON with the parser's reason", () => {
    expect(errorOf('[{"op":"sobel"').message).toMatch(/^pipeline JSON is malformed: .*position 14/);
  });

  it("locates the problem in fields as well as in the message", () => {
    const err = errorOf([{ op: "sobel" }, { op: "median", radius: 9 }]);
    expect({ code: err.code, step: err.step, op: err.op, param: err.param }).toEqual({
      code: "INVALID_PIPELINE",
      step: 2,
      op: "median",
      param: "radius",
    });
  });

  it("rejects non-array JSON values and pipelines over the step limit", () => {
    expect(errorOf(JSON.parse('{"op":"sobel"}')).message).toBe('pipeline JSON must be an array of steps, e.g. [{"op":"sobel"}]');
    const long = Array.from({ length: MAX_STEPS + 1 }, () => "invert").join(" | ");
    expect(errorOf(long).message).toBe(`pipeline has ${MAX_STEPS + 1} steps; at most ${MAX_STEPS} are allowed`);
  });
});
