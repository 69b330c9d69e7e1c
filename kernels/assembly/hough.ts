// The vote of the standard Hough transform (OpenCV's HoughLinesStandard, stage 1): the tile
// half of the `hough-lines` analysis op (kernels/src/analysis/hough.ts builds the tables and
// finds the peaks in the summed accumulator).
//
// OpenCV computes r = cvRound(x·cos[n] + y·sin[n]) in float: two f32 products, one f32 sum,
// rounded half to even. f32x4 lanes do exactly that (wasm has no fused multiply-add, and
// f32x4.nearest is round-half-even), four angles at a time; only the increments are scalar,
// since wasm has no scatter. Four angles never share a row, so the four lanes never collide.
//
// A tile only reaches the rho bins its core's corners bound, so its accumulator is a window of
// `rowWidth` bins per angle, not the whole rho range: the table `off` says where each angle's
// window starts, folded into one add.
//
//   tab:  cos (f32 × angles4) ─ sin (f32 × angles4) ─ off (i32 × angles4)
//   acc:  angles4 rows of `rowWidth` i32; angle n's vote for r lands at index r + off[n],
//         off[n] = n·rowWidth − (the first r of angle n's window)
//
// The partial that leaves the tile is text (houghRuns): a string crosses threads
// (structuredClone) and machines (JSON) far cheaper than an array of a million numbers.

import { ensureMemory } from "./memory";

/**
 * Adds one vote per non-zero byte of the `w × h` bytes at `src` (rows `stride` bytes apart),
 * at image coordinates (ox + x, oy + y), to the accumulator `acc`, which it clears first.
 * `angles4` is the angle count rounded up to 4 (padding angles have cos = sin = 0). Returns
 * the number of voting pixels. Reads up to 15 bytes past the end of each row.
 */
export function houghVotes(
  src: usize,
  stride: i32,
  w: i32,
  h: i32,
  ox: i32,
  oy: i32,
  tab: usize,
  angles4: i32,
  acc: usize,
  rowWidth: i32,
): i32 {
  memory.fill(acc, 0, <usize>angles4 * <usize>rowWidth << 2);
  const cosT = tab;
  const sinT = tab + (<usize>angles4 << 2);
  const offT = sinT + (<usize>angles4 << 2);
  const tabBytes = <usize>angles4 << 2;
  const zero = i8x16.splat(0);
  let voters = 0;
  for (let y = 0; y < h; y++) {
    const row = src + <usize>y * <usize>stride;
    const yv = f32x4.splat(<f32>(oy + y));
    for (let x0 = 0; x0 < w; x0 += 16) {
      // Edge maps are mostly zero: sixteen pixels are skipped with one compare.
      let m = ~<u32>i8x16.bitmask(i8x16.eq(v128.load(row + <usize>x0), zero)) & 0xffff;
      if (w - x0 < 16) m &= (<u32>1 << <u32>(w - x0)) - 1;
      while (m != 0) {
        const x = x0 + <i32>ctz(m);
        m &= m - 1;
        voters++;
        const xv = f32x4.splat(<f32>(ox + x));
        for (let k: usize = 0; k < tabBytes; k += 16) {
          const r = f32x4.nearest(f32x4.add(f32x4.mul(xv, v128.load(cosT + k)), f32x4.mul(yv, v128.load(sinT + k))));
          const at = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(r), v128.load(offT + k)), 2);
          bump(acc + <usize>i32x4.extract_lane(at, 0));
          bump(acc + <usize>i32x4.extract_lane(at, 1));
          bump(acc + <usize>i32x4.extract_lane(at, 2));
          bump(acc + <usize>i32x4.extract_lane(at, 3));
        }
      }
    }
  }
  return voters;
}

// @ts-ignore: decorator
@inline function bump(p: usize): void {
  store<i32>(p, load<i32>(p) + 1);
}

/** Zero bins a run may swallow rather than end (a new run costs three numbers). */
const GAP = 3;

/**
 * One unsigned integer as text: 5 bits a character, low bits first, with 32 added while more
 * follow; digit d is the character 48 + d, skipping the backslash (92), so the text needs no
 * escaping in JSON. Returns the new end of the output.
 */
// @ts-ignore: decorator
@inline function put(o: usize, v: u32): usize {
  while (v >= 32) {
    store<u8>(o++, digit(32 | (v & 31)));
    v >>= 5;
  }
  store<u8>(o++, digit(v));
  return o;
}

// @ts-ignore: decorator
@inline function digit(d: u32): u8 {
  return <u8>(48 + d + <u32>(d >= 44));
}

/**
 * Writes the non-zero bins of the accumulator `houghVotes` filled (its first `numAngle` rows)
 * at `out` as text (see put): for each run of bins, its angle, its first rho bin + 1 (from the
 * i32 table `first`, the bin of each row's start, which may be −1), its length, then its
 * votes. Runs swallow gaps of up to GAP zeros. Grows memory as it writes; returns the bytes.
 */
export function houghRuns(acc: usize, numAngle: i32, rowWidth: i32, first: usize, out: usize): i32 {
  let o = out;
  for (let n = 0; n < numAngle; n++) {
    // A row writes at most rowWidth votes and 3 numbers per run, 7 characters each.
    ensureMemory(o + <usize>rowWidth * 28 + 64);
    const row = acc + (<usize>(n * rowWidth) << 2);
    const base = <u32>(load<i32>(first + (<usize>n << 2)) + 1);
    let k = 0;
    while (k < rowWidth) {
      if (k + 4 <= rowWidth && !v128.any_true(v128.load(row + (<usize>k << 2)))) {
        k += 4;
        continue;
      }
      if (load<i32>(row + (<usize>k << 2)) == 0) {
        k++;
        continue;
      }
      let end = k + 1;
      for (let j = k + 1; j < rowWidth && j - end < GAP; j++) if (load<i32>(row + (<usize>j << 2)) != 0) end = j + 1;
      o = put(o, <u32>n);
      o = put(o, base + <u32>k);
      o = put(o, <u32>(end - k));
      for (let i = k; i < end; i++) o = put(o, <u32>load<i32>(row + (<usize>i << 2)));
      k = end;
    }
  }
  return <i32>(o - out);
}
