// ORB (kernels/src/analysis/orb.ts drives these): the image pyramid's resize, and the per-keypoint
// kernels in orb-describe.ts. FAST on a level is fast.ts's fastScores/fastSelect, called from JS.
//
// The pyramid is OpenCV's: each level is resize(previous level, INTER_LINEAR_EXACT), whose 8-bit
// path is exact integer arithmetic that we restate:
//
//   h(row, x) = c0x·s[row][ix] + c1x·s[row][ix + 1]           (c0 + c1 = 256, so h ≤ 65280: u16)
//   out(x, y) = (c0y·h(iy, x) + c1y·h(iy + 1, x) + 2^15) >> 16
//
// ix, c1x (per output column) and iy, c1y (per output row) come from JS, which computes them in
// f64 as OpenCV does in softdouble. An output pixel reads a 2 × 2 block of the previous level at
// a place fixed in image coordinates, which is what lets a tile compute any region of a level
// exactly from a large enough window (orb-pyramid.ts).
//
// SIMD: 8 output columns at a time. The 8 left and 8 right source pixels of a block lie within
// 16 bytes of the block's first source pixel (a step is ≤ 2 pixels), so one load and two
// swizzles (whose masks also zero-extend to u16) gather them; the masks are built once per call.

import { take } from "./memory";

export { orbAngles, orbDescribe, orbHarris } from "./orb-describe";

/** Bytes per block of 8 output columns: base offset, left mask, right mask, c0 ×8, c1 ×8. */
const BLOCK = 80;

/** The block table for `dw` output columns whose (offset, c1) i32 pairs are at `xt`. */
function blockTable(xt: usize, dw: i32): usize {
  const blocks = (dw + 7) >> 3;
  const table = take(<usize>blocks * BLOCK);
  for (let b = 0; b < blocks; b++) {
    const entry = table + <usize>b * BLOCK;
    const first = b << 3;
    const base = load<i32>(xt + (<usize>first << 3));
    store<i32>(entry, base);
    for (let j = 0; j < 8; j++) {
      // Lanes past the row's end repeat the last column with weight 0: they are never stored.
      const col = min(first + j, dw - 1);
      const rel = load<i32>(xt + (<usize>col << 3)) - base;
      const c1 = first + j < dw ? load<i32>(xt + (<usize>col << 3), 4) : 0;
      const lane = <usize>j << 1;
      store<u8>(entry + 16 + lane, <u8>rel);
      store<u8>(entry + 17 + lane, 0xff); // out of range: the high byte of the u16 lane is 0
      store<u8>(entry + 32 + lane, <u8>(rel + 1));
      store<u8>(entry + 33 + lane, 0xff);
      store<u16>(entry + 48 + lane, <u16>(first + j < dw ? 256 - c1 : 0));
      store<u16>(entry + 64 + lane, <u16>c1);
    }
  }
  return table;
}

/** Horizontal pass of source row `row` into `h` (u16 per output column, blocks of 8). */
function horizontal(row: usize, table: usize, blocks: i32, h: usize): void {
  for (let b = 0; b < blocks; b++) {
    const entry = table + <usize>b * BLOCK;
    const s = v128.load(row + <usize>load<i32>(entry));
    const left = i8x16.swizzle(s, v128.load(entry, 16));
    const right = i8x16.swizzle(s, v128.load(entry, 32));
    // Exact in u16 (≤ 65280), so the wrapping i16 multiply and add give the true value.
    const sum = i16x8.add(i16x8.mul(left, v128.load(entry, 48)), i16x8.mul(right, v128.load(entry, 64)));
    v128.store(h + (<usize>b << 4), sum);
  }
}

/**
 * Resizes `src` (u8, `sw` × `sh`, row-major) into `dst` (u8, `dw` × `dh`). `xt` holds `dw` i32
 * pairs (source column, weight of the column to its right, 0..256) and `yt` `dh` pairs (source
 * row, weight of the row below); every source column + 1 and row + 1 must be inside src. `src`
 * needs 16 readable bytes past its end.
 */
export function orbResize(src: usize, sw: i32, sh: i32, dst: usize, dw: i32, dh: i32, xt: usize, yt: usize): void {
  if (dw <= 0 || dh <= 0) return;
  const blocks = (dw + 7) >> 3;
  const table = blockTable(xt, dw);
  const rowBytes = <usize>blocks << 4;
  // Rows r and r + 1 differ in parity: slot r & 1 caches the horizontal pass of row r.
  const slots = take(rowBytes * 2);
  let tag0 = -1;
  let tag1 = -1;
  const stage = take(16);
  const round = i32x4.splat(1 << 15);
  for (let y = 0; y < dh; y++) {
    const iy = load<i32>(yt + (<usize>y << 3));
    const c1 = load<i32>(yt + (<usize>y << 3), 4);
    for (let r = iy; r <= iy + 1; r++) {
      if ((r & 1) == 0 && tag0 != r) {
        horizontal(src + <usize>r * <usize>sw, table, blocks, slots);
        tag0 = r;
      } else if ((r & 1) == 1 && tag1 != r) {
        horizontal(src + <usize>r * <usize>sw, table, blocks, slots + rowBytes);
        tag1 = r;
      }
    }
    const top = slots + ((iy & 1) == 0 ? 0 : rowBytes);
    const bottom = slots + ((iy & 1) == 0 ? rowBytes : 0);
    const w0 = i16x8.splat(<i16>(256 - c1));
    const w1 = i16x8.splat(<i16>c1);
    const out = dst + <usize>y * <usize>dw;
    for (let b = 0; b < blocks; b++) {
      const a = v128.load(top + (<usize>b << 4));
      const c = v128.load(bottom + (<usize>b << 4));
      let lo = i32x4.add(i32x4.extmul_low_i16x8_u(a, w0), i32x4.extmul_low_i16x8_u(c, w1));
      let hi = i32x4.add(i32x4.extmul_high_i16x8_u(a, w0), i32x4.extmul_high_i16x8_u(c, w1));
      lo = i32x4.shr_u(i32x4.add(lo, round), 16);
      hi = i32x4.shr_u(i32x4.add(hi, round), 16);
      const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(lo, hi), i16x8.splat(0));
      const x = b << 3;
      if (x + 8 <= dw) {
        v128.store64_lane(out + <usize>x, bytes, 0);
      } else {
        v128.store(stage, bytes);
        memory.copy(out + <usize>x, stage, <usize>(dw - x));
      }
    }
  }
}
