// Row plumbing shared by the neighbourhood kernels: clamp-to-edge padding and partial stores.

import { keepAlpha, lumaWeights, roundClampF32, weightedSum1, weightedSum4, LUMA_B, LUMA_G, LUMA_R } from "./pixels";

/** Stores the first `count` (1..3) pixels of `v` at `dst`: the tail of a row. */
// @ts-ignore: decorator
@inline export function storePixels(dst: usize, v: v128, count: i32): void {
  store<u32>(dst, i32x4.extract_lane(v, 0));
  if (count > 1) store<u32>(dst, i32x4.extract_lane(v, 1), 4);
  if (count > 2) store<u32>(dst, i32x4.extract_lane(v, 2), 8);
}

/**
 * Replicates the first and last pixel of a padded row outward (clamp-to-edge).
 * The row holds `pad` pixels, then `width` real pixels, then `right` pixels;
 * each pixel is `pixelBytes` wide (8 for i16×4, 16 for f32×4).
 */
export function replicateEdges(row: usize, pad: i32, width: i32, right: i32, pixelBytes: i32): void {
  const first = row + <usize>(pad * pixelBytes);
  const last = first + <usize>((width - 1) * pixelBytes);
  for (let i = 0; i < pad; i++) memory.copy(row + <usize>(i * pixelBytes), first, pixelBytes);
  for (let i = 1; i <= right; i++) memory.copy(last + <usize>(i * pixelBytes), last, pixelBytes);
}

/** Rounds `w` up to a multiple of four pixels, so rows can be processed a full v128 at a time. */
// @ts-ignore: decorator
@inline export function roundUp4(w: i32): i32 {
  return (w + 3) & ~3;
}

/** Loads 1..3 pixels into the low lanes of a v128 without reading past them. */
export function loadPixels(ptr: usize, count: i32): v128 {
  let v = v128.load32_zero(ptr);
  if (count > 1) v = v128.load32_lane(ptr, v, 1, 4);
  if (count > 2) v = v128.load32_lane(ptr, v, 2, 8);
  return v;
}

/** One RGBA8 pixel as f32x4 (R, G, B, A lanes). */
// @ts-ignore: decorator
@inline export function pixelToF32(ptr: usize): v128 {
  return f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(ptr))));
}

/** f32x4 channel values → one RGBA8 pixel (rounded half up, clamped), alpha taken from `srcPixel`. */
// @ts-ignore: decorator
@inline export function f32ToPixel(v: v128, srcPixel: u32): u32 {
  const r = roundClampF32(v);
  const packed = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(r, r), r);
  return (srcPixel & 0xff000000) | (i32x4.extract_lane(packed, 0) & 0x00ffffff);
}

/** An RGBA8 row as f32x4 pixels with `pad` replicated pixels on each side. */
export function rowToF32(row: usize, w: i32, pad: i32, out: usize): void {
  const body = out + (<usize>pad << 4);
  for (let x = 0; x < w; x++) v128.store(body + (<usize>x << 4), pixelToF32(row + (<usize>x << 2)));
  replicateEdges(out, pad, w, pad, 16);
}

/** Exact Rec.709 luma ×10000 (S = 2126R + 7152G + 722B) of an RGBA8 row as f32, `pad` replicated values each side; `W4 - w` extra on the right. */
export function rowToLuma(row: usize, w: i32, W4: i32, pad: i32, out: usize): void {
  const body = out + (<usize>pad << 2);
  const weights = lumaWeights();
  let x = 0;
  for (; x + 4 <= w; x += 4) {
    v128.store(body + (<usize>x << 2), f32x4.convert_i32x4_s(weightedSum4(v128.load(row + (<usize>x << 2)), weights)));
  }
  for (; x < w; x++) store<f32>(body + (<usize>x << 2), <f32>weightedSum1(load<u32>(row + (<usize>x << 2)), LUMA_R, LUMA_G, LUMA_B));
  replicateEdges(out, pad, w, W4 - w + pad, 4);
}

/** Slot of source row `row` in a ring of `slots` rows of `rowBytes` each at `base`. */
// @ts-ignore: decorator
@inline export function ringRow(base: usize, rowBytes: usize, slots: i32, row: i32): usize {
  return base + rowBytes * <usize>(row % slots);
}

/** Writes 4 result pixels at x (fewer at the row's end) with the source's alpha. */
// @ts-ignore: decorator
@inline export function storeBlock(srcRow: usize, dstRow: usize, x: i32, w: i32, rgb: v128): void {
  const left = w - x;
  if (left <= 0) return;
  const at = <usize>x << 2;
  if (left >= 4) {
    v128.store(dstRow + at, keepAlpha(rgb, v128.load(srcRow + at)));
  } else {
    storePixels(dstRow + at, keepAlpha(rgb, loadPixels(srcRow + at, left)), left);
  }
}
