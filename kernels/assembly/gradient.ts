// Edge magnitudes of luma: Sobel, Prewitt, Scharr (3×3 gradients) and the 4-neighbour Laplacian.
//
// Luma is kept as S = 2126R + 7152G + 722B, the exact Rec.709 luma ×10000, in f32 lanes:
// S < 2^22, so Sobel and Prewitt sums stay exact integers in f32 and only the final
// √(gx² + gy²) / 10000 rounds. Rows of luma live in a 3-row ring, padded by one replicated
// value on each side (clamp-to-edge), so the inner loop has no bounds checks.
//
//   ring row:  [x=−1][x=0][x=1] … [x=w−1][x=w] … (padded to a multiple of 4)
//   a v128 load at x reads x−1..x+2, at x+1 reads x..x+3, at x+2 reads x+1..x+4.

import { take } from "./memory";
import { clampIndex, greyPixels, roundClampF32 } from "./pixels";
import { loadPixels, ringRow, roundUp4, rowToLuma, storePixels } from "./rows";

/** Fills the luma ring up to row `need`; returns the new `ready`. */
function fillRing(src: usize, w: i32, W4: i32, ring: usize, rowBytes: usize, ready: i32, need: i32): i32 {
  while (ready < need) {
    ready++;
    rowToLuma(src + (<usize>(ready * w) << 2), w, W4, 1, ringRow(ring, rowBytes, 3, ready));
  }
  return ready;
}

/**
 * Writes four magnitudes (f32 lanes, luma ×10000 units) as grey for x..x+3 of a row: grey RGBA
 * pixels with the source's alpha, or with `one` a byte each (the one-channel form).
 */
// @ts-ignore: decorator
@inline function writeGrey(mag: v128, srcRow: usize, dstRow: usize, x: i32, w: i32, one: bool): void {
  const grey = roundClampF32(f32x4.div(mag, f32x4.splat(10000)));
  const left = w - x;
  if (one) {
    const d = dstRow + <usize>x;
    if (left >= 4) {
      v128.store32_lane(d, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(grey, grey), grey), 0);
    } else {
      store<u8>(d, <u8>i32x4.extract_lane(grey, 0));
      if (left > 1) store<u8>(d, <u8>i32x4.extract_lane(grey, 1), 1);
      if (left > 2) store<u8>(d, <u8>i32x4.extract_lane(grey, 2), 2);
    }
    return;
  }
  const at = <usize>x << 2;
  const s = left >= 4 ? v128.load(srcRow + at) : loadPixels(srcRow + at, left);
  const out = greyPixels(grey, s);
  if (left >= 4) v128.store(dstRow + at, out);
  else storePixels(dstRow + at, out, left);
}

/**
 * 3×3 gradient with edge weight `e` and centre weight `c`:
 *   gx = e·(NE − NW) + c·(E − W) + e·(SE − SW),  gy = e·(SW − NW) + c·(S − N) + e·(SE − NE)
 * Sobel is (1, 2), Prewitt (1, 1), Scharr (3, 10). With `one`, dst is one byte per pixel.
 */
export function gradient(src: usize, dst: usize, w: i32, h: i32, e: f32, c: f32, one: bool): void {
  const W4 = roundUp4(w);
  const rowBytes = <usize>(W4 + 2) << 2;
  const ring = take(rowBytes * 3);
  const ev = f32x4.splat(e);
  const cv = f32x4.splat(c);
  let ready = -1;
  for (let y = 0; y < h; y++) {
    ready = fillRing(src, w, W4, ring, rowBytes, ready, clampIndex(y + 1, h));
    const n = ringRow(ring, rowBytes, 3, clampIndex(y - 1, h));
    const m = ringRow(ring, rowBytes, 3, y);
    const s = ringRow(ring, rowBytes, 3, clampIndex(y + 1, h));
    const srcRow = src + (<usize>(y * w) << 2);
    const dstRow = dst + (<usize>(y * w) << (one ? 0 : 2));
    for (let x = 0; x < W4; x += 4) {
      const o = <usize>x << 2;
      const nw = v128.load(n + o), nn = v128.load(n + o, 4), ne = v128.load(n + o, 8);
      const ww = v128.load(m + o), ee = v128.load(m + o, 8);
      const sw = v128.load(s + o), ss = v128.load(s + o, 4), se = v128.load(s + o, 8);
      const gx = f32x4.add(
        f32x4.add(f32x4.mul(ev, f32x4.sub(ne, nw)), f32x4.mul(cv, f32x4.sub(ee, ww))),
        f32x4.mul(ev, f32x4.sub(se, sw)),
      );
      const gy = f32x4.add(
        f32x4.add(f32x4.mul(ev, f32x4.sub(sw, nw)), f32x4.mul(cv, f32x4.sub(ss, nn))),
        f32x4.mul(ev, f32x4.sub(se, ne)),
      );
      writeGrey(f32x4.sqrt(f32x4.add(f32x4.mul(gx, gx), f32x4.mul(gy, gy))), srcRow, dstRow, x, w, one);
    }
  }
}

/** |N + S + W + E − 4·centre| of luma. */
export function laplacian(src: usize, dst: usize, w: i32, h: i32, one: bool): void {
  const W4 = roundUp4(w);
  const rowBytes = <usize>(W4 + 2) << 2;
  const ring = take(rowBytes * 3);
  const four = f32x4.splat(4);
  let ready = -1;
  for (let y = 0; y < h; y++) {
    ready = fillRing(src, w, W4, ring, rowBytes, ready, clampIndex(y + 1, h));
    const n = ringRow(ring, rowBytes, 3, clampIndex(y - 1, h));
    const m = ringRow(ring, rowBytes, 3, y);
    const s = ringRow(ring, rowBytes, 3, clampIndex(y + 1, h));
    const srcRow = src + (<usize>(y * w) << 2);
    const dstRow = dst + (<usize>(y * w) << (one ? 0 : 2));
    for (let x = 0; x < W4; x += 4) {
      const o = <usize>x << 2;
      const around = f32x4.add(
        f32x4.add(v128.load(n + o, 4), v128.load(s + o, 4)),
        f32x4.add(v128.load(m + o), v128.load(m + o, 8)),
      );
      writeGrey(f32x4.abs(f32x4.sub(around, f32x4.mul(four, v128.load(m + o, 4)))), srcRow, dstRow, x, w, one);
    }
  }
}
