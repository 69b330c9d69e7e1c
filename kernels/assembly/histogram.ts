// The luma histogram behind the global ops (equalize, normalize, otsu-threshold).

import { lumaWeights, weightedSum1, weightedSum4, LUMA_B, LUMA_G, LUMA_R } from "./pixels";

/**
 * 256 u32 bins at `hist` of Rec.709 luma rounded half up: floor((2S + 10000) / 20000) with
 * S = 2126R + 7152G + 722B. The sums come four pixels at a time from SIMD; the division is
 * exact in f32 (see grayscale), and the increments are scalar (wasm has no scatter).
 */
export function lumaHistogram(src: usize, n: usize, hist: usize): void {
  memory.fill(hist, 0, 256 * 4);
  const w = lumaWeights();
  const half = i32x4.splat(10000);
  const den = f32x4.splat(20000);
  const bytes = n << 2;
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) {
    const s = i32x4.add(i32x4.shl(weightedSum4(v128.load(src + i), w), 1), half);
    const bin = i32x4.trunc_sat_f32x4_s(f32x4.floor(f32x4.div(f32x4.convert_i32x4_s(s), den)));
    bump(hist, i32x4.extract_lane(bin, 0));
    bump(hist, i32x4.extract_lane(bin, 1));
    bump(hist, i32x4.extract_lane(bin, 2));
    bump(hist, i32x4.extract_lane(bin, 3));
  }
  for (; i < bytes; i += 4) {
    const s = weightedSum1(load<u32>(src + i), LUMA_R, LUMA_G, LUMA_B);
    bump(hist, (2 * s + 10000) / 20000);
  }
}

// @ts-ignore: decorator
@inline function bump(hist: usize, bin: i32): void {
  const p = hist + (<usize>bin << 2);
  store<u32>(p, load<u32>(p) + 1);
}

