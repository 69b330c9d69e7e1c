// SIMD helpers shared by the kernels. Pixels are RGBA8 interleaved; read as i32 lanes a
// pixel is 0xAABBGGRR (little endian), so one v128 holds four pixels.

/** Lanes that hold alpha bytes, as a byte mask: 0xFF000000 in each i32 lane. */
// @ts-ignore: decorator
@inline export function alphaMask(): v128 {
  return i32x4.splat(0xff000000);
}

/** Keeps `src`'s alpha bytes and takes everything else from `rgb`. */
// @ts-ignore: decorator
@inline export function keepAlpha(rgb: v128, src: v128): v128 {
  return v128.bitselect(src, rgb, alphaMask());
}

/**
 * Weighted sum wr·R + wg·G + wb·B of four pixels, as i32 lanes (one per pixel).
 * `weights` holds i16 lanes (wr, wg, wb, 0, wr, wg, wb, 0); each weight must fit i16.
 * Two dot products give [wr·R+wg·G, wb·B] pairs for two pixels each; a shuffle pairs the
 * halves up so one add finishes all four sums.
 */
// @ts-ignore: decorator
@inline export function weightedSum4(px: v128, weights: v128): v128 {
  const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(px), weights);
  const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(px), weights);
  const rg = v128.shuffle<i32>(lo, hi, 0, 2, 4, 6);
  const b = v128.shuffle<i32>(lo, hi, 1, 3, 5, 7);
  return i32x4.add(rg, b);
}

/** Scalar twin of weightedSum4 for the tail. */
// @ts-ignore: decorator
@inline export function weightedSum1(p: u32, wr: i32, wg: i32, wb: i32): i32 {
  return wr * <i32>(p & 0xff) + wg * <i32>((p >> 8) & 0xff) + wb * <i32>((p >> 16) & 0xff);
}

/** Rec.709 luma ×10000 as exact integers: 2126·R + 7152·G + 722·B (the weights sum to 10000). */
export const LUMA_R: i32 = 2126;
export const LUMA_G: i32 = 7152;
export const LUMA_B: i32 = 722;
export const LUMA_SCALE: i32 = 10000;

// @ts-ignore: decorator
@inline export function lumaWeights(): v128 {
  return i16x8(<i16>LUMA_R, <i16>LUMA_G, <i16>LUMA_B, 0, <i16>LUMA_R, <i16>LUMA_G, <i16>LUMA_B, 0);
}

/** Four grey values (i32 lanes, 0..255) as grey RGBA pixels with `src`'s alpha. */
// @ts-ignore: decorator
@inline export function greyPixels(grey: v128, src: v128): v128 {
  return v128.or(i32x4.mul(grey, i32x4.splat(0x010101)), v128.and(src, alphaMask()));
}

/**
 * The grey value of four weighted sums S (i32 lanes): round-half-up of S/D, which is
 * floor((2S + D) / 2D), without a division. `half` is D + 0.5 and `inv` 1/(2D), both f32.
 *
 * x = (2S + D + 0.5) / 2D is never within 0.5/2D of an integer, and floor(x) is the answer;
 * the f32 product is within 2.3e-5 of x (S ≤ 255·D, D ≤ 10000), so inside that margin. Adding
 * 2^23 − 0.5 rounds it to the integer floor(x) in the low mantissa bits, which the mask keeps.
 * The f32 floor, divide and truncation this replaces took ~60 % of grayscale's time. The
 * kernel tests check every one of the 2^24 colours for each weight set.
 */
// @ts-ignore: decorator
@inline export function greyOfSums(sums: v128, half: v128, inv: v128): v128 {
  const x = f32x4.mul(f32x4.add(f32x4.convert_i32x4_s(i32x4.shl(sums, 1)), half), inv);
  return v128.and(f32x4.add(x, f32x4.splat(8388607.5)), i32x4.splat(0xff));
}

/** Rounds half up and clamps to 0..255, as i32 lanes: the one rounding rule of the contract. */
// @ts-ignore: decorator
@inline export function roundClampF32(v: v128): v128 {
  const r = i32x4.trunc_sat_f32x4_s(f32x4.floor(f32x4.add(v, f32x4.splat(0.5))));
  return i32x4.min_s(i32x4.max_s(r, i32x4.splat(0)), i32x4.splat(255));
}

// @ts-ignore: decorator
@inline export function roundClamp1(v: f32): u32 {
  const r = Mathf.floor(v + 0.5);
  return r <= 0 ? 0 : r >= 255 ? 255 : <u32>r;
}

// @ts-ignore: decorator
@inline export function clampIndex(i: i32, n: i32): i32 {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}
