// FAST-9/16 corners, as OpenCV's FastFeatureDetector (TYPE_9_16) finds and scores them.
//
// OpenCV's test and score, restated so that 16 pixels go through them at once with no
// branches per pixel. For the circle of 16 pixels x_k around a centre v, let
//   e_k = max(x_k − v, 0)  (brighter by)      f_k = max(v − x_k, 0)  (darker by)
//   M   = the largest, over the 16 arcs of 9 neighbouring circle pixels, of the arc's smallest
//         e or smallest f (u8: saturating subtraction gives e and f directly).
// OpenCV calls v a corner when 9 neighbouring pixels are all brighter than v + t or all darker
// than v − t, i.e. when M > t; its cornerScore<16> is max(t, M) − 1 (the clamping of e and f at
// 0 changes no arc minimum above t). So one byte per pixel says both: M when M > t (a corner
// of score M − 1), 0 when not a corner. Nothing else is kept; fast-select.ts reads the map.
//
// A 9-arc holds two neighbouring "cardinal" pixels (k = 0, 4, 8, 12, four apart), so 16 centres
// none of which has such a pair beyond the threshold are skipped after 4 loads, as OpenCV does.

import { take } from "./memory";

/** Circle offsets (dx, dy) in OpenCV's order (makeOffsets, pattern 16): arcs run along it. */
// @ts-ignore: decorator
@inline function circleDx(k: i32): i32 {
  return <i32>load<i8>(CIRCLE + (<usize>k << 1));
}
// @ts-ignore: decorator
@inline function circleDy(k: i32): i32 {
  return <i32>load<i8>(CIRCLE + (<usize>k << 1), 1);
}
const CIRCLE = memory.data<i8>([
  0, 3, 1, 3, 2, 2, 3, 1, 3, 0, 3, -1, 2, -2, 1, -3, 0, -3, -1, -3, -2, -2, -3, -1, -3, 0, -3, 1, -2, 2, -1, 3,
]);

/**
 * The largest arc-of-9 minimum of the 16 vectors at `v` (16 lanes each), circularly:
 * minima of 2, 4, 8 neighbours by doubling, then the 9th. `a` and `b` are 256 bytes of scratch.
 */
function arcMax(v: usize, a: usize, b: usize): v128 {
  for (let j = 0; j < 16; j++) {
    v128.store(a + (<usize>j << 4), i8x16.min_u(v128.load(v + (<usize>j << 4)), v128.load(v + (<usize>((j + 1) & 15) << 4))));
  }
  for (let j = 0; j < 16; j++) {
    v128.store(b + (<usize>j << 4), i8x16.min_u(v128.load(a + (<usize>j << 4)), v128.load(a + (<usize>((j + 2) & 15) << 4))));
  }
  let best = i8x16.splat(0);
  for (let j = 0; j < 16; j++) {
    const m8 = i8x16.min_u(v128.load(b + (<usize>j << 4)), v128.load(b + (<usize>((j + 4) & 15) << 4)));
    best = i8x16.max_u(best, i8x16.min_u(m8, v128.load(v + (<usize>((j + 8) & 15) << 4))));
  }
  return best;
}

/** Lanes 0..15 as bytes, to mask the lanes past a row's end. */
const IOTA = memory.data<u8>([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

/**
 * Writes the FAST map (see the top of the file) of `src` (u8 grey, `w` × `h`, row-major) into
 * `dst` (u8, same shape): M for corners, 0 elsewhere. Only centres in [x0, x1) × [y0, y1) are
 * tested, and the caller keeps that rectangle 3 pixels inside the image; every other byte of
 * dst is 0. Both buffers need 32 readable bytes past their end (the last block of a row reads
 * and writes up to 15 lanes past x1, masked).
 */
export function fastScores(src: usize, dst: usize, w: i32, h: i32, x0: i32, y0: i32, x1: i32, y1: i32, threshold: i32): void {
  memory.fill(dst, 0, <usize>(w * h));
  if (x0 >= x1 || y0 >= y1) return;
  const e = take(256);
  const f = take(256);
  const a = take(256);
  const b = take(256);
  const offsets = take(64);
  for (let k = 0; k < 16; k++) store<i32>(offsets + (<usize>k << 2), circleDy(k) * w + circleDx(k));
  const o0 = <usize>load<i32>(offsets);
  const o4 = <usize>load<i32>(offsets, 16);
  const o8 = <usize>load<i32>(offsets, 32);
  const o12 = <usize>load<i32>(offsets, 48);
  const t = i8x16.splat(<i8>threshold);
  const iota = v128.load(IOTA);
  for (let y = y0; y < y1; y++) {
    const row = src + <usize>(y * w);
    const out = dst + <usize>(y * w);
    for (let x = x0; x < x1; x += 16) {
      const p = row + <usize>x;
      const v = v128.load(p);
      // Quick rejection: a pair of neighbouring cardinals both brighter, or both darker. A byte
      // of sub_sat(x, min(v + t, 255)) is non-zero exactly when x > v + t (none when v + t
      // saturates), of sub_sat(max(v − t, 0), x) when x < v − t.
      const above = i8x16.add_sat_u(v, t);
      const below = i8x16.sub_sat_u(v, t);
      const c0 = v128.load(p + o0), c4 = v128.load(p + o4), c8 = v128.load(p + o8), c12 = v128.load(p + o12);
      // Every neighbouring pair is one of {0, 8} with one of {4, 12}.
      const bright = i8x16.min_u(
        i8x16.max_u(i8x16.sub_sat_u(c0, above), i8x16.sub_sat_u(c8, above)),
        i8x16.max_u(i8x16.sub_sat_u(c4, above), i8x16.sub_sat_u(c12, above)),
      );
      const dark = i8x16.min_u(
        i8x16.max_u(i8x16.sub_sat_u(below, c0), i8x16.sub_sat_u(below, c8)),
        i8x16.max_u(i8x16.sub_sat_u(below, c4), i8x16.sub_sat_u(below, c12)),
      );
      if (!v128.any_true(v128.or(bright, dark))) continue;
      for (let k = 0; k < 16; k++) {
        const q = v128.load(p + <usize>load<i32>(offsets + (<usize>k << 2)));
        v128.store(e + (<usize>k << 4), i8x16.sub_sat_u(q, v));
        v128.store(f + (<usize>k << 4), i8x16.sub_sat_u(v, q));
      }
      const m = i8x16.max_u(arcMax(e, a, b), arcMax(f, a, b));
      let score = v128.and(m, i8x16.gt_u(m, t));
      const left = x1 - x;
      if (left < 16) score = v128.and(score, i8x16.lt_u(iota, i8x16.splat(<i8>left)));
      v128.store(out + <usize>x, v128.or(v128.load(out + <usize>x), score));
    }
  }
}

export { fastSelect } from "./fast-select";
