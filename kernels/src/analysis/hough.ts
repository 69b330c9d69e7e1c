// hough-lines(rho=1, theta=1, threshold=150): lines through the non-zero pixels of luma, as
// OpenCV's standard HoughLines(src, lines, rho, theta·π/180, threshold). Geometry and float
// values: hough-geometry.ts. Peaks: a bin with more than `threshold` votes that beats its
// 4 neighbours in OpenCV's asymmetric way (> the lower-r and lower-angle bins, ≥ the higher
// ones; no wrap-around between the first and last angle). Order: votes descending, then bin
// index (angle, then r), as OpenCV's sort comparator breaks ties.
//
// Tiles: each votes with its core's non-zero pixels only (no halo), in image coordinates, so
// the partial accumulators sum to the whole image's exactly; the reduce sums them and finds
// the peaks once. A tile's votes fall in a window of r per angle bounded by its corners, and
// its partial is that window as runs of non-zero bins, [angle, first bin + 1, length, votes…]…,
// written by wasm as text with 5 bits a character (kernels/assembly/hough.ts, houghRuns): most
// votes take one character, and a string is cheap to clone and to put in JSON.

import { KernelError, PipelineError } from "../errors.js";
import { align16, type Heap } from "../wasm.js";
import { type HoughGeometry, houghGeometry, lineOf, voteRange } from "./hough-geometry.js";
import { checkTile, placeWindow } from "./luma-window.js";
import type { AnalysisOp, AnalysisTile, HoughLine } from "./types.js";

export interface HoughParams {
  /** Distance resolution of the accumulator, in pixels. */
  readonly rho: number;
  /** Angle resolution of the accumulator, in degrees. */
  readonly theta: number;
  /** Votes a line needs: strictly more than this. */
  readonly threshold: number;
}

export const HOUGH_DEFAULTS: HoughParams = Object.freeze({ rho: 1, theta: 1, threshold: 150 });

/** A tile's votes: runs of [angle, first rho bin + 1, length, votes × length] as text (see houghRuns). */
export interface HoughPartial {
  runs: string;
}

interface HoughExports {
  houghVotes(
    src: number,
    stride: number,
    w: number,
    h: number,
    ox: number,
    oy: number,
    tab: number,
    angles4: number,
    acc: number,
    rowWidth: number,
  ): number;
  houghRuns(acc: number, numAngle: number, rowWidth: number, first: number, out: number): number;
}

/** The registry's ranges (analysis/definitions.ts). */
const RANGES = {
  rho: { min: 0.1, max: 100, integer: false },
  theta: { min: 0.01, max: 180, integer: false },
  threshold: { min: 1, max: 1_000_000, integer: true },
} as const;

/** Checks params (the engine's resolved values, or any object) and returns them typed. */
export function checkHoughParams(params: unknown): HoughParams {
  if (typeof params !== "object" || params === null)
    throw new PipelineError("hough-lines: params must be an object", { op: "hough-lines" });
  const given = params as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!(name in RANGES)) {
      throw new PipelineError(`hough-lines: unknown param "${name}"; hough-lines takes rho, theta, threshold`, {
        op: "hough-lines",
        param: name,
      });
    }
  }
  const out: Record<string, number> = {};
  for (const [name, range] of Object.entries(RANGES)) {
    const value = given[name] ?? HOUGH_DEFAULTS[name as keyof HoughParams];
    const ok =
      typeof value === "number" && value >= range.min && value <= range.max && (!range.integer || Number.isInteger(value));
    if (!ok) {
      const kind = range.integer ? "an integer" : "a number";
      const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
      const def = HOUGH_DEFAULTS[name as keyof HoughParams];
      throw new PipelineError(
        `hough-lines: ${name} must be ${kind} between ${range.min} and ${range.max} (default ${def}), got ${shown}`,
        {
          op: "hough-lines",
          param: name,
        },
      );
    }
    out[name] = value;
  }
  return out as unknown as HoughParams;
}

// The partial text is ASCII, so UTF-8 round-trips it byte for byte.
const ascii = new TextDecoder();
const bytesOf = new TextEncoder();

function tile(heap: Heap, t: AnalysisTile, params: HoughParams): HoughPartial {
  const p = checkHoughParams(params);
  checkTile("hough-lines", t);
  const g = houghGeometry(t.image.width, t.image.height, p.rho, p.theta);
  const { width: w, height: h } = t.core;
  if (w === 0 || h === 0) return { runs: "" };
  const x0 = t.origin.x + t.core.x;
  const y0 = t.origin.y + t.core.y;

  // Each angle's window of rounded r over the core; `first` is its first bin.
  const angles4 = (g.numAngle + 3) & ~3;
  const lo = new Int32Array(angles4);
  const first = new Int32Array(g.numAngle);
  let rowWidth = 1;
  for (let n = 0; n < g.numAngle; n++) {
    const [min, max] = voteRange(g, n, x0, y0, x0 + w - 1, y0 + h - 1);
    lo[n] = min;
    first[n] = min + g.half;
    // OpenCV itself would write outside its accumulator here; no valid size and rho reach it.
    if ((first[n] as number) < -1)
      throw new KernelError("KERNEL_FAILED", `hough-lines: rho bin ${first[n]} below the accumulator`);
    rowWidth = Math.max(rowWidth, max - min + 1);
  }
  const tabBytes = angles4 * 16;
  const accBytes = angles4 * rowWidth * 4;
  const at = placeWindow(heap, t, tabBytes + accBytes + 32);
  const tab = at.free;
  const acc = align16(tab + tabBytes);
  const out = acc + accBytes;
  const buffer = heap.wasm.memory.buffer;
  const cos = new Float32Array(buffer, tab, angles4);
  const sin = new Float32Array(buffer, tab + angles4 * 4, angles4);
  const off = new Int32Array(buffer, tab + angles4 * 8, angles4);
  cos.fill(0);
  sin.fill(0);
  cos.set(g.cos);
  sin.set(g.sin);
  for (let n = 0; n < angles4; n++) off[n] = n * rowWidth - (lo[n] as number);
  // The bin of each window's start, for houghRuns, after the three tables.
  new Int32Array(buffer, tab + angles4 * 12, g.numAngle).set(first);
  const wasm = heap.wasm as unknown as HoughExports;
  const voters = wasm.houghVotes(at.core, at.stride, w, h, x0, y0, tab, angles4, acc, rowWidth);
  if (voters === 0) return { runs: "" };
  const bytes = wasm.houghRuns(acc, g.numAngle, rowWidth, tab + angles4 * 12, out);
  return { runs: ascii.decode(heap.u8.subarray(out, out + bytes)) };
}

function malformed(why: string): KernelError {
  return new KernelError(
    "KERNEL_FAILED",
    `hough-lines: a tile's partial result is malformed (${why}); partials must come from houghLinesOp.tile`,
  );
}

/**
 * Adds one partial's runs to the accumulator: the inverse of houghRuns, one pass over the
 * characters (5 bits each, low first, 32 added while more follow).
 */
function addRuns(acc: Int32Array, runs: string, g: HoughGeometry): void {
  const text = bytesOf.encode(runs);
  const stride = g.numRho + 2;
  let field = 0; // 0 angle, 1 first bin + 1, 2 length, 3 votes
  let value = 0;
  let scale = 1;
  let angle = 0;
  let first = 0;
  let at = 0;
  let left = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as number;
    const d = c - (c > 92 ? 49 : 48);
    if (d < 0 || d > 63 || c === 92) throw malformed(`character ${i}`);
    value += (d & 31) * scale;
    if (d >= 32) {
      scale *= 32;
      if (scale > 2 ** 30) throw malformed(`number at ${i}`);
      continue;
    }
    if (field === 3) {
      acc[at] = (acc[at] as number) + value;
      at++;
      if (--left === 0) field = 0;
    } else if (field === 0) {
      angle = value;
      field = 1;
    } else if (field === 1) {
      // Stored + 1: OpenCV's own votes may land in the padding at r = −1 (or numRho) for degenerate sizes.
      first = value - 1;
      field = 2;
    } else {
      if (!(angle < g.numAngle && value >= 1 && first + value <= g.numRho + 1)) throw malformed(`run ending at ${i}`);
      at = (angle + 1) * stride + first + 1;
      left = value;
      field = 3;
    }
    value = 0;
    scale = 1;
  }
  if (field !== 0 || scale !== 1) throw malformed("cut short");
}

/**
 * The last accumulator, kept for the next reduce when it is at most this many bins (32 MB):
 * a fresh one is fresh memory, and faulting its pages in can cost more than the votes
 * (7 MB at 12 MP: ~25 ms on a small VM, against ~2 ms to clear a warm one).
 */
const KEEP_BINS = 8 * 1024 * 1024;
let kept: Int32Array | undefined;

/** A zeroed accumulator of `bins`: the kept one cleared when it is large enough. */
function zeroedAccumulator(bins: number): Int32Array {
  if (kept && kept.length >= bins) {
    const acc = kept.subarray(0, bins);
    acc.fill(0);
    return acc;
  }
  const acc = new Int32Array(bins);
  if (bins <= KEEP_BINS) kept = acc;
  return acc;
}

/** The summed accumulator, padded by one bin on every side as OpenCV's is. */
function sumVotes(partials: readonly HoughPartial[], g: HoughGeometry): Int32Array {
  const acc = zeroedAccumulator((g.numAngle + 2) * (g.numRho + 2));
  for (const { runs } of partials) {
    if (typeof runs !== "string") throw malformed("runs is not text");
    addRuns(acc, runs, g);
  }
  return acc;
}

function reduce(
  partials: readonly HoughPartial[],
  image: { width: number; height: number },
  params: HoughParams,
): { lines: HoughLine[] } {
  const p = checkHoughParams(params);
  const g = houghGeometry(image.width, image.height, p.rho, p.theta);
  const acc = sumVotes(partials, g);
  const stride = g.numRho + 2;
  const peaks = findPeaks(acc, g, p.threshold);
  peaks.sort((a, b) => (acc[b] as number) - (acc[a] as number) || a - b);
  return {
    lines: peaks.map((base) => {
      const n = Math.floor(base / stride) - 1;
      const r = base - (n + 1) * stride - 1;
      return { ...lineOf(g, n, r), votes: acc[base] as number };
    }),
  };
}

/**
 * The bins of `acc` (padded as sumVotes makes it) with more than `threshold` votes that beat
 * their 4 neighbours in OpenCV's asymmetric way, in bin order. A function of its own, with one
 * typed-array type, so the engine optimises the loop over every bin on its own.
 */
function findPeaks(acc: Int32Array, g: HoughGeometry, threshold: number): number[] {
  const stride = g.numRho + 2;
  const peaks: number[] = [];
  for (let n = 0; n < g.numAngle; n++) {
    const end = (n + 1) * stride + g.numRho + 1;
    for (let base = (n + 1) * stride + 1; base < end; base++) {
      const v = acc[base] as number;
      // Most bins are under the threshold: that one compare comes first, the neighbours after.
      if (v <= threshold) continue;
      if (
        v > (acc[base - 1] as number) &&
        v >= (acc[base + 1] as number) &&
        v > (acc[base - stride] as number) &&
        v >= (acc[base + stride] as number)
      ) {
        peaks.push(base);
      }
    }
  }
  return peaks;
}

/** The `hough-lines` analysis op: standard Hough lines of the non-zero pixels of luma. */
export const houghLinesOp: AnalysisOp<HoughParams, HoughPartial> = {
  name: "hough-lines",
  halo: (params) => {
    checkHoughParams(params);
    return 0;
  },
  tile,
  reduce,
};
