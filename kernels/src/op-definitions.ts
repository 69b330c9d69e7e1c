/**
 * Every op's definition: name, category, kind, params with their ranges and defaults, halo
 * and cross-param checks (the shapes are in registry.ts, which indexes this list by name).
 * The order here is the documentation order (docs/ops.md, GET /v1/ops, the UI's picker).
 * Names and params are public API: add, never rename.
 */

import { int, none, number } from "./param-builders.js";
import type { OpSpec, Params } from "./registry.js";

const num = (p: Params, name: string): number => p[name] as number;
const sigmaRadius = (p: Params): number => Math.ceil(3 * num(p, "sigma"));

export const opDefinitions: readonly OpSpec[] = [
  {
    name: "box-blur",
    category: "blur",
    kind: "local",
    description: "Mean of the (2·radius+1)² square around each pixel.",
    params: [int("radius", 1, 64, 1, "Half-width of the square window in pixels.")],
    radius: (p) => num(p, "radius"),
  },
  {
    name: "gaussian-blur",
    category: "blur",
    kind: "local",
    description: "Gaussian blur; the kernel reaches ceil(3σ) pixels.",
    params: [number("sigma", 0.3, 50, 1, "Standard deviation in pixels.")],
    radius: sigmaRadius,
  },
  {
    name: "sharpen",
    category: "blur",
    kind: "local",
    description: "Unsharp mask: in + amount·(in − gaussian(in, σ)).",
    params: [
      number("sigma", 0.3, 10, 1, "Standard deviation of the blur that is subtracted, in pixels."),
      number("amount", 0, 10, 1, "Strength; 0 leaves the image unchanged."),
    ],
    radius: sigmaRadius,
  },
  {
    name: "median",
    category: "blur",
    kind: "local",
    description: "Median of the (2·radius+1)² square, per channel (3×3 … 15×15).",
    params: [int("radius", 1, 7, 1, "Half-width of the square window in pixels.")],
    radius: (p) => num(p, "radius"),
  },
  {
    name: "convolve",
    category: "blur",
    kind: "local",
    description: "Convolution with an odd square kernel (up to 9×9): sum(k·in)/divisor + offset.",
    params: [
      {
        name: "kernel",
        type: "kernel",
        maxSide: 9,
        min: -1e6,
        max: 1e6,
        default: [0, 0, 0, 0, 1, 0, 0, 0, 0],
        description: "Row-major weights of a 1×1, 3×3, 5×5, 7×7 or 9×9 kernel.",
      },
      {
        name: "divisor",
        type: "number?",
        min: -1e9,
        max: 1e9,
        default: null,
        description: "Divides the weighted sum; defaults to the kernel's sum, or 1 when that is 0. Must not be 0.",
      },
      number("offset", -255, 255, 0, "Added after dividing."),
    ],
    radius: (p) => (Math.sqrt((p.kernel as readonly number[]).length) - 1) / 2,
    check: (p) => (p.divisor === 0 ? "divisor must not be 0; leave it out to use the kernel's sum" : null),
  },
  {
    name: "sobel",
    category: "edge",
    kind: "local",
    description: "Sobel gradient magnitude √(gx²+gy²) of luma, clamped to 0..255, written as grey.",
    params: [],
    radius: () => 1,
  },
  {
    name: "prewitt",
    category: "edge",
    kind: "local",
    description: "Prewitt gradient magnitude √(gx²+gy²) of luma, clamped to 0..255, written as grey.",
    params: [],
    radius: () => 1,
  },
  {
    name: "scharr",
    category: "edge",
    kind: "local",
    description: "Scharr gradient magnitude √(gx²+gy²) of luma, clamped to 0..255, written as grey.",
    params: [],
    radius: () => 1,
  },
  {
    name: "laplacian",
    category: "edge",
    kind: "local",
    description: "Absolute 4-neighbour Laplacian of luma, clamped to 0..255, written as grey.",
    params: [],
    radius: () => 1,
  },
  {
    name: "canny",
    category: "edge",
    kind: "global",
    description:
      "Canny edges of luma: gaussian(σ), Sobel, non-maximum suppression, hysteresis between low and high. Edges are white on black.",
    params: [
      number("low", 0, 1500, 50, "Gradient magnitude below which a pixel is never an edge."),
      number("high", 0, 1500, 150, "Gradient magnitude above which a pixel is always an edge."),
      number("sigma", 0.3, 10, 1.4, "Standard deviation of the smoothing blur, in pixels."),
    ],
    // gaussian reach + 1 for the Sobel stencil + 1 for non-maximum suppression
    radius: (p) => Math.ceil(3 * num(p, "sigma")) + 2,
    check: (p) => (num(p, "low") > num(p, "high") ? `low (${num(p, "low")}) must not exceed high (${num(p, "high")})` : null),
  },
  {
    name: "grayscale",
    category: "colour",
    kind: "point",
    description: "Grey from gamma-encoded RGB: Rec.709, Rec.601 or plain average weights.",
    params: [
      {
        name: "mode",
        type: "enum",
        values: ["rec709", "rec601", "average"],
        default: "rec709",
        description: "Weights: rec709 (0.2126, 0.7152, 0.0722), rec601 (0.299, 0.587, 0.114) or average.",
      },
    ],
    radius: none,
  },
  { name: "invert", category: "colour", kind: "point", description: "255 − c on R, G and B.", params: [], radius: none },
  {
    name: "brightness",
    category: "tone",
    kind: "point",
    description: "Adds delta to R, G and B.",
    params: [int("delta", -255, 255, 0, "Added to each channel, then clamped.")],
    radius: none,
  },
  {
    name: "contrast",
    category: "tone",
    kind: "point",
    description: "Scales each channel's distance from 128 by factor.",
    params: [number("factor", 0, 4, 1, "1 leaves the image unchanged, 0 makes it flat grey.")],
    radius: none,
  },
  {
    name: "gamma",
    category: "tone",
    kind: "point",
    description: "255·(c/255)^(1/γ): γ > 1 brightens mid-tones.",
    params: [number("gamma", 0.1, 10, 1, "Exponent; 1 leaves the image unchanged.")],
    radius: none,
  },
  {
    name: "saturation",
    category: "colour",
    kind: "point",
    description: "luma + factor·(c − luma), with Rec.709 luma.",
    params: [number("factor", 0, 4, 1, "0 is grey, 1 unchanged, above 1 more saturated.")],
    radius: none,
  },
  {
    name: "hue-rotate",
    category: "colour",
    kind: "point",
    description: "Rotates hue with the hue-rotate matrix of the CSS Filter Effects spec.",
    params: [number("degrees", -180, 180, 0, "Angle of rotation.")],
    radius: none,
  },
  {
    name: "sepia",
    category: "colour",
    kind: "point",
    description: "The sepia matrix of the CSS Filter Effects spec.",
    params: [number("amount", 0, 1, 1, "0 unchanged, 1 full sepia.")],
    radius: none,
  },
  {
    name: "threshold",
    category: "threshold",
    kind: "point",
    description: "White where Rec.709 luma ≥ value, else black.",
    params: [number("value", 0, 255, 128, "Luma threshold.")],
    radius: none,
  },
  {
    name: "posterize",
    category: "tone",
    kind: "point",
    description: "Quantises each channel to `levels` evenly spaced values.",
    params: [int("levels", 2, 256, 4, "Number of output values per channel.")],
    radius: none,
  },
  {
    name: "equalize",
    category: "tone",
    kind: "global",
    description: "Histogram equalisation of luma (OpenCV's equalizeHist mapping); the mapping is applied to R, G and B.",
    params: [],
    radius: none,
  },
  {
    name: "normalize",
    category: "tone",
    kind: "global",
    description: "Stretches the low and high luma percentiles to 0 and 255, applied to R, G and B.",
    params: [number("low", 0, 50, 1, "Percentile mapped to 0."), number("high", 50, 100, 99, "Percentile mapped to 255.")],
    radius: none,
  },
  {
    name: "otsu-threshold",
    category: "threshold",
    kind: "global",
    description: "Binarises luma at the threshold Otsu's method picks from the image's histogram.",
    params: [],
    radius: none,
  },
];
