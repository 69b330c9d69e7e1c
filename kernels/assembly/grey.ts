// The one-channel forms: kernels that write one byte per pixel for ops whose result is grey,
// kernels that take a one-channel (grey) image, and the conversions between 1, 3 and 4
// channels. An RGBA result that is grey carries the same value in R, G and B, so the compact
// form is its R channel; these kernels compute that byte directly instead of writing four
// and dropping three, which matters most at the end of a call, where every byte written has
// to be copied out of wasm memory.

import { greyOfSums, lumaWeights, weightedSum1, weightedSum4, LUMA_B, LUMA_G, LUMA_R } from "./pixels";

/** Four i32 lanes (0..255) of each of a..d → 16 bytes, in order. */
// @ts-ignore: decorator
@inline function bytes16(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d));
}

/** grayscale (see point.ts for the exact rounding), one byte per pixel: RGBA8 in, grey8 out. */
export function grayscaleTo1(src: usize, dst: usize, n: usize, wr: i32, wg: i32, wb: i32): void {
  const D = wr + wg + wb;
  const w = i16x8(<i16>wr, <i16>wg, <i16>wb, 0, <i16>wr, <i16>wg, <i16>wb, 0);
  const half = f32x4.splat(<f32>D + 0.5);
  const inv = f32x4.splat(<f32>(1.0 / <f64>(D << 1)));
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) {
    const p = src + (i << 2);
    const g0 = greyOfSums(weightedSum4(v128.load(p), w), half, inv);
    const g1 = greyOfSums(weightedSum4(v128.load(p, 16), w), half, inv);
    const g2 = greyOfSums(weightedSum4(v128.load(p, 32), w), half, inv);
    const g3 = greyOfSums(weightedSum4(v128.load(p, 48), w), half, inv);
    v128.store(dst + i, bytes16(g0, g1, g2, g3));
  }
  for (; i < n; i++) {
    store<u8>(dst + i, <u8>((2 * weightedSum1(load<u32>(src + (i << 2)), wr, wg, wb) + D) / (2 * D)));
  }
}

/** threshold (point.ts) one byte per pixel: 255 where 2126R + 7152G + 722B ≥ minLuma, else 0. */
export function thresholdTo1(src: usize, dst: usize, n: usize, minLuma: i32): void {
  const w = lumaWeights();
  const t = i32x4.splat(minLuma);
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) {
    const p = src + (i << 2);
    // Comparison lanes are all ones or zero, so the signed narrows keep them −1 / 0 = 0xFF / 0.
    const a = i32x4.ge_s(weightedSum4(v128.load(p), w), t);
    const b = i32x4.ge_s(weightedSum4(v128.load(p, 16), w), t);
    const c = i32x4.ge_s(weightedSum4(v128.load(p, 32), w), t);
    const e = i32x4.ge_s(weightedSum4(v128.load(p, 48), w), t);
    v128.store(dst + i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, e)));
  }
  for (; i < n; i++) {
    store<u8>(dst + i, weightedSum1(load<u32>(src + (i << 2)), LUMA_R, LUMA_G, LUMA_B) >= minLuma ? 255 : 0);
  }
}

/** Grey8 → 255 where v ≥ minValue, else 0 (16 pixels per compare). */
export function thresholdGrey(src: usize, dst: usize, n: usize, minValue: i32): void {
  if (minValue <= 0) {
    memory.fill(dst, 255, n);
    return;
  }
  if (minValue > 255) {
    memory.fill(dst, 0, n);
    return;
  }
  const t = i8x16.splat(<i8>minValue);
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) v128.store(dst + i, i8x16.ge_u(v128.load(src + i), t));
  for (; i < n; i++) store<u8>(dst + i, <i32>load<u8>(src + i) >= minValue ? 255 : 0);
}

/** 256 u32 bins of a grey8 image: for grey pixels the luma bin is the value itself. */
export function greyHistogram(src: usize, n: usize, hist: usize): void {
  // Four sub-histograms so that runs of equal values do not wait on one counter's store.
  const sub = hist + 1024;
  memory.fill(sub, 0, 4096);
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) {
    const v = load<u32>(src + i);
    bump(sub, v & 0xff);
    bump(sub + 1024, (v >> 8) & 0xff);
    bump(sub + 2048, (v >> 16) & 0xff);
    bump(sub + 3072, v >> 24);
  }
  for (; i < n; i++) bump(sub, load<u8>(src + i));
  for (let b: usize = 0; b < 1024; b += 4) {
    store<u32>(hist + b, load<u32>(sub + b) + load<u32>(sub + b, 1024) + load<u32>(sub + b, 2048) + load<u32>(sub + b, 3072));
  }
}

// @ts-ignore: decorator
@inline function bump(hist: usize, bin: u32): void {
  const p = hist + (<usize>bin << 2);
  store<u32>(p, load<u32>(p) + 1);
}

/** Grey8 → RGBA8 grey (R = G = B = v, A = 255), 16 pixels per iteration. */
export function expandGrey(src: usize, dst: usize, n: usize): void {
  const opaque = i32x4.splat(0xff000000);
  const k = i32x4.splat(0x010101);
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) {
    const v = v128.load(src + i);
    const lo = i16x8.extend_low_i8x16_u(v);
    const hi = i16x8.extend_high_i8x16_u(v);
    const o = dst + (i << 2);
    v128.store(o, v128.or(i32x4.mul(i32x4.extend_low_i16x8_u(lo), k), opaque));
    v128.store(o, v128.or(i32x4.mul(i32x4.extend_high_i16x8_u(lo), k), opaque), 16);
    v128.store(o, v128.or(i32x4.mul(i32x4.extend_low_i16x8_u(hi), k), opaque), 32);
    v128.store(o, v128.or(i32x4.mul(i32x4.extend_high_i16x8_u(hi), k), opaque), 48);
  }
  for (; i < n; i++) store<u32>(dst + (i << 2), (<u32>load<u8>(src + i) * 0x010101) | 0xff000000);
}

/** RGBA8 → its R channel, 16 pixels per iteration (the compact form of a grey RGBA image). */
export function packGrey(src: usize, dst: usize, n: usize): void {
  const byte = i32x4.splat(0xff);
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) {
    const p = src + (i << 2);
    const a = v128.and(v128.load(p), byte);
    const b = v128.and(v128.load(p, 16), byte);
    const c = v128.and(v128.load(p, 32), byte);
    const d = v128.and(v128.load(p, 48), byte);
    v128.store(dst + i, bytes16(a, b, c, d));
  }
  for (; i < n; i++) store<u8>(dst + i, load<u8>(src + (i << 2)));
}

/** RGB8 → RGBA8 with A = 255 (`src` must not overlap `dst`). */
export function expandRgb(src: usize, dst: usize, n: usize): void {
  const take3 = v128(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
  const opaque = i32x4.splat(0xff000000);
  let i: usize = 0;
  // 16-byte loads at 3i read 4 bytes past the 4 pixels used: stop 2 pixels early.
  for (; i + 6 <= n; i += 4) {
    v128.store(dst + (i << 2), v128.or(i8x16.swizzle(v128.load(src + i * 3), take3), opaque));
  }
  for (; i < n; i++) {
    const s = src + i * 3;
    store<u32>(dst + (i << 2), <u32>load<u8>(s) | (<u32>load<u8>(s, 1) << 8) | (<u32>load<u8>(s, 2) << 16) | 0xff000000);
  }
}

/** RGBA8 → RGB8 (drops alpha). */
export function packRgb(src: usize, dst: usize, n: usize): void {
  const drop = v128(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  let i: usize = 0;
  // Each store writes 16 bytes of which 12 are the result: stop 2 pixels early.
  for (; i + 6 <= n; i += 4) v128.store(dst + i * 3, i8x16.swizzle(v128.load(src + (i << 2)), drop));
  for (; i < n; i++) {
    const p = load<u32>(src + (i << 2));
    const d = dst + i * 3;
    store<u8>(d, <u8>p);
    store<u8>(d, <u8>(p >> 8), 1);
    store<u8>(d, <u8>(p >> 16), 2);
  }
}
