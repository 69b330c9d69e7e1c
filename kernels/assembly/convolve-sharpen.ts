// Unsharp masking.
//
// sharpen is defined in f32 (its `amount`, up to 10, multiplies the blur's error, so it needs
// more headroom than the Q7 fixed point of the blur kernels): one pixel is one f32x4 (R, G,
// B, A lanes). Every lane goes through the same sequence of f32 operations whatever the loop
// shape, so the loops below work on blocks of pixels for speed and still produce the bytes of
// the plain per-pixel loop.

import { take } from "./memory";
import { clampIndex, roundClampF32 } from "./pixels";
import { loadPixels, replicateEdges, ringRow, roundUp4, storeBlock } from "./rows";

/**
 * in + amount·(in − gauss(in, σ)), the gaussian separable over f32 rows: a horizontal pass
 * per source row into a ring, then a vertical pass per output row. Both passes work on blocks
 * of 4 pixels, so each weight is splatted and each ring-row pointer read once per block rather
 * than once per pixel, and 4 independent accumulators keep the multiplier busy; the result is
 * written 4 pixels per store. Per lane the operations are those of the one-pixel loop
 * (acc = 0, then acc + w_k·p_k for k = −R..R), so the bytes are too.
 */
export function sharpen(src: usize, dst: usize, w: i32, h: i32, sigma: f64, amount: f32): void {
  const R = <i32>Math.ceil(3 * sigma);
  const taps = 2 * R + 1;
  const weights = take(<usize>taps << 2);
  let sum = 0.0;
  for (let k = -R; k <= R; k++) sum += Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = -R; k <= R; k++) store<f32>(weights + (<usize>(k + R) << 2), <f32>(Math.exp(-(k * k) / (2 * sigma * sigma)) / sum));

  const W4 = roundUp4(w);
  const padded = take(<usize>(W4 + 2 * R) << 4);
  const rowBytes = <usize>W4 << 4;
  const ring = take(rowBytes * <usize>taps);
  const rows = take(<usize>taps << 2);
  const a = f32x4.splat(amount);
  let ready = -1;
  for (let y = 0; y < h; y++) {
    const need = clampIndex(y + R, h);
    while (ready < need) {
      ready++;
      rowToF32x4(src + (<usize>(ready * w) << 2), w, W4, R, padded);
      blurRow(padded, ringRow(ring, rowBytes, taps, ready), W4, weights, taps);
    }
    for (let k = 0; k < taps; k++) store<u32>(rows + (<usize>k << 2), <u32>ringRow(ring, rowBytes, taps, clampIndex(y - R + k, h)));
    const srcRow = src + (<usize>(y * w) << 2);
    const dstRow = dst + (<usize>(y * w) << 2);
    for (let x = 0; x < W4; x += 4) {
      const at = <usize>x << 4;
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      for (let k = 0; k < taps; k++) {
        const wk = v128.load32_splat(weights + (<usize>k << 2));
        const p = <usize>load<u32>(rows + (<usize>k << 2)) + at;
        b0 = f32x4.add(b0, f32x4.mul(wk, v128.load(p)));
        b1 = f32x4.add(b1, f32x4.mul(wk, v128.load(p, 16)));
        b2 = f32x4.add(b2, f32x4.mul(wk, v128.load(p, 32)));
        b3 = f32x4.add(b3, f32x4.mul(wk, v128.load(p, 48)));
      }
      const left = w - x;
      const px = left >= 4 ? v128.load(srcRow + (<usize>x << 2)) : loadPixels(srcRow + (<usize>x << 2), left);
      const lo = i16x8.extend_low_i8x16_u(px);
      const hi = i16x8.extend_high_i8x16_u(px);
      const o0 = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo));
      const o1 = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo));
      const o2 = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi));
      const o3 = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi));
      const r0 = roundClampF32(f32x4.add(o0, f32x4.mul(a, f32x4.sub(o0, b0))));
      const r1 = roundClampF32(f32x4.add(o1, f32x4.mul(a, f32x4.sub(o1, b1))));
      const r2 = roundClampF32(f32x4.add(o2, f32x4.mul(a, f32x4.sub(o2, b2))));
      const r3 = roundClampF32(f32x4.add(o3, f32x4.mul(a, f32x4.sub(o3, b3))));
      storeBlock(srcRow, dstRow, x, w, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(r0, r1), i16x8.narrow_i32x4_s(r2, r3)));
    }
  }
}

/** An RGBA8 row as f32x4 pixels, 4 per load, with R replicated pixels each side (and W4 − w more on the right). */
function rowToF32x4(row: usize, w: i32, W4: i32, R: i32, out: usize): void {
  const body = out + (<usize>R << 4);
  let x = 0;
  for (; x + 4 <= w; x += 4) {
    const px = v128.load(row + (<usize>x << 2));
    const lo = i16x8.extend_low_i8x16_u(px);
    const hi = i16x8.extend_high_i8x16_u(px);
    const o = body + (<usize>x << 4);
    v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)));
    v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), 16);
    v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), 32);
    v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), 48);
  }
  for (; x < w; x++) {
    v128.store(body + (<usize>x << 4), f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(row + (<usize>x << 2))))));
  }
  replicateEdges(out, R, w, W4 - w + R, 16);
}

/** Horizontal gaussian taps over a padded f32 row into `out` (W4 pixels), 4 pixels per block. */
function blurRow(padded: usize, out: usize, W4: i32, weights: usize, taps: i32): void {
  for (let x = 0; x < W4; x += 4) {
    const base = padded + (<usize>x << 4);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let k = 0; k < taps; k++) {
      const wk = v128.load32_splat(weights + (<usize>k << 2));
      const p = base + (<usize>k << 4);
      a0 = f32x4.add(a0, f32x4.mul(wk, v128.load(p)));
      a1 = f32x4.add(a1, f32x4.mul(wk, v128.load(p, 16)));
      a2 = f32x4.add(a2, f32x4.mul(wk, v128.load(p, 32)));
      a3 = f32x4.add(a3, f32x4.mul(wk, v128.load(p, 48)));
    }
    const o = out + (<usize>x << 4);
    v128.store(o, a0);
    v128.store(o, a1, 16);
    v128.store(o, a2, 32);
    v128.store(o, a3, 48);
  }
}
