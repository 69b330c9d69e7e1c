// `fast(threshold=20, nonmax=true)`: FAST-9/16 corners of luma, the keypoints and responses of
// OpenCV's FastFeatureDetector (TYPE_9_16). The kernels are kernels/assembly/fast.ts (the
// segment test and score, 16 pixels at a time) and fast-select.ts (non-maximum suppression).
//
// OpenCV tests centres 3 or more pixels inside the image, and with nonmax keeps a corner whose
// score beats its 8 neighbours'. So a corner depends on the pixels within 3 (4 with nonmax) of
// it, and a tile with that halo finds exactly the whole image's corners in its core.
// Without nonmax OpenCV reports a response of 0 (it scores only to suppress); so do we.

import { PipelineError } from "../errors.js";
import { align16, type Heap } from "../wasm.js";
import { checkTile } from "./luma-window.js";
import type { AnalysisData, AnalysisOp, AnalysisTile, Keypoint } from "./types.js";

export interface FastParams {
  /** A circle pixel counts when it is more than this much brighter or darker than the centre (1..255, as the op registry allows). */
  readonly threshold: number;
  /** Keep only corners whose score beats their 8 neighbours'. */
  readonly nonmax: boolean;
}

export const FAST_DEFAULTS: FastParams = Object.freeze({ threshold: 20, nonmax: true });

/** One tile's corners in image coordinates: x, y, response, x, y, response, … */
export type FastPartial = number[];

/** The wasm exports this op uses (kernels/assembly/fast.ts). */
interface FastExports {
  heapBase(): number;
  scratchReset(base: number): void;
  fastScores(src: number, dst: number, w: number, h: number, x0: number, y0: number, x1: number, y1: number, t: number): void;
  fastSelect(map: number, w: number, x0: number, y0: number, x1: number, y1: number, nonmax: number, out: number): number;
}

/** OpenCV's FAST keypoints have a diameter of 7 (the circle) and no orientation. */
const SIZE = 7;
/** Bytes the kernels may read or write past a buffer's end (a v128 beyond a row's last pixel). */
const SLACK = 32;
/** Corners the select kernel may find per call are at most its rows × columns: this many entries. */
const OUT_ENTRIES = 1 << 18;

function bad(param: string, must: string, got: unknown): PipelineError {
  const shown = typeof got === "string" ? JSON.stringify(got) : String(got);
  return new PipelineError(`fast: ${param} must be ${must}, got ${shown}`, { op: "fast", param });
}

/** Throws a PipelineError naming the param when `params` is not a valid FastParams. */
export function checkFastParams(params: FastParams): void {
  if (typeof params !== "object" || params === null) throw bad("params", "an object", params);
  const t = params.threshold;
  if (typeof t !== "number" || !Number.isInteger(t) || t < 1 || t > 255) {
    throw bad("threshold", `an integer between 1 and 255 (default ${FAST_DEFAULTS.threshold})`, t);
  }
  if (typeof params.nonmax !== "boolean") throw bad("nonmax", "true or false (default true)", params.nonmax);
}

/**
 * FastParams from pipeline-style params (`{ threshold: 30, nonmax: "false" }`), defaults filled
 * in; unknown names and bad values are PipelineErrors.
 */
export function fastParams(given: Readonly<Record<string, unknown>> = {}): FastParams {
  for (const name of Object.keys(given)) {
    if (name !== "threshold" && name !== "nonmax") {
      throw new PipelineError(`fast: unknown param "${name}"; fast takes threshold, nonmax`, { op: "fast", param: name });
    }
  }
  let nonmax = given.nonmax ?? FAST_DEFAULTS.nonmax;
  if (nonmax === "true") nonmax = true;
  else if (nonmax === "false") nonmax = false;
  const params = { threshold: given.threshold ?? FAST_DEFAULTS.threshold, nonmax } as FastParams;
  checkFastParams(params);
  return Object.freeze(params);
}

/**
 * [a, b) on a window axis, cut to the centres ≥ 3 from both ends of the image axis. Also ≥ 3
 * from the window's ends, which a well-cut tile's halo already ensures: it keeps the kernel's
 * reads inside the window whatever origin a caller passes.
 */
function inside(a: number, b: number, origin: number, imageSize: number, windowSize: number): [number, number] {
  return [Math.max(a, 3 - origin, 3), Math.min(b, imageSize - 3 - origin, windowSize - 3)];
}

function tile(heap: Heap, t: AnalysisTile, params: FastParams): FastPartial {
  checkFastParams(params);
  checkTile("fast", t);
  const { width: w, height: h, core, origin } = t;
  // The corners this tile reports: its core, where OpenCV tests centres at all.
  const [sx0, sx1] = inside(core.x, core.x + core.width, origin.x, t.image.width, w);
  const [sy0, sy1] = inside(core.y, core.y + core.height, origin.y, t.image.height, h);
  if (sx0 >= sx1 || sy0 >= sy1) return [];
  // Suppression compares with the scores of the ring around them, which must be scored too.
  const rim = params.nonmax ? 1 : 0;
  const [mx0, mx1] = inside(sx0 - rim, sx1 + rim, origin.x, t.image.width, w);
  const [my0, my1] = inside(sy0 - rim, sy1 + rim, origin.y, t.image.height, h);

  const wasm = heap.wasm as unknown as FastExports;
  const src = align16(wasm.heapBase());
  const map = align16(src + w * h + SLACK);
  const out = align16(map + w * h + SLACK);
  const scratch = align16(out + 4 * OUT_ENTRIES + SLACK);
  heap.ensure(scratch + 4096);
  wasm.scratchReset(scratch);
  heap.u8.set(t.grey, src);
  wasm.fastScores(src, map, w, h, mx0, my0, mx1, my1, params.threshold);

  const found: number[] = [];
  const band = Math.max(1, Math.floor(OUT_ENTRIES / (sx1 - sx0)));
  for (let y = sy0; y < sy1; y += band) {
    const n = wasm.fastSelect(map, w, sx0, y, sx1, Math.min(sy1, y + band), params.nonmax ? 1 : 0, out);
    const index = heap.u32;
    const bytes = heap.u8;
    for (let i = 0; i < n; i++) {
      const at = index[(out >>> 2) + i] ?? 0;
      const m = bytes[map + at] ?? 0;
      found.push((at % w) + origin.x, Math.floor(at / w) + origin.y, params.nonmax ? m - 1 : 0);
    }
  }
  return found;
}

function reduce(partials: readonly FastPartial[], image: { width: number; height: number }): AnalysisData {
  // One f64 key per corner, position first, response in the low byte: a typed sort orders by y, x.
  let total = 0;
  for (const p of partials) total += p.length / 3;
  const keys = new Float64Array(total);
  let k = 0;
  for (const p of partials) {
    for (let i = 0; i < p.length; i += 3) {
      keys[k++] = ((p[i + 1] ?? 0) * image.width + (p[i] ?? 0)) * 256 + (p[i + 2] ?? 0);
    }
  }
  keys.sort();
  const keypoints: Keypoint[] = new Array(total);
  for (let i = 0; i < total; i++) {
    const key = keys[i] ?? 0;
    const at = Math.floor(key / 256);
    keypoints[i] = { x: at % image.width, y: Math.floor(at / image.width), response: key % 256, size: SIZE, angle: -1 };
  }
  return { keypoints };
}

/** FAST-9/16 corners as OpenCV's FastFeatureDetector: keypoints sorted by y, then x. */
export const fastOp: AnalysisOp<FastParams, FastPartial> = {
  name: "fast",
  halo(params) {
    checkFastParams(params);
    return params.nonmax ? 4 : 3;
  },
  tile,
  reduce(partials, image, params) {
    checkFastParams(params);
    return reduce(partials, image);
  },
};
