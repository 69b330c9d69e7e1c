// Integer convolution: convolve's fast path (the f32 path is in convolve-f32.ts).
//
// When every f32 weight of the kernel is an integer times 2^-p, the f32 path's sum is exact,
// so summing integers instead gives the same sum, bit for bit; see below for when the rest of
// the arithmetic is integer too.

import { take } from "./memory";
import { clampIndex, roundClampF32 } from "./pixels";
import { replicateEdges, ringRow, storeBlock } from "./rows";

// Preconditions (checked in JS, convolve-plan.ts): the kernel's f32 weights are j·2^-p with integer j,
// |j| ≤ 32767 and Σ|j|·255 < 2^24. Then every product and partial sum of the f32 path is an
// exact multiple of 2^-p below 2^24·2^-p, so that path's sum equals S·2^-p exactly, where
// S = Σ j·in is an integer: summing S in integer lanes changes nothing but the speed.
//
// Accumulators (`lanes`): 16-bit lanes (2 pixels per v128, ~1.7× cheaper per tap than i32)
// when the sum and the bias below always fit them: as i16 (LANES_I16) when Σ|j|·255 + |bias|
// ≤ 32767, or as u16 (LANES_U16) when no weight is negative and Σj·255 + bias ≤ 65535 (the
// 5×5 binomial, sum 256, is one); 16-bit adds and multiplies wrap the same either way, only
// the shift, the clamp and the widening differ. i32 lanes (LANES_I32) otherwise, via extmul.
//
// The end of the pixel, `shift` ≥ 0: the whole scale 1/(2^p·divisor) is 2^-shift and the
// offset a multiple of 2^-shift (checked in JS). The f32 path's value S·2^-shift + offset + ½
// is then exact in f32, so its floor is (S + bias) >> shift with bias = offset·2^shift +
// ⌊2^shift / 2⌋ (shift 0: S + offset), an arithmetic shift, clamped by saturating narrows:
// libvips' integer convolution, with our rounding. `shift` < 0: S goes back to f32 and ends
// exactly as the f32 path does (×2^-p, ÷divisor, +offset, round half up).
//
// Only the non-zero taps are visited (the sharpen kernel [0,−1,0,−1,5,−1,0,−1,0] has 5 of 9).
// Source rows are copied once into a ring of padded u8 rows (R replicated pixels each side);
// a v128.load8x8_u then reads 2 pixels of a tap straight into i16 lanes.

export const LANES_I16: i32 = 0;
export const LANES_U16: i32 = 1;
export const LANES_I32: i32 = 2;

/**
 * Integer convolution. `taps` holds `count` (kx, ky, j) i32 triples (the non-zero weights;
 * kx, ky in 0..side−1); see above for `lanes`, `shift`, `bias`, `scale` (2^-p), `divisor`, `offset`.
 */
export function convolveInt(
  src: usize, dst: usize, w: i32, h: i32, taps: usize, count: i32, side: i32,
  lanes: i32, shift: i32, bias: i32, scale: f32, divisor: f32, offset: f32,
): void {
  const R = side >> 1;
  const W8 = (w + 7) & ~7;
  const rowBytes = <usize>(W8 + 2 * R) << 2;
  const ring = take(rowBytes * <usize>side);
  const ptrs = take(<usize>count << 2); // per output row: each tap's padded-row pointer at x = 0
  const weights = take(<usize>count << 4); // each tap's weight splatted to i16 lanes
  for (let t = 0; t < count; t++) v128.store(weights + (<usize>t << 4), i16x8.splat(<i16>load<i32>(taps + <usize>(t * 12), 8)));
  let ready = -1;
  for (let y = 0; y < h; y++) {
    const need = clampIndex(y + R, h);
    while (ready < need) {
      ready++;
      const row = ringRow(ring, rowBytes, side, ready);
      memory.copy(row + (<usize>R << 2), src + (<usize>(ready * w) << 2), <usize>w << 2);
      replicateEdges(row, R, w, W8 - w + R, 4);
    }
    for (let t = 0; t < count; t++) {
      const tap = taps + <usize>(t * 12);
      const row = ringRow(ring, rowBytes, side, clampIndex(y - R + load<i32>(tap, 4), h));
      store<u32>(ptrs + (<usize>t << 2), <u32>(row + (<usize>load<i32>(tap) << 2)));
    }
    const srcRow = src + (<usize>(y * w) << 2);
    const dstRow = dst + (<usize>(y * w) << 2);
    if (lanes == LANES_I32) rowI32(srcRow, dstRow, w, ptrs, weights, count, shift, bias, scale, divisor, offset);
    else rowI16(srcRow, dstRow, w, W8, ptrs, weights, count, lanes == LANES_U16, shift, bias, scale, divisor, offset);
  }
}

/** S (i32 lanes) → 0..255 the way the f32 path ends: S·scale ÷ divisor + offset, rounded half up. */
// @ts-ignore: decorator
@inline function finishF32(s: v128, scale: v128, divisor: v128, offset: v128): v128 {
  return roundClampF32(f32x4.add(f32x4.div(f32x4.mul(f32x4.convert_i32x4_s(s), scale), divisor), offset));
}

/**
 * A separable integer kernel j(x, y) = u(x)·v(y) (the 5×5 binomial, box and Sobel-like
 * kernels): a horizontal pass of `nu` taps per source row into a ring of 16-bit rows, then a
 * vertical pass of `nv` taps per output row, 2R + 2 multiply-adds a pixel instead of (2R+1)².
 * Only with 16-bit lanes (`unsigned` as in convolveInt): 16-bit adds and multiplies are exact
 * modulo 2^16, so H = Σ u·in may wrap and S = Σ v·H still comes out right, as long as S + bias
 * itself fits the lanes, which is the same condition as for the 2D pass. Same S, same bytes.
 * `u` and `v` are i32 arrays of `side` weights each (zeros allowed).
 */
export function convolveSeparable(
  src: usize, dst: usize, w: i32, h: i32, u: usize, v: usize, side: i32, unsigned: bool,
  shift: i32, bias: i32, scale: f32, divisor: f32, offset: f32,
): void {
  const R = side >> 1;
  const W8 = (w + 7) & ~7;
  const padded = take(<usize>(W8 + 2 * R) << 2);
  const rowBytes = <usize>W8 << 3; // 4 channels × 16 bits per pixel
  const ring = take(rowBytes * <usize>side);
  const us = take(<usize>side << 4);
  const vs = take(<usize>side << 4);
  for (let t = 0; t < side; t++) {
    v128.store(us + (<usize>t << 4), i16x8.splat(<i16>load<i32>(u + (<usize>t << 2))));
    v128.store(vs + (<usize>t << 4), i16x8.splat(<i16>load<i32>(v + (<usize>t << 2))));
  }
  const rows = take(<usize>side << 2);
  const b = i16x8.splat(<i16>bias);
  const sc = f32x4.splat(scale), dv = f32x4.splat(divisor), off = f32x4.splat(offset);
  let ready = -1;
  for (let y = 0; y < h; y++) {
    const need = clampIndex(y + R, h);
    while (ready < need) {
      ready++;
      memory.copy(padded + (<usize>R << 2), src + (<usize>(ready * w) << 2), <usize>w << 2);
      replicateEdges(padded, R, w, W8 - w + R, 4);
      const out = ringRow(ring, rowBytes, side, ready);
      for (let x = 0; x < W8; x += 8) {
        const p = padded + (<usize>x << 2);
        let a0 = i16x8.splat(0), a1 = i16x8.splat(0), a2 = i16x8.splat(0), a3 = i16x8.splat(0);
        for (let t = 0; t < side; t++) {
          const wt = v128.load(us + (<usize>t << 4));
          const q = p + (<usize>t << 2);
          a0 = i16x8.add(a0, i16x8.mul(v128.load8x8_u(q), wt));
          a1 = i16x8.add(a1, i16x8.mul(v128.load8x8_u(q, 8), wt));
          a2 = i16x8.add(a2, i16x8.mul(v128.load8x8_u(q, 16), wt));
          a3 = i16x8.add(a3, i16x8.mul(v128.load8x8_u(q, 24), wt));
        }
        const o = out + (<usize>x << 3);
        v128.store(o, a0);
        v128.store(o, a1, 16);
        v128.store(o, a2, 32);
        v128.store(o, a3, 48);
      }
    }
    for (let t = 0; t < side; t++) store<u32>(rows + (<usize>t << 2), <u32>ringRow(ring, rowBytes, side, clampIndex(y - R + t, h)));
    const srcRow = src + (<usize>(y * w) << 2);
    const dstRow = dst + (<usize>(y * w) << 2);
    for (let x = 0; x < W8; x += 8) {
      const at = <usize>x << 3;
      let a0 = i16x8.splat(0), a1 = i16x8.splat(0), a2 = i16x8.splat(0), a3 = i16x8.splat(0);
      for (let t = 0; t < side; t++) {
        const wt = v128.load(vs + (<usize>t << 4));
        const q = <usize>load<u32>(rows + (<usize>t << 2)) + at;
        a0 = i16x8.add(a0, i16x8.mul(v128.load(q), wt));
        a1 = i16x8.add(a1, i16x8.mul(v128.load(q, 16), wt));
        a2 = i16x8.add(a2, i16x8.mul(v128.load(q, 32), wt));
        a3 = i16x8.add(a3, i16x8.mul(v128.load(q, 48), wt));
      }
      store16(srcRow, dstRow, x, w, a0, a1, a2, a3, unsigned, b, shift, sc, dv, off);
    }
  }
}

/** 16-bit lanes → the shifted result, clamped to 0..255 (still 16-bit lanes). */
// @ts-ignore: decorator
@inline function shift16(a: v128, b: v128, shift: i32, unsigned: bool): v128 {
  return unsigned ? i16x8.min_u(i16x8.shr_u(i16x8.add(a, b), shift), i16x8.splat(255)) : i16x8.shr_s(i16x8.add(a, b), shift);
}

/** 16-bit lanes → the f32 path's end, as 16-bit lanes holding 0..255. */
// @ts-ignore: decorator
@inline function finish16(a: v128, unsigned: bool, scale: v128, divisor: v128, offset: v128): v128 {
  const lo = unsigned ? i32x4.extend_low_i16x8_u(a) : i32x4.extend_low_i16x8_s(a);
  const hi = unsigned ? i32x4.extend_high_i16x8_u(a) : i32x4.extend_high_i16x8_s(a);
  return i16x8.narrow_i32x4_s(finishF32(lo, scale, divisor, offset), finishF32(hi, scale, divisor, offset));
}

/**
 * Ends a block of 8 pixels in four 16-bit accumulators: shifted (an integral kernel over a
 * power of two) or through the f32 path's end, narrowed to bytes and stored at pixel x.
 */
// @ts-ignore: decorator
@inline function store16(
  srcRow: usize, dstRow: usize, x: i32, w: i32, a0: v128, a1: v128, a2: v128, a3: v128, unsigned: bool,
  b: v128, shift: i32, sc: v128, dv: v128, off: v128,
): void {
  let lo: v128, hi: v128;
  if (shift >= 0) {
    lo = i8x16.narrow_i16x8_u(shift16(a0, b, shift, unsigned), shift16(a1, b, shift, unsigned));
    hi = i8x16.narrow_i16x8_u(shift16(a2, b, shift, unsigned), shift16(a3, b, shift, unsigned));
  } else {
    lo = i8x16.narrow_i16x8_u(finish16(a0, unsigned, sc, dv, off), finish16(a1, unsigned, sc, dv, off));
    hi = i8x16.narrow_i16x8_u(finish16(a2, unsigned, sc, dv, off), finish16(a3, unsigned, sc, dv, off));
  }
  storeBlock(srcRow, dstRow, x, w, lo);
  storeBlock(srcRow, dstRow, x + 4, w, hi);
}

/** One output row, 16-bit accumulators: 8 pixels (4 v128) per block. */
function rowI16(
  srcRow: usize, dstRow: usize, w: i32, W8: i32, ptrs: usize, weights: usize, count: i32, unsigned: bool,
  shift: i32, bias: i32, scale: f32, divisor: f32, offset: f32,
): void {
  const b = i16x8.splat(<i16>bias);
  const sc = f32x4.splat(scale), dv = f32x4.splat(divisor), off = f32x4.splat(offset);
  for (let x = 0; x < W8; x += 8) {
    const at = <usize>x << 2;
    let a0 = i16x8.splat(0), a1 = i16x8.splat(0), a2 = i16x8.splat(0), a3 = i16x8.splat(0);
    for (let t = 0; t < count; t++) {
      const p = <usize>load<u32>(ptrs + (<usize>t << 2)) + at;
      const wt = v128.load(weights + (<usize>t << 4));
      a0 = i16x8.add(a0, i16x8.mul(v128.load8x8_u(p), wt));
      a1 = i16x8.add(a1, i16x8.mul(v128.load8x8_u(p, 8), wt));
      a2 = i16x8.add(a2, i16x8.mul(v128.load8x8_u(p, 16), wt));
      a3 = i16x8.add(a3, i16x8.mul(v128.load8x8_u(p, 24), wt));
    }
    store16(srcRow, dstRow, x, w, a0, a1, a2, a3, unsigned, b, shift, sc, dv, off);
  }
}

/** One output row, i32 accumulators (one pixel per v128): 4 pixels per block. */
function rowI32(
  srcRow: usize, dstRow: usize, w: i32, ptrs: usize, weights: usize, count: i32,
  shift: i32, bias: i32, scale: f32, divisor: f32, offset: f32,
): void {
  const b = i32x4.splat(bias);
  const sc = f32x4.splat(scale), dv = f32x4.splat(divisor), off = f32x4.splat(offset);
  for (let x = 0; x < w; x += 4) {
    const at = <usize>x << 2;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    for (let t = 0; t < count; t++) {
      const p = <usize>load<u32>(ptrs + (<usize>t << 2)) + at;
      const wt = v128.load(weights + (<usize>t << 4));
      const q0 = v128.load8x8_u(p);
      const q1 = v128.load8x8_u(p, 8);
      a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(q0, wt));
      a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(q0, wt));
      a2 = i32x4.add(a2, i32x4.extmul_low_i16x8_s(q1, wt));
      a3 = i32x4.add(a3, i32x4.extmul_high_i16x8_s(q1, wt));
    }
    let px: v128;
    if (shift >= 0) {
      px = i8x16.narrow_i16x8_u(
        i16x8.narrow_i32x4_s(i32x4.shr_s(i32x4.add(a0, b), shift), i32x4.shr_s(i32x4.add(a1, b), shift)),
        i16x8.narrow_i32x4_s(i32x4.shr_s(i32x4.add(a2, b), shift), i32x4.shr_s(i32x4.add(a3, b), shift)),
      );
    } else {
      px = i8x16.narrow_i16x8_u(
        i16x8.narrow_i32x4_s(finishF32(a0, sc, dv, off), finishF32(a1, sc, dv, off)),
        i16x8.narrow_i32x4_s(finishF32(a2, sc, dv, off), finishF32(a3, sc, dv, off)),
      );
    }
    storeBlock(srcRow, dstRow, x, w, px);
  }
}
