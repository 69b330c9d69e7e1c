import { PipelineError } from "./errors.js";
import type { Step } from "./pipeline.js";

// Global ops reduce the whole image to a 256-bin luma histogram, then become point ops.
// These functions are that second half: pure maths on a histogram, shared by `run()` and by
// the engine, which sums per-tile histograms before calling them.

/** Histogram bins are Rec.709 luma rounded half up: floor((2·S + 10000) / 20000), S = 2126R+7152G+722B. */
export const HISTOGRAM_BINS = 256;

/** A 256-entry table as used by the LUT kernel. */
export type Lut = Uint8Array;

const identity = (): Lut => Uint8Array.from({ length: 256 }, (_, i) => i);
const total = (hist: ArrayLike<number>): number => {
  let n = 0;
  for (let i = 0; i < HISTOGRAM_BINS; i++) n += hist[i] ?? 0;
  return n;
};

/** cvRound: round half to even, as OpenCV's saturate_cast<uchar>(float) does. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * OpenCV's equalizeHist mapping, computed the same way (f32 scale, half-even rounding) so a
 * grey image equalises to exactly OpenCV's bytes. Values below the darkest bin map to 0; a
 * single-level image is left unchanged.
 */
export function equalizeLut(hist: ArrayLike<number>): Lut {
  const n = total(hist);
  let first = 0;
  while (first < 255 && (hist[first] ?? 0) === 0) first++;
  const lowest = hist[first] ?? 0;
  if (lowest === n) return identity();
  const scale = Math.fround(255 / Math.fround(n - lowest));
  const lut = new Uint8Array(256);
  let sum = 0;
  for (let i = first + 1; i < 256; i++) {
    sum += hist[i] ?? 0;
    lut[i] = Math.min(255, Math.max(0, roundHalfEven(Math.fround(Math.fround(sum) * scale))));
  }
  return lut;
}

/** The luma at 0-based rank k of the sorted pixels. */
function valueAtRank(hist: ArrayLike<number>, k: number): number {
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += hist[v] ?? 0;
    if (seen > k) return v;
  }
  return 255;
}

/**
 * Maps the luma at the `low` percentile to 0 and at the `high` percentile to 255, linearly,
 * rounded half up. Percentile p is the value at rank floor(p/100 · (N−1)) (0 is the darkest
 * pixel, 100 the brightest). If both land on one value, the image is left unchanged.
 */
export function normalizeLut(hist: ArrayLike<number>, low: number, high: number): Lut {
  const n = total(hist);
  const lo = valueAtRank(hist, Math.floor((low / 100) * (n - 1)));
  const hi = valueAtRank(hist, Math.floor((high / 100) * (n - 1)));
  if (hi <= lo) return identity();
  return Uint8Array.from({ length: 256 }, (_, v) => Math.min(255, Math.max(0, Math.floor(((v - lo) * 255) / (hi - lo) + 0.5))));
}

/**
 * Otsu's threshold, step for step as OpenCV's getThreshVal_Otsu_8u computes it: the level t
 * that maximises the between-class variance; pixels with luma bin > t become white.
 */
export function otsuLevel(hist: ArrayLike<number>): number {
  const FLT_EPSILON = 1.1920928955078125e-7;
  const scale = 1 / total(hist);
  let mu = 0;
  for (let i = 0; i < 256; i++) mu += i * (hist[i] ?? 0);
  mu *= scale;
  let q1 = 0;
  let mu1 = 0;
  let maxSigma = 0;
  let best = 0;
  for (let i = 0; i < 256; i++) {
    const p = (hist[i] ?? 0) * scale;
    mu1 *= q1;
    q1 += p;
    const q2 = 1 - q1;
    if (Math.min(q1, q2) < FLT_EPSILON || Math.max(q1, q2) > 1 - FLT_EPSILON) continue;
    mu1 = (mu1 + i * p) / q1;
    const mu2 = (mu - q1 * mu1) / q2;
    const sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > maxSigma) {
      maxSigma = sigma;
      best = i;
    }
  }
  return best;
}

/** The exact-luma threshold (S ≥ this) equivalent to "luma bin > level". */
export const lumaAboveBin = (level: number): number => 10000 * level + 5000;

/** Global ops that reduce to a luma histogram (canny reduces to a class map instead). */
export const HISTOGRAM_OPS: ReadonlySet<string> = new Set(["equalize", "normalize", "otsu-threshold"]);

/**
 * Turns a histogram op into its resolved, tile-by-tile form, given the histogram of the whole
 * image it applies to (the sum of the tiles' histograms).
 */
export function resolveHistogramStep(step: Step, hist: ArrayLike<number>): Step {
  switch (step.op) {
    case "equalize":
      return { ...step, resolution: { kind: "table", table: [...equalizeLut(hist)] } };
    case "normalize":
      return {
        ...step,
        resolution: { kind: "table", table: [...normalizeLut(hist, step.params.low as number, step.params.high as number)] },
      };
    case "otsu-threshold":
      return { ...step, resolution: { kind: "threshold", minLuma: lumaAboveBin(otsuLevel(hist)) } };
    default:
      throw new PipelineError(`${step.op} is not a histogram op; resolveHistogramStep takes ${[...HISTOGRAM_OPS].join(", ")}`, {
        op: step.op,
      });
  }
}
