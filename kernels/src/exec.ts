// How each op runs on the wasm kernels. The registry says what an op is; this table says how
// to call it. Point ops that are per-channel tables also expose `lut`, so runs of them fuse
// into a single table pass.

import { resolveHistogramStep } from "./global.js";
import type { Step } from "./pipeline.js";
import type { Params } from "./registry.js";
import type { Heap } from "./wasm.js";

/** One op on one image: `src` and `dst` are w×h RGBA buffers in wasm memory. */
export type Exec = (heap: Heap, p: Params, src: number, dst: number, w: number, h: number) => void;

export interface OpExec {
  run: Exec;
  /** Writes the op's 256-byte per-channel table at `lut`, for fusion. */
  lut?: (heap: Heap, p: Params, lut: number) => void;
}

const num = (p: Params, name: string): number => p[name] as number;

/** Runs a per-channel table op on its own. */
const viaLut =
  (fill: NonNullable<OpExec["lut"]>): Exec =>
  (heap, p, src, dst, w, h) => {
    const lut = heap.take(256);
    fill(heap, p, lut);
    heap.wasm.applyLut(src, dst, w * h, lut);
  };

const fillTable = (heap: Heap, lut: number, f: (i: number) => number): void => {
  const u8 = heap.u8;
  for (let i = 0; i < 256; i++) u8[lut + i] = f(i);
};

const lutOp = (fill: NonNullable<OpExec["lut"]>): OpExec => ({ run: viaLut(fill), lut: fill });

/** Row-major 3×3 matrices of the CSS Filter Effects spec and of `saturation`. */
export function colourMatrix(op: string, p: Params): number[] {
  if (op === "saturation") {
    const s = num(p, "factor");
    const [r, g, b] = [0.2126, 0.7152, 0.0722];
    return [r + s * (1 - r), g - s * g, b - s * b, r - s * r, g + s * (1 - g), b - s * b, r - s * r, g - s * g, b + s * (1 - b)];
  }
  if (op === "hue-rotate") {
    const a = (num(p, "degrees") * Math.PI) / 180;
    const c = Math.cos(a);
    const s = Math.sin(a);
    return [
      0.213 + c * 0.787 - s * 0.213,
      0.715 - c * 0.715 - s * 0.715,
      0.072 - c * 0.072 + s * 0.928,
      0.213 - c * 0.213 + s * 0.143,
      0.715 + c * 0.285 + s * 0.14,
      0.072 - c * 0.072 - s * 0.283,
      0.213 - c * 0.213 - s * 0.787,
      0.715 - c * 0.715 + s * 0.715,
      0.072 + c * 0.928 + s * 0.072,
    ];
  }
  const t = 1 - num(p, "amount"); // sepia
  return [
    0.393 + 0.607 * t,
    0.769 - 0.769 * t,
    0.189 - 0.189 * t,
    0.349 - 0.349 * t,
    0.686 + 0.314 * t,
    0.168 - 0.168 * t,
    0.272 - 0.272 * t,
    0.534 - 0.534 * t,
    0.131 + 0.869 * t,
  ];
}

const matrixOp =
  (op: string): Exec =>
  (heap, p, src, dst, w, h) => {
    const m = heap.take(36);
    heap.f32.set(colourMatrix(op, p), m >>> 2);
    heap.wasm.colorMatrix(src, dst, w * h, m);
  };

const gradient =
  (edge: number, centre: number): Exec =>
  (heap, _p, src, dst, w, h) =>
    heap.wasm.gradient(src, dst, w, h, edge, centre);

const GREY_WEIGHTS: Record<string, [number, number, number]> = {
  rec709: [2126, 7152, 722],
  rec601: [299, 587, 114],
  average: [1, 1, 1],
};

/** The luma histogram of a w×h RGBA buffer in wasm memory (a fresh copy). */
export function lumaHistogram(heap: Heap, src: number, pixels: number): Uint32Array {
  const hist = heap.take(256 * 4);
  heap.wasm.lumaHistogram(src, pixels, hist);
  return heap.u32.slice(hist >>> 2, (hist >>> 2) + 256);
}

/**
 * A histogram op on a whole image: the same resolution the engine makes from summed tile
 * histograms, so whole-image and tiled runs share one path by construction.
 */
const viaHistogram =
  (op: string): Exec =>
  (heap, params, src, dst, w, h) =>
    runResolved(heap, resolveHistogramStep({ op, params }, lumaHistogram(heap, src, w * h)), src, dst, w, h);

/**
 * luma ≥ value ⇔ S ≥ 10000·value ⇔ S ≥ ceil(10000·value), S = 2126R+7152G+722B being an
 * integer. 10000·value is snapped first when it is within 1e-6 of an integer, so that
 * value=0.1 means S ≥ 1000 rather than S ≥ 1001 (0.1·10000 is 1000.0000000000001 in f64).
 */
export function minLumaFor(value: number): number {
  const t = 10000 * value;
  const nearest = Math.round(t);
  return Math.abs(t - nearest) < 1e-6 ? nearest : Math.ceil(t);
}

/** Runs a global step that the engine resolved (see Resolution in pipeline.ts). */
export function runResolved(heap: Heap, step: Step, src: number, dst: number, w: number, h: number): void {
  const r = step.resolution;
  if (r?.kind === "table") {
    const lut = heap.take(256);
    heap.u8.set(r.table, lut);
    heap.wasm.applyLut(src, dst, w * h, lut);
  } else if (r?.kind === "threshold") {
    heap.wasm.threshold(src, dst, w * h, r.minLuma);
  } else if (r?.kind === "canny-classify") {
    heap.wasm.cannyClassify(src, dst, w, h, num(step.params, "sigma"), num(step.params, "low"), num(step.params, "high"));
  }
}

export const executors: Readonly<Record<string, OpExec>> = {
  "box-blur": { run: (heap, p, src, dst, w, h) => heap.wasm.boxBlur(src, dst, w, h, num(p, "radius")) },
  "gaussian-blur": { run: (heap, p, src, dst, w, h) => heap.wasm.gaussianBlur(src, dst, w, h, num(p, "sigma")) },
  sharpen: { run: (heap, p, src, dst, w, h) => heap.wasm.sharpen(src, dst, w, h, num(p, "sigma"), num(p, "amount")) },
  median: { run: (heap, p, src, dst, w, h) => heap.wasm.median(src, dst, w, h, num(p, "radius")) },
  convolve: {
    run: (heap, p, src, dst, w, h) => {
      const kernel = p.kernel as readonly number[];
      const sum = kernel.reduce((a, b) => a + b, 0);
      const divisor = (p.divisor as number | null) ?? (sum === 0 ? 1 : sum);
      const k = heap.take(kernel.length * 4);
      heap.f32.set(kernel, k >>> 2);
      heap.wasm.convolve(src, dst, w, h, k, Math.sqrt(kernel.length), divisor, num(p, "offset"));
    },
  },
  sobel: { run: gradient(1, 2) },
  prewitt: { run: gradient(1, 1) },
  scharr: { run: gradient(3, 10) },
  laplacian: { run: (heap, _p, src, dst, w, h) => heap.wasm.laplacian(src, dst, w, h) },
  canny: {
    run: (heap, p, src, dst, w, h) => heap.wasm.canny(src, dst, w, h, num(p, "sigma"), num(p, "low"), num(p, "high")),
  },
  grayscale: {
    run: (heap, p, src, dst, w, h) => {
      const [r, g, b] = GREY_WEIGHTS[p.mode as string] ?? [2126, 7152, 722];
      heap.wasm.grayscale(src, dst, w * h, r, g, b);
    },
  },
  invert: {
    run: (heap, _p, src, dst, w, h) => heap.wasm.invert(src, dst, w * h),
    lut: (heap, _p, lut) => fillTable(heap, lut, (i) => 255 - i),
  },
  brightness: {
    run: (heap, p, src, dst, w, h) => heap.wasm.brightness(src, dst, w * h, num(p, "delta")),
    lut: (heap, p, lut) => fillTable(heap, lut, (i) => Math.min(255, Math.max(0, i + num(p, "delta")))),
  },
  contrast: lutOp((heap, p, lut) => heap.wasm.lutContrast(lut, num(p, "factor"))),
  gamma: lutOp((heap, p, lut) => heap.wasm.lutGamma(lut, num(p, "gamma"))),
  posterize: lutOp((heap, p, lut) => heap.wasm.lutPosterize(lut, num(p, "levels"))),
  saturation: { run: matrixOp("saturation") },
  "hue-rotate": { run: matrixOp("hue-rotate") },
  sepia: { run: matrixOp("sepia") },
  threshold: {
    run: (heap, p, src, dst, w, h) => heap.wasm.threshold(src, dst, w * h, minLumaFor(num(p, "value"))),
  },
  equalize: { run: viaHistogram("equalize") },
  normalize: { run: viaHistogram("normalize") },
  "otsu-threshold": { run: viaHistogram("otsu-threshold") },
};
