// goodFeaturesToTrack, the local half of the selection on the response map (corners.ts): the
// largest response a tile owns, and its candidates. OpenCV keeps a pixel when, after zeroing
// every response ≤ T (T = quality × the image's largest response), it is non-zero and equal to
// the 3×3 dilation. For v > T that is v ≥ each of its 8 neighbours whatever T is (a neighbour
// above v is above T, so it survives the zeroing), so a tile can test it without knowing T,
// and may drop v ≤ its own quality × max (T is never smaller). No v ≤ 0 is ever kept: when
// the largest response is ≤ 0, T = max × quality ≥ max.

import { appendSetBits } from "./indices";

/** Lanes 0..3 as i32, to mask the lanes past a row's end. */
const IOTA = memory.data<i32>([0, 1, 2, 3]);

/** The largest f32 of `map` (`w` wide) in [x0, x1) × [y0, y1); −Infinity when empty. */
export function cornerMax(map: usize, w: i32, x0: i32, y0: i32, x1: i32, y1: i32): f32 {
  let best = f32x4.splat(-Infinity);
  let tail: f32 = -Infinity;
  for (let y = y0; y < y1; y++) {
    const row = map + (<usize>(y * w) << 2);
    let x = x0;
    for (; x + 4 <= x1; x += 4) best = f32x4.pmax(best, v128.load(row + (<usize>x << 2)));
    for (; x < x1; x++) tail = max(tail, load<f32>(row + (<usize>x << 2)));
  }
  const a = max(f32x4.extract_lane(best, 0), f32x4.extract_lane(best, 1));
  const b = max(f32x4.extract_lane(best, 2), f32x4.extract_lane(best, 3));
  return max(max(a, b), tail);
}

/**
 * Writes to `out` (u32 each) the index y·w + x of every pixel of `map` in [x0, x1) × [y0, y1)
 * whose response v is > `floor`, ≠ 0 and ≥ each of its 8 neighbours, row by row; returns how
 * many. The map must hold rows y0 − 1 .. y1 and columns x0 − 1 .. x1, with 32 readable bytes
 * past its end.
 */
export function cornerSelect(map: usize, w: i32, x0: i32, y0: i32, x1: i32, y1: i32, floor: f32, out: usize): i32 {
  let count = 0;
  const iota = v128.load(IOTA);
  const lowest = f32x4.splat(floor);
  const zero = f32x4.splat(0);
  const stride = <usize>w << 2;
  for (let y = y0; y < y1; y++) {
    const row = map + (<usize>(y * w) << 2);
    for (let x = x0; x < x1; x += 4) {
      const p = row + (<usize>x << 2);
      const v = v128.load(p);
      let keep = v128.and(f32x4.gt(v, lowest), f32x4.ne(v, zero));
      if (!v128.any_true(keep)) continue;
      const up = p - stride;
      const down = p + stride;
      keep = v128.and(keep, v128.and(f32x4.ge(v, v128.load(p - 4)), f32x4.ge(v, v128.load(p + 4))));
      keep = v128.and(keep, v128.and(f32x4.ge(v, v128.load(up - 4)), f32x4.ge(v, v128.load(up))));
      keep = v128.and(keep, v128.and(f32x4.ge(v, v128.load(up + 4)), f32x4.ge(v, v128.load(down - 4))));
      keep = v128.and(keep, v128.and(f32x4.ge(v, v128.load(down)), f32x4.ge(v, v128.load(down + 4))));
      const left = x1 - x;
      if (left < 4) keep = v128.and(keep, i32x4.lt_s(iota, i32x4.splat(left)));
      count = appendSetBits(out, count, <u32>i32x4.bitmask(keep), y * w + x);
    }
  }
  return count;
}
