// General convolution and unsharp masking, in f32: sharpen's `amount` (up to 10) multiplies
// the blur's error, and convolve takes arbitrary real weights, so both need more headroom
// than the Q7 fixed point of the blur kernels. One pixel is one f32x4 (R, G, B, A lanes);
// source rows are converted once into a ring of padded f32 rows.

import { take } from "./memory";
import { clampIndex } from "./pixels";
import { f32ToPixel, pixelToF32, ringRow, rowToF32 } from "./rows";

/**
 * out = round(Σ k·in / divisor + offset) over a side×side kernel (row-major f32 at `kernel`),
 * clamp-to-edge, alpha kept.
 */
export function convolve(src: usize, dst: usize, w: i32, h: i32, kernel: usize, side: i32, divisor: f32, offset: f32): void {
  const R = side >> 1;
  const rowBytes = <usize>(w + 2 * R) << 4;
  const ring = take(rowBytes * <usize>side);
  const rows = take(<usize>side << 2);
  const inv = f32x4.splat(divisor);
  const off = f32x4.splat(offset);
  let ready = -1;
  for (let y = 0; y < h; y++) {
    const need = clampIndex(y + R, h);
    while (ready < need) {
      ready++;
      rowToF32(src + (<usize>(ready * w) << 2), w, R, ringRow(ring, rowBytes, side, ready));
    }
    for (let k = 0; k < side; k++) store<u32>(rows + (<usize>k << 2), <u32>ringRow(ring, rowBytes, side, clampIndex(y - R + k, h)));
    const srcRow = src + (<usize>(y * w) << 2);
    const dstRow = dst + (<usize>(y * w) << 2);
    for (let x = 0; x < w; x++) {
      let acc = f32x4.splat(0);
      for (let ky = 0; ky < side; ky++) {
        const row = <usize>load<u32>(rows + (<usize>ky << 2)) + (<usize>x << 4);
        const weights = kernel + (<usize>(ky * side) << 2);
        for (let kx = 0; kx < side; kx++) {
          acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(weights + (<usize>kx << 2)), v128.load(row + (<usize>kx << 4))));
        }
      }
      const at = <usize>x << 2;
      store<u32>(dstRow + at, f32ToPixel(f32x4.add(f32x4.div(acc, inv), off), load<u32>(srcRow + at)));
    }
  }
}

/** in + amount·(in − gauss(in, σ)), the gaussian separable over f32 rows. */
export function sharpen(src: usize, dst: usize, w: i32, h: i32, sigma: f64, amount: f32): void {
  const R = <i32>Math.ceil(3 * sigma);
  const taps = 2 * R + 1;
  const weights = take(<usize>taps << 2);
  let sum = 0.0;
  for (let k = -R; k <= R; k++) sum += Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = -R; k <= R; k++) store<f32>(weights + (<usize>(k + R) << 2), <f32>(Math.exp(-(k * k) / (2 * sigma * sigma)) / sum));

  const padded = take(<usize>(w + 2 * R) << 4);
  const rowBytes = <usize>w << 4;
  const ring = take(rowBytes * <usize>taps);
  const rows = take(<usize>taps << 2);
  const a = f32x4.splat(amount);
  let ready = -1;
  for (let y = 0; y < h; y++) {
    const need = clampIndex(y + R, h);
    while (ready < need) {
      ready++;
      rowToF32(src + (<usize>(ready * w) << 2), w, R, padded);
      const out = ringRow(ring, rowBytes, taps, ready);
      for (let x = 0; x < w; x++) {
        let acc = f32x4.splat(0);
        const at = padded + (<usize>x << 4);
        for (let k = 0; k < taps; k++) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(weights + (<usize>k << 2)), v128.load(at + (<usize>k << 4))));
        v128.store(out + (<usize>x << 4), acc);
      }
    }
    for (let k = 0; k < taps; k++) store<u32>(rows + (<usize>k << 2), <u32>ringRow(ring, rowBytes, taps, clampIndex(y - R + k, h)));
    const srcRow = src + (<usize>(y * w) << 2);
    const dstRow = dst + (<usize>(y * w) << 2);
    for (let x = 0; x < w; x++) {
      let blur = f32x4.splat(0);
      const at = <usize>x << 4;
      for (let k = 0; k < taps; k++) {
        blur = f32x4.add(blur, f32x4.mul(v128.load32_splat(weights + (<usize>k << 2)), v128.load(<usize>load<u32>(rows + (<usize>k << 2)) + at)));
      }
      const p = srcRow + (<usize>x << 2);
      const orig = pixelToF32(p);
      store<u32>(dstRow + (<usize>x << 2), f32ToPixel(f32x4.add(orig, f32x4.mul(a, f32x4.sub(orig, blur))), load<u32>(p)));
    }
  }
}
