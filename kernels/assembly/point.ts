// Point ops: each output pixel depends on its input pixel only. All of them keep alpha.
// `n` is a pixel count; `src` may equal `dst` (every kernel here reads a vector before it
// writes it). Loops: 4 pixels per v128, then a scalar tail of n % 4 pixels.

import {
  alphaMask, greyOfSums, greyPixels, keepAlpha, lumaWeights, roundClamp1, roundClampF32,
  weightedSum1, weightedSum4, LUMA_B, LUMA_G, LUMA_R,
} from "./pixels";

/** 255 − c on R, G, B. */
export function invert(src: usize, dst: usize, n: usize): void {
  const flip = i32x4.splat(0x00ffffff);
  const bytes = n << 2;
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, v128.xor(v128.load(src + i), flip));
  for (; i < bytes; i += 4) store<u32>(dst + i, load<u32>(src + i) ^ 0x00ffffff);
}

/** c + delta with saturation, delta in −255..255. */
export function brightness(src: usize, dst: usize, n: usize, delta: i32): void {
  const d = <u32>(delta < 0 ? -delta : delta);
  const dv = i32x4.splat(<i32>(d * 0x010101)); // alpha lane gets 0: alpha unchanged
  const bytes = n << 2;
  let i: usize = 0;
  if (delta >= 0) {
    for (; i + 16 <= bytes; i += 16) v128.store(dst + i, i8x16.add_sat_u(v128.load(src + i), dv));
  } else {
    for (; i + 16 <= bytes; i += 16) v128.store(dst + i, i8x16.sub_sat_u(v128.load(src + i), dv));
  }
  for (; i < bytes; i += 4) {
    const p = load<u32>(src + i);
    let out = p & 0xff000000;
    for (let s: u32 = 0; s < 24; s += 8) {
      const c = <i32>((p >> s) & 0xff) + delta;
      out |= <u32>(c < 0 ? 0 : c > 255 ? 255 : c) << s;
    }
    store<u32>(dst + i, out);
  }
}

/** Fills a 256-byte table: contrast `factor` around 128. */
export function lutContrast(lut: usize, factor: f64): void {
  for (let i = 0; i < 256; i++) store<u8>(lut + i, clampRound((i - 128) * factor + 128));
}

/** Fills a 256-byte table: 255·(c/255)^(1/gamma). */
export function lutGamma(lut: usize, gamma: f64): void {
  const e = 1.0 / gamma;
  for (let i = 0; i < 256; i++) store<u8>(lut + i, clampRound(255.0 * Math.pow(i / 255.0, e)));
}

/** Fills a 256-byte table: `levels` evenly spaced output values. */
export function lutPosterize(lut: usize, levels: i32): void {
  const steps = <f64>(levels - 1);
  for (let i = 0; i < 256; i++) {
    const level = Math.floor((i * steps) / 255.0 + 0.5);
    store<u8>(lut + i, clampRound((level * 255.0) / steps));
  }
}

function clampRound(v: f64): u8 {
  const r = Math.floor(v + 0.5);
  return r <= 0 ? 0 : r >= 255 ? 255 : <u8>r;
}

/**
 * Grey = floor((2·S + D) / 2D) with S = wr·R + wg·G + wb·B and the weights summing to D:
 * round-half-up of S/D in exact integer terms (greyOfSums says how four lanes get it).
 */
export function grayscale(src: usize, dst: usize, n: usize, wr: i32, wg: i32, wb: i32): void {
  const D = wr + wg + wb;
  const w = i16x8(<i16>wr, <i16>wg, <i16>wb, 0, <i16>wr, <i16>wg, <i16>wb, 0);
  const half = f32x4.splat(<f32>D + 0.5);
  const inv = f32x4.splat(<f32>(1.0 / <f64>(D << 1)));
  const bytes = n << 2;
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) {
    const px = v128.load(src + i);
    v128.store(dst + i, greyPixels(greyOfSums(weightedSum4(px, w), half, inv), px));
  }
  for (; i < bytes; i += 4) {
    const p = load<u32>(src + i);
    const g = <u32>((2 * weightedSum1(p, wr, wg, wb) + D) / (2 * D));
    store<u32>(dst + i, (p & 0xff000000) | (g * 0x010101));
  }
}

/**
 * Binarise on exact Rec.709 luma: 255 where 2126·R + 7152·G + 722·B ≥ `minLuma` (the
 * threshold already scaled by 10000 and rounded up by the caller), else 0.
 */
export function threshold(src: usize, dst: usize, n: usize, minLuma: i32): void {
  const w = lumaWeights();
  const t = i32x4.splat(minLuma);
  const white = i32x4.splat(0x00ffffff);
  const bytes = n << 2;
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) {
    const px = v128.load(src + i);
    const on = i32x4.ge_s(weightedSum4(px, w), t);
    v128.store(dst + i, v128.or(v128.and(on, white), v128.and(px, alphaMask())));
  }
  for (; i < bytes; i += 4) {
    const p = load<u32>(src + i);
    const on = weightedSum1(p, LUMA_R, LUMA_G, LUMA_B) >= minLuma;
    store<u32>(dst + i, (p & 0xff000000) | (on ? 0x00ffffff : 0));
  }
}

/**
 * out = M · (R, G, B) for a row-major 3×3 f32 matrix at `m` (saturation, hue-rotate, sepia).
 * Lanes hold one channel of four pixels: a shift and a mask pull R, G and B out of the i32
 * pixel lanes without shuffles.
 */
export function colorMatrix(src: usize, dst: usize, n: usize, m: usize): void {
  const m00 = f32x4.splat(load<f32>(m, 0)), m01 = f32x4.splat(load<f32>(m, 4)), m02 = f32x4.splat(load<f32>(m, 8));
  const m10 = f32x4.splat(load<f32>(m, 12)), m11 = f32x4.splat(load<f32>(m, 16)), m12 = f32x4.splat(load<f32>(m, 20));
  const m20 = f32x4.splat(load<f32>(m, 24)), m21 = f32x4.splat(load<f32>(m, 28)), m22 = f32x4.splat(load<f32>(m, 32));
  const byte = i32x4.splat(0xff);
  const bytes = n << 2;
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) {
    const px = v128.load(src + i);
    const r = f32x4.convert_i32x4_s(v128.and(px, byte));
    const g = f32x4.convert_i32x4_s(v128.and(i32x4.shr_u(px, 8), byte));
    const b = f32x4.convert_i32x4_s(v128.and(i32x4.shr_u(px, 16), byte));
    const ro = roundClampF32(f32x4.add(f32x4.add(f32x4.mul(m00, r), f32x4.mul(m01, g)), f32x4.mul(m02, b)));
    const go = roundClampF32(f32x4.add(f32x4.add(f32x4.mul(m10, r), f32x4.mul(m11, g)), f32x4.mul(m12, b)));
    const bo = roundClampF32(f32x4.add(f32x4.add(f32x4.mul(m20, r), f32x4.mul(m21, g)), f32x4.mul(m22, b)));
    const rgb = v128.or(v128.or(ro, i32x4.shl(go, 8)), i32x4.shl(bo, 16));
    v128.store(dst + i, keepAlpha(rgb, px));
  }
  for (; i < bytes; i += 4) {
    const p = load<u32>(src + i);
    const r = <f32>(p & 0xff), g = <f32>((p >> 8) & 0xff), b = <f32>((p >> 16) & 0xff);
    const ro = roundClamp1(load<f32>(m, 0) * r + load<f32>(m, 4) * g + load<f32>(m, 8) * b);
    const go = roundClamp1(load<f32>(m, 12) * r + load<f32>(m, 16) * g + load<f32>(m, 20) * b);
    const bo = roundClamp1(load<f32>(m, 24) * r + load<f32>(m, 28) * g + load<f32>(m, 32) * b);
    store<u32>(dst + i, (p & 0xff000000) | (bo << 16) | (go << 8) | ro);
  }
}
