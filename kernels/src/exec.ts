// How each op runs on the wasm kernels. The registry says what an op is; this table says how
// to call it. Point ops that are per-channel tables also expose `lut`, so runs of them fuse
// into a single table pass.

import { runConvolve } from "./convolve-plan.js";
import { resolveHistogramStep } from "./global.js";
import type { Step } from "./pipeline.js";
import type { Params } from "./registry.js";
import type { Heap } from "./wasm.js";

/** One op on one image: `src` and `dst` are w×h buffers in wasm memory (RGBA unless said otherwise). */
export type Exec = (heap: Heap, p: Params, src: number, dst: number, w: number, h: number) => void;

/** What an op's result is, for the one-channel form: grey, grey if its input was, or colour. */
export type Tone = "writes-grey" | "keeps-grey" | "colour";

export interface OpExec {
  run: Exec;
  /** Writes the op's 256-byte per-channel table at `lut`, for fusion. */
  lut?: (heap: Heap, p: Params, lut: number) => void;
  tone: Tone;
  /** RGBA in, one byte per pixel out: the op's grey result written compactly. */
  toGrey?: Exec;
  /** Grey8 in, grey8 out: the op on a one-channel image (ops with `lut` have this through the table). */
  grey?: Exec;
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

/**
 * A table op's fill, remembered by its params' values: run() takes a pipeline of point ops
 * band by band, and would otherwise fill the table again for every band (gamma's 256 calls of
 * pow in wasm, for each of ~370 bands of a 12 MP image, took more time than the pixels). Keyed
 * by value, not by the params object, since a caller may change a step's params between runs.
 */
const remembered = (fill: NonNullable<OpExec["lut"]>): NonNullable<OpExec["lut"]> => {
  const tables = new Map<string, Uint8Array>();
  return (heap, p, lut) => {
    const key = JSON.stringify(p);
    const known = tables.get(key);
    if (known) {
      heap.u8.set(known, lut);
      return;
    }
    fill(heap, p, lut);
    if (tables.size >= 64) tables.clear(); // a slider's worth of values; bounded all the same
    tables.set(key, heap.u8.slice(lut, lut + 256));
  };
};

const lutOp = (fill: NonNullable<OpExec["lut"]>): OpExec => {
  const lut = remembered(fill);
  return { run: viaLut(lut), lut, tone: "keeps-grey" };
};

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

/** A gradient magnitude op: RGBA out, or with `one` a byte per pixel. */
const gradient = (edge: number, centre: number): OpExec => ({
  run: (heap, _p, src, dst, w, h) => heap.wasm.gradient(src, dst, w, h, edge, centre, 0),
  toGrey: (heap, _p, src, dst, w, h) => heap.wasm.gradient(src, dst, w, h, edge, centre, 1),
  tone: "writes-grey",
});

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

/** The histogram of a grey8 buffer: for grey pixels the luma bin is the value itself. */
function greyHistogram(heap: Heap, src: number, pixels: number): Uint32Array {
  const hist = heap.take(5 * 1024); // the bins, then the kernel's four sub-histograms
  heap.wasm.greyHistogram(src, pixels, hist);
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

/** The same on a grey8 image: equal bins (luma of grey v is v), so the same table or threshold. */
const greyViaHistogram =
  (op: string): Exec =>
  (heap, params, src, dst, w, h) => {
    const r = resolveHistogramStep({ op, params }, greyHistogram(heap, src, w * h)).resolution;
    if (r?.kind === "table") applyTableGrey(heap, r.table, src, dst, w * h);
    else if (r?.kind === "threshold") heap.wasm.thresholdGrey(src, dst, w * h, greyLevelFor(r.minLuma));
  };

/** Grey v passes "luma S ≥ minLuma" when 10000·v ≥ minLuma, so from this value up. */
const greyLevelFor = (minLuma: number): number => Math.ceil(minLuma / 10000);

/** A 256-entry table applied to a grey8 buffer. */
export function applyTableGrey(heap: Heap, table: ArrayLike<number>, src: number, dst: number, pixels: number): void {
  const lut = heap.take(256);
  heap.u8.set(table, lut);
  heap.wasm.applyLutGrey(src, dst, pixels, lut);
}

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

/** Runs a grey-writing RGBA op, then keeps R: for ops without a compact kernel of their own. */
const packAfter =
  (run: Exec): Exec =>
  (heap, p, src, dst, w, h) => {
    // dst is an RGBA-sized buffer: the RGBA result goes there and is packed in place (the
    // pack reads 4 bytes for every byte it writes, ahead of where it writes).
    run(heap, p, src, dst, w, h);
    heap.wasm.packGrey(dst, dst, w * h);
  };

const greyWeights = (p: Params): [number, number, number] => GREY_WEIGHTS[p.mode as string] ?? [2126, 7152, 722];

export const executors: Readonly<Record<string, OpExec>> = {
  "box-blur": { run: (heap, p, src, dst, w, h) => heap.wasm.boxBlur(src, dst, w, h, num(p, "radius")), tone: "keeps-grey" },
  "gaussian-blur": {
    run: (heap, p, src, dst, w, h) => heap.wasm.gaussianBlur(src, dst, w, h, num(p, "sigma")),
    tone: "keeps-grey",
  },
  sharpen: {
    run: (heap, p, src, dst, w, h) => heap.wasm.sharpen(src, dst, w, h, num(p, "sigma"), num(p, "amount")),
    tone: "keeps-grey",
  },
  median: { run: (heap, p, src, dst, w, h) => heap.wasm.median(src, dst, w, h, num(p, "radius")), tone: "keeps-grey" },
  convolve: { run: runConvolve, tone: "keeps-grey" },
  sobel: gradient(1, 2),
  prewitt: gradient(1, 1),
  scharr: gradient(3, 10),
  laplacian: {
    run: (heap, _p, src, dst, w, h) => heap.wasm.laplacian(src, dst, w, h, 0),
    toGrey: (heap, _p, src, dst, w, h) => heap.wasm.laplacian(src, dst, w, h, 1),
    tone: "writes-grey",
  },
  canny: {
    run: (heap, p, src, dst, w, h) => heap.wasm.canny(src, dst, w, h, num(p, "sigma"), num(p, "low"), num(p, "high")),
    // Hysteresis works on the RGBA class map in place; the compact form is packed after it.
    toGrey: packAfter((heap, p, src, dst, w, h) =>
      heap.wasm.canny(src, dst, w, h, num(p, "sigma"), num(p, "low"), num(p, "high")),
    ),
    tone: "writes-grey",
  },
  grayscale: {
    run: (heap, p, src, dst, w, h) => heap.wasm.grayscale(src, dst, w * h, ...greyWeights(p)),
    toGrey: (heap, p, src, dst, w, h) => heap.wasm.grayscaleTo1(src, dst, w * h, ...greyWeights(p)),
    // Grey of grey is itself: (wr + wg + wb)·v / (wr + wg + wb) = v, exactly.
    grey: (heap, _p, src, dst, w, h) => heap.u8.copyWithin(dst, src, src + w * h),
    tone: "writes-grey",
  },
  invert: {
    run: (heap, _p, src, dst, w, h) => heap.wasm.invert(src, dst, w * h),
    lut: (heap, _p, lut) => fillTable(heap, lut, (i) => 255 - i),
    tone: "keeps-grey",
  },
  brightness: {
    run: (heap, p, src, dst, w, h) => heap.wasm.brightness(src, dst, w * h, num(p, "delta")),
    lut: (heap, p, lut) => fillTable(heap, lut, (i) => Math.min(255, Math.max(0, i + num(p, "delta")))),
    tone: "keeps-grey",
  },
  contrast: lutOp((heap, p, lut) => heap.wasm.lutContrast(lut, num(p, "factor"))),
  gamma: lutOp((heap, p, lut) => heap.wasm.lutGamma(lut, num(p, "gamma"))),
  posterize: lutOp((heap, p, lut) => heap.wasm.lutPosterize(lut, num(p, "levels"))),
  // The matrices' rows sum to 1 only up to rounding, so grey is not guaranteed to stay grey.
  saturation: { run: matrixOp("saturation"), tone: "colour" },
  "hue-rotate": { run: matrixOp("hue-rotate"), tone: "colour" },
  sepia: { run: matrixOp("sepia"), tone: "colour" },
  threshold: {
    run: (heap, p, src, dst, w, h) => heap.wasm.threshold(src, dst, w * h, minLumaFor(num(p, "value"))),
    toGrey: (heap, p, src, dst, w, h) => heap.wasm.thresholdTo1(src, dst, w * h, minLumaFor(num(p, "value"))),
    grey: (heap, p, src, dst, w, h) => heap.wasm.thresholdGrey(src, dst, w * h, greyLevelFor(minLumaFor(num(p, "value")))),
    tone: "writes-grey",
  },
  equalize: { run: viaHistogram("equalize"), grey: greyViaHistogram("equalize"), tone: "keeps-grey" },
  normalize: { run: viaHistogram("normalize"), grey: greyViaHistogram("normalize"), tone: "keeps-grey" },
  "otsu-threshold": {
    run: viaHistogram("otsu-threshold"),
    toGrey: (heap, params, src, dst, w, h) => {
      const r = resolveHistogramStep({ op: "otsu-threshold", params }, lumaHistogram(heap, src, w * h)).resolution;
      if (r?.kind === "threshold") heap.wasm.thresholdTo1(src, dst, w * h, r.minLuma);
    },
    grey: greyViaHistogram("otsu-threshold"),
    tone: "writes-grey",
  },
};
