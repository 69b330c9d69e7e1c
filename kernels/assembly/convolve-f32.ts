// General convolution, the f32 path.
//
// convolve is defined in f32 (it takes arbitrary real weights, so it needs more headroom than
// the Q7 fixed point of the blur kernels): one pixel is one f32x4 (R, G, B, A lanes).
//
// convolve has an integer path besides (convolveInt, convolve-int.ts): when every f32 weight
// is an integer times 2^-p, the f32 sum is exact, so summing integers instead gives the same
// sum, bit for bit; see convolveInt for when the rest of the arithmetic is integer too.

import { take } from "./memory";
import { clampIndex } from "./pixels";
import { f32ToPixel, ringRow, rowToF32 } from "./rows";


/**
 * out = round(Σ k·in / divisor + offset) over a side×side kernel (row-major f32 at `kernel`),
 * clamp-to-edge, alpha kept. The general (real-weight) path.
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
