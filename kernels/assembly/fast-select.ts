// FAST, second half: OpenCV's non-maximum suppression over the map that fast.ts writes, and the
// list of surviving corners. Kept apart from the map so that a tile can score a rim one pixel
// wider than the corners it owns (suppression looks at the 8 neighbours).

import { appendSetBits } from "./indices";

/** Lanes 0..15 as bytes, to mask the lanes past a row's end. */
const IOTA = memory.data<u8>([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

/** OpenCV's score of a map byte: M − 1 for a corner, 0 for no corner (what its score rows hold). */
// @ts-ignore: decorator
@inline function score(m: v128): v128 {
  return i8x16.sub_sat_u(m, i8x16.splat(1));
}

/**
 * Writes to `out` (u32 each) the index y·w + x of every corner of the FAST map `map` (`w` wide)
 * with its centre in [x0, x1) × [y0, y1), row by row, and returns how many. With `nonmax`,
 * only the corners whose score is strictly above all 8 neighbours' (a neighbour that is no
 * corner scores 0, so a corner of score 0 never survives, as in OpenCV). The map must hold
 * rows y0 − 1 .. y1 and columns x0 − 1 .. x1, with 32 readable bytes past its end.
 */
export function fastSelect(map: usize, w: i32, x0: i32, y0: i32, x1: i32, y1: i32, nonmax: bool, out: usize): i32 {
  let count = 0;
  const iota = v128.load(IOTA);
  const zero = i8x16.splat(0);
  const stride = <usize>w;
  for (let y = y0; y < y1; y++) {
    const row = map + <usize>(y * w);
    for (let x = x0; x < x1; x += 16) {
      const p = row + <usize>x;
      const m = v128.load(p);
      let keep = i8x16.ne(m, zero);
      if (!v128.any_true(keep)) continue;
      if (nonmax) {
        const s = score(m);
        const up = p - stride;
        const down = p + stride;
        keep = v128.and(keep, v128.and(i8x16.gt_u(s, score(v128.load(p - 1))), i8x16.gt_u(s, score(v128.load(p + 1)))));
        keep = v128.and(keep, v128.and(i8x16.gt_u(s, score(v128.load(up - 1))), i8x16.gt_u(s, score(v128.load(up)))));
        keep = v128.and(keep, v128.and(i8x16.gt_u(s, score(v128.load(up + 1))), i8x16.gt_u(s, score(v128.load(down - 1)))));
        keep = v128.and(keep, v128.and(i8x16.gt_u(s, score(v128.load(down))), i8x16.gt_u(s, score(v128.load(down + 1)))));
      }
      const left = x1 - x;
      if (left < 16) keep = v128.and(keep, i8x16.lt_u(iota, i8x16.splat(<i8>left)));
      count = appendSetBits(out, count, <u32>i8x16.bitmask(keep), y * w + x);
    }
  }
  return count;
}
