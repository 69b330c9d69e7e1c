// `orb(max=500)`: ORB keypoints of luma with 256-bit descriptors, as OpenCV's cv.ORB(max) with
// its defaults (scale factor 1.2, 8 levels, edge threshold 31, first level 0, WTA_K 2, Harris
// score, patch 31, FAST threshold 20). Per level of the pyramid (orb-pyramid.ts): FAST-9 corners
// with non-maximum suppression, 31 or more pixels from the level's edges (fast.ts's kernels);
// the FAST and Harris cuts of orb-select.ts; orientation by intensity centroid; steered BRIEF on
// the level blurred by a 7×7 Gaussian (kernels/assembly/orb*.ts). A keypoint is reported at its
// level position × scale_l with size 31·scale_l, as OpenCV does.
//
// The descriptors use our own sampling pattern (orb-pattern.ts), not OpenCV's learned one: they
// are ORB descriptors, but not bit-compatible with OpenCV's.
//
// Tiles: each tile rebuilds the part of every level its window determines exactly and reports
// the keypoints whose level-0 position lies in its core (HALO: orb-pyramid.ts).

import { KernelError } from "../errors.js";
import { align16, type Heap } from "../wasm.js";
import { checkOrbParams, type OrbParams } from "./orb-params.js";
import { orbPattern } from "./orb-pattern.js";
import {
  EDGE,
  FAST_THRESHOLD,
  featuresPerLevel,
  HALO,
  LEVELS,
  levelScale,
  levelSizes,
  ownedSpan,
  PATCH,
  REACH,
  resizeAxis,
  roundEven,
  type Span,
} from "./orb-pyramid.js";
import { type OrbPartial, scoreFloor, selectKeypoints, undominated } from "./orb-select.js";
import type { AnalysisOp, AnalysisTile } from "./types.js";

export { checkOrbParams, ORB_DEFAULTS, type OrbParams, orbParams } from "./orb-params.js";
export { orbPattern } from "./orb-pattern.js";
export type { OrbPartial } from "./orb-select.js";

/** The wasm exports this op uses (kernels/assembly/fast.ts, orb.ts, orb-describe.ts). */
interface OrbExports {
  heapBase(): number;
  scratchReset(base: number): void;
  fastScores(src: number, dst: number, w: number, h: number, x0: number, y0: number, x1: number, y1: number, t: number): void;
  fastSelect(map: number, w: number, x0: number, y0: number, x1: number, y1: number, nonmax: number, out: number): number;
  orbResize(src: number, sw: number, sh: number, dst: number, dw: number, dh: number, xt: number, yt: number): void;
  orbHarris(img: number, w: number, pts: number, n: number, out: number): void;
  orbAngles(img: number, w: number, pts: number, n: number, out: number): void;
  orbDescribe(img: number, w: number, pts: number, n: number, rotations: number, pattern: number, out: number): void;
}

/** Bytes the kernels may read or write past a buffer's end. */
const SLACK = 32;
/** Corners one select call may return: its band's rows × columns stay below this. */
const OUT_ENTRIES = 1 << 18;

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 of 32 bytes (no Buffer or btoa: the package runs in browsers and workers alike). */
function base64(bytes: Uint8Array, at: number): string {
  let s = "";
  for (let i = 0; i < 32; i += 3) {
    const a = bytes[at + i] ?? 0;
    const b = i + 1 < 32 ? (bytes[at + i + 1] ?? 0) : 0;
    const c = i + 2 < 32 ? (bytes[at + i + 2] ?? 0) : 0;
    const n = (a << 16) | (b << 8) | c;
    s += BASE64[n >> 18] ?? "";
    s += BASE64[(n >> 12) & 63] ?? "";
    s += i + 1 < 32 ? (BASE64[(n >> 6) & 63] ?? "") : "=";
    s += i + 2 < 32 ? (BASE64[n & 63] ?? "") : "=";
  }
  return s;
}

const RADIANS = Math.fround(Math.PI / 180);

/**
 * The angle in degrees [0, 360) of the moments (i32 bits as read from a u32 view): OpenCV 4.12's
 * fastAtan2 is accurate to f32, as atan2 in f64 rounded to f32 is (its keypoints agree bit for bit).
 */
function orientation(m01: number, m10: number): number {
  let a = Math.atan2(m01 | 0, m10 | 0) * (180 / Math.PI);
  if (a < 0) a += 360;
  return Math.fround(a);
}

/** Whether `inner` (non-empty) grown by REACH lies inside `have`. */
const covers = (have: Span, inner: Span): boolean => inner.lo - REACH >= have.lo && inner.hi + REACH <= have.hi;

function tile(heap: Heap, t: AnalysisTile, params: OrbParams): OrbPartial {
  checkOrbParams(params);
  const quotas = featuresPerLevel(params.max);
  const widths = levelSizes(t.image.width);
  const heights = levelSizes(t.image.height);
  const wasm = heap.wasm as unknown as OrbExports;
  const partial: OrbPartial = { fast: [], points: [], descriptors: [] };
  const core = { x0: t.origin.x + t.core.x, y0: t.origin.y + t.core.y };
  const core1 = { x: core.x0 + t.core.width, y: core.y0 + t.core.height };

  // Two level buffers (level l − 1 and l) sized for level 0, the FAST map, then per-level data.
  const bytes = t.width * t.height + SLACK;
  const bufs = [align16(wasm.heapBase()), 0];
  bufs[1] = align16((bufs[0] ?? 0) + bytes);
  const map = align16((bufs[1] ?? 0) + bytes);
  const dyn = align16(map + bytes);
  heap.ensure(dyn);
  heap.u8.set(t.grey, bufs[0]);
  let xs: Span = { lo: t.origin.x, hi: t.origin.x + t.width };
  let ys: Span = { lo: t.origin.y, hi: t.origin.y + t.height };

  for (let l = 0; l < LEVELS; l++) {
    partial.fast.push([]);
    partial.points.push([]);
    partial.descriptors.push([]);
  }
  for (let l = 0; l < LEVELS; l++) {
    const W = widths[l] ?? 0;
    const H = heights[l] ?? 0;
    if (W <= 2 * EDGE || H <= 2 * EDGE) break; // OpenCV's runByImageBorder empties this level and all smaller ones
    const img = bufs[l & 1] ?? 0;
    if (l > 0) {
      const rx = resizeAxis(widths[l - 1] ?? 0, W, xs);
      const ry = resizeAxis(heights[l - 1] ?? 0, H, ys);
      const rw = xs.hi - xs.lo;
      const rh = ys.hi - ys.lo;
      xs = rx.span;
      ys = ry.span;
      const xt = dyn;
      const yt = align16(xt + 4 * rx.table.length);
      const scratch = align16(yt + 4 * ry.table.length);
      heap.ensure(scratch + 65536);
      heap.u32.set(rx.table, xt >>> 2);
      heap.u32.set(ry.table, yt >>> 2);
      wasm.scratchReset(scratch);
      const prev = bufs[(l - 1) & 1] ?? 0;
      wasm.orbResize(prev, rw, rh, img, xs.hi - xs.lo, ys.hi - ys.lo, xt, yt);
    }
    const quota = quotas[l] ?? 0;
    const scale = levelScale(l);
    const ox = ownedSpan(core.x0, core1.x, scale, W);
    const oy = ownedSpan(core.y0, core1.y, scale, H);
    if (quota === 0 || ox.hi <= ox.lo || oy.hi <= oy.lo) continue;
    if (!covers(xs, ox) || !covers(ys, oy)) {
      throw new KernelError("KERNEL_FAILED", `orb: level ${l} of this tile is short of context (halo ${HALO}); please report`);
    }
    describeLevel(heap, wasm, partial, l, { img, map, dyn, xs, ys }, { ox, oy, quota, scale });
  }
  return partial;
}

interface LevelBuffers {
  img: number;
  map: number;
  dyn: number;
  xs: Span;
  ys: Span;
}

/** FAST, the tile's cuts, angles and descriptors of one level's owned corners, into `partial`. */
function describeLevel(
  heap: Heap,
  wasm: OrbExports,
  partial: OrbPartial,
  l: number,
  b: LevelBuffers,
  o: { ox: Span; oy: Span; quota: number; scale: number },
): void {
  const w = b.xs.hi - b.xs.lo;
  const h = b.ys.hi - b.ys.lo;
  const x0 = o.ox.lo - b.xs.lo;
  const x1 = o.ox.hi - b.xs.lo;
  const y0 = o.oy.lo - b.ys.lo;
  const y1 = o.oy.hi - b.ys.lo;
  const out = b.dyn;
  heap.ensure(out + 4 * OUT_ENTRIES + 4096);
  wasm.scratchReset(align16(out + 4 * OUT_ENTRIES));
  // Suppression compares with the ring around the owned corners, so that ring is scored too.
  wasm.fastScores(b.img, b.map, w, h, x0 - 1, y0 - 1, x1 + 1, y1 + 1, FAST_THRESHOLD);
  let found = new Uint32Array(4096);
  let count = 0;
  const band = Math.max(1, Math.floor(OUT_ENTRIES / (x1 - x0)));
  for (let y = y0; y < y1; y += band) {
    const n = wasm.fastSelect(b.map, w, x0, y, x1, Math.min(y1, y + band), 1, out);
    if (count + n > found.length) {
      const grown = new Uint32Array(Math.max(2 * found.length, count + n));
      grown.set(found.subarray(0, count));
      found = grown;
    }
    found.set(heap.u32.subarray(out >>> 2, (out >>> 2) + n), count);
    count += n;
  }
  const u8 = heap.u8;
  const counts = new Float64Array(256);
  for (let i = 0; i < count; i++) {
    const s = (u8[b.map + (found[i] ?? 0)] ?? 1) - 1; // the map holds FAST's score + 1
    counts[s] = (counts[s] ?? 0) + 1;
  }
  const floor = scoreFloor(counts, 2 * o.quota);
  const pairs: number[] = [];
  for (let s = 255; s >= 0; s--) if ((counts[s] ?? 0) > 0 && s >= floor) pairs.push(s, counts[s] ?? 0);
  partial.fast[l] = pairs;
  const keptAt: number[] = [];
  const keptScore: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = found[i] ?? 0;
    const s = (u8[b.map + at] ?? 1) - 1;
    if (s >= floor) {
      keptAt.push(at);
      keptScore.push(s);
    }
  }
  const n = keptAt.length;
  if (n === 0) return;

  const pts = b.dyn;
  const resp = align16(pts + 4 * n);
  const ang = align16(resp + 4 * n);
  const desc = align16(ang + 8 * n);
  const pattern = align16(desc + 32 * n);
  const scratch = align16(pattern + orbPattern().length);
  heap.ensure(scratch + 65536);
  wasm.scratchReset(scratch);
  heap.u32.set(keptAt, pts >>> 2);
  wasm.orbHarris(b.img, w, pts, n, resp);
  const response = heap.f32.slice(resp >>> 2, (resp >>> 2) + n);
  const keep = undominated(keptScore, response, n, o.quota);
  const m = keep.length;
  const centres: number[] = [];
  const inv = Math.fround(1 / o.scale);
  const points: number[] = [];
  for (const c of keep) {
    const at = keptAt[c] ?? 0;
    const kx = (at % w) + b.xs.lo;
    const ky = Math.floor(at / w) + b.ys.lo;
    const x = Math.fround(kx * o.scale);
    const y = Math.fround(ky * o.scale);
    points.push(x, y, keptScore[c] ?? 0, response[c] ?? 0, 0);
    // OpenCV finds the descriptor's centre back from the scaled position.
    const cx = roundEven(Math.fround(x * inv)) - b.xs.lo;
    const cy = roundEven(Math.fround(y * inv)) - b.ys.lo;
    centres.push(cy * w + cx);
  }
  heap.u32.set(
    keep.map((c) => keptAt[c] ?? 0),
    pts >>> 2,
  );
  wasm.orbAngles(b.img, w, pts, m, ang);
  const moments = heap.u32.slice(ang >>> 2, (ang >>> 2) + 2 * m);
  const rotations = new Float32Array(2 * m);
  for (let i = 0; i < m; i++) {
    const angle = orientation(moments[2 * i] ?? 0, moments[2 * i + 1] ?? 0);
    points[5 * i + 4] = angle;
    // OpenCV: angle·(float)(π/180) in f32, then (float)cos, (float)sin of it in f64.
    const rad = Math.fround(angle * RADIANS);
    rotations[2 * i] = Math.cos(rad);
    rotations[2 * i + 1] = Math.sin(rad);
  }
  heap.u32.set(centres, pts >>> 2);
  heap.f32.set(rotations, ang >>> 2);
  const drawn = orbPattern();
  heap.u8.set(new Uint8Array(drawn.buffer, drawn.byteOffset, drawn.length), pattern);
  wasm.orbDescribe(b.img, w, pts, m, ang, pattern, desc);
  const bytes = heap.u8;
  const descriptors: string[] = [];
  for (let i = 0; i < m; i++) descriptors.push(base64(bytes, desc + 32 * i));
  partial.points[l] = points;
  partial.descriptors[l] = descriptors;
}

/** ORB as OpenCV's cv.ORB(max): keypoints with base64 descriptors, sorted by y, then x, then size. */
export const orbOp: AnalysisOp<OrbParams, OrbPartial> = {
  name: "orb",
  halo(params) {
    checkOrbParams(params);
    return HALO;
  },
  tile,
  reduce(partials, _image, params) {
    checkOrbParams(params);
    const sizes = Array.from({ length: LEVELS }, (_, l) => Math.fround(PATCH * levelScale(l)));
    return { keypoints: selectKeypoints(partials, featuresPerLevel(params.max), sizes) };
  },
};
