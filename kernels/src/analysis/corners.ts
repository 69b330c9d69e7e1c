// `corners(max=1000, quality=0.01, min-distance=10, block=3, method=shi-tomasi|harris, k=0.04)`:
// OpenCV's goodFeaturesToTrack on luma (3×3 Sobel aperture). The response map and the local
// candidate test are kernels/assembly/corners.ts and corners-select.ts; the rest is global
// and lives in the reduce:
//
//   tile    response over the window (reflect-101 at its edges), the largest response of the
//           core, and the core's candidates: v ≥ its 8 neighbours, v > quality × that largest
//           (the image's largest is no smaller, so nothing dropped here could survive)
//   reduce  T = (float)(quality × the largest of all tiles); candidates v > T by v descending,
//           ties by position descending (OpenCV's pointer order); the greedy rule keeps one
//           unless a kept one lies closer than min-distance; at most `max`.
//
// A response depends on the pixels within ⌊block/2⌋ + 1, the candidate test on its neighbours'
// responses: halo ⌊block/2⌋ + 2.

import { PipelineError } from "../errors.js";
import { align16, type Heap } from "../wasm.js";
import { pickCorners } from "./corners-pick.js";
import { checkTile } from "./luma-window.js";
import type { AnalysisData, AnalysisOp, AnalysisTile } from "./types.js";

export type CornerMethod = "shi-tomasi" | "harris";

export interface CornersParams {
  /** At most this many corners (1..100000). */
  readonly max: number;
  /** Fraction of the strongest response a corner must exceed (0.0001..1). */
  readonly quality: number;
  /** Kept corners are at least this far apart, in pixels (0..1000; below 1 no rule). */
  readonly minDistance: number;
  /** Side of the box the gradient products are summed over (2..31). */
  readonly block: number;
  readonly method: CornerMethod;
  /** Harris's k (0.001..0.5; unused by shi-tomasi). */
  readonly k: number;
}

export const CORNERS_DEFAULTS: CornersParams = Object.freeze({
  max: 1000,
  quality: 0.01,
  minDistance: 10,
  block: 3,
  method: "shi-tomasi",
  k: 0.04,
});

/**
 * One tile's share: the largest response of its core (null for no pixel, as JSON has no
 * −Infinity) and its candidates in image coordinates: x, y, response, x, y, response, …
 */
export interface CornersPartial {
  max: number | null;
  points: number[];
}

/** The wasm exports this op uses (kernels/assembly/corners.ts). */
interface CornersExports {
  heapBase(): number;
  scratchReset(base: number): void;
  cornerResponse(src: number, dst: number, w: number, h: number, block: number, harris: number, k: number): void;
  cornerMax(map: number, w: number, x0: number, y0: number, x1: number, y1: number): number;
  cornerSelect(map: number, w: number, x0: number, y0: number, x1: number, y1: number, floor: number, out: number): number;
}

/** Bytes the kernels may read or write past a buffer's end. */
const SLACK = 32;
/** Candidates one select call may return are at most its rows × columns: this many entries. */
const OUT_ENTRIES = 1 << 18;

/** The op registry's ranges (analysis/definitions.ts), so that a direct caller hears the same. */
const RANGES = {
  max: { min: 1, max: 100_000, int: true, text: "max" },
  quality: { min: 0.0001, max: 1, int: false, text: "quality" },
  minDistance: { min: 0, max: 1000, int: false, text: "min-distance" },
  block: { min: 2, max: 31, int: true, text: "block" },
  k: { min: 0.001, max: 0.5, int: false, text: "k" },
} as const;

function bad(param: string, must: string, got: unknown): PipelineError {
  const shown = typeof got === "string" ? JSON.stringify(got) : String(got);
  return new PipelineError(`corners: ${param} must be ${must}, got ${shown}`, { op: "corners", param });
}

/** Throws a PipelineError naming the param when `params` is not a valid CornersParams. */
export function checkCornersParams(params: CornersParams): void {
  if (typeof params !== "object" || params === null) throw bad("params", "an object", params);
  for (const [key, r] of Object.entries(RANGES)) {
    const v = params[key as keyof typeof RANGES];
    if (typeof v !== "number" || !Number.isFinite(v) || v < r.min || v > r.max || (r.int && !Number.isInteger(v))) {
      const def = CORNERS_DEFAULTS[key as keyof typeof RANGES];
      throw bad(r.text, `${r.int ? "an integer" : "a number"} between ${r.min} and ${r.max} (default ${def})`, v);
    }
  }
  if (params.method !== "shi-tomasi" && params.method !== "harris") {
    throw bad("method", `"shi-tomasi" or "harris" (default "shi-tomasi")`, params.method);
  }
}

const NAMES = ["max", "quality", "min-distance", "block", "method", "k"];

/**
 * CornersParams from pipeline-style params (`{ max: 500, "min-distance": 5, method: "harris" }`),
 * defaults filled in; unknown names and bad values are PipelineErrors.
 */
export function cornersParams(given: Readonly<Record<string, unknown>> = {}): CornersParams {
  for (const name of Object.keys(given)) {
    if (!NAMES.includes(name)) {
      throw new PipelineError(`corners: unknown param "${name}"; corners takes ${NAMES.join(", ")}`, {
        op: "corners",
        param: name,
      });
    }
  }
  const d = CORNERS_DEFAULTS;
  const params = {
    max: given.max ?? d.max,
    quality: given.quality ?? d.quality,
    minDistance: given["min-distance"] ?? d.minDistance,
    block: given.block ?? d.block,
    method: given.method ?? d.method,
    k: given.k ?? d.k,
  } as CornersParams;
  checkCornersParams(params);
  return Object.freeze(params);
}

function tile(heap: Heap, t: AnalysisTile, params: CornersParams): CornersPartial {
  checkCornersParams(params);
  checkTile("corners", t);
  const { width: w, height: h, core, origin } = t;
  const wasm = heap.wasm as unknown as CornersExports;
  const src = align16(wasm.heapBase());
  const map = align16(src + w * h + SLACK);
  const out = align16(map + 4 * w * h + SLACK);
  const scratch = align16(out + 4 * OUT_ENTRIES + SLACK);
  heap.ensure(scratch + 4096);
  wasm.scratchReset(scratch);
  heap.u8.set(t.grey, src);
  wasm.cornerResponse(src, map, w, h, params.block, params.method === "harris" ? 1 : 0, params.k);
  const best = wasm.cornerMax(map, w, core.x, core.y, core.x + core.width, core.y + core.height);
  const partial: CornersPartial = { max: Number.isFinite(best) ? best : null, points: [] };
  if (!(best > 0)) return partial; // the image's threshold is ≥ best × quality: nothing here can pass

  // OpenCV's candidates stay one pixel inside the image (the dilation's border); a well-cut
  // tile's halo keeps them one inside the window too, which bounds the kernel's reads.
  const x0 = Math.max(core.x, 1 - origin.x, 1);
  const x1 = Math.min(core.x + core.width, t.image.width - 1 - origin.x, w - 1);
  const y0 = Math.max(core.y, 1 - origin.y, 1);
  const y1 = Math.min(core.y + core.height, t.image.height - 1 - origin.y, h - 1);
  if (x0 >= x1 || y0 >= y1) return partial;
  const floor = Math.fround(best * params.quality);
  const band = Math.max(1, Math.floor(OUT_ENTRIES / (x1 - x0)));
  for (let y = y0; y < y1; y += band) {
    const n = wasm.cornerSelect(map, w, x0, y, x1, Math.min(y1, y + band), floor, out);
    const index = heap.u32;
    const values = heap.f32;
    for (let i = 0; i < n; i++) {
      const at = index[(out >>> 2) + i] ?? 0;
      partial.points.push((at % w) + origin.x, Math.floor(at / w) + origin.y, values[(map >>> 2) + at] ?? 0);
    }
  }
  return partial;
}

function reduce(
  partials: readonly CornersPartial[],
  image: { width: number; height: number },
  params: CornersParams,
): AnalysisData {
  let best = Number.NEGATIVE_INFINITY;
  for (const p of partials) if (p.max !== null && p.max > best) best = p.max;
  if (!(best > 0)) return { keypoints: [] };
  return { keypoints: pickCorners(partials, image, params, Math.fround(best * params.quality)) };
}

/** goodFeaturesToTrack as keypoints (response: the corner's response, size: block), sorted by y, then x. */
export const cornersOp: AnalysisOp<CornersParams, CornersPartial> = {
  name: "corners",
  halo(params) {
    checkCornersParams(params);
    return (params.block >> 1) + 2;
  },
  tile,
  reduce(partials, image, params) {
    checkCornersParams(params);
    return reduce(partials, image, params);
  },
};
