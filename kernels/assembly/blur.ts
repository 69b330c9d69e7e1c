// Box and gaussian blur: separable, fixed point, clamp-to-edge borders.

import { clampIndex } from "./pixels";
import { take } from "./memory";
import { loadPixels, replicateEdges, ringRow, roundUp4, storeBlock, storePixels } from "./rows";
import { keepAlpha } from "./pixels";

// ─── Gaussian ──────────────────────────────────────────────────────────────────────────────
//
// Numbers: pixels become i16 in Q6 (value·64, ≤ 16320); weights are Q15 (sum exactly 32768).
// The kernel is symmetric, so the two pixels at ±k are added first (≤ 32640, still an i16)
// and multiplied once: i16x8.q15mulr_sat_s computes (a·w + 2^14) >> 15, a pmulhrsw on x86.
// Each product rounds to 1/128 of a level, well inside the ±1 contract.
//
// Flow for each output row y:
//   source row ─▶ Q6 padded row (R replicated pixels each side)
//              ─▶ horizontal taps ─▶ ring[row % (2R+1)]   (each source row once)
//   ring rows clamp(y−R)..clamp(y+R) ─▶ vertical taps ─▶ (acc + 32) >> 6 ─▶ u8, source alpha
//
// Both passes work on blocks of 8 pixels (four v128 of 2 pixels × 4 channels) so that each
// weight is splatted once per block and four independent accumulators keep the multiplier
// busy.

/** Kernel radius for sigma: ceil(3σ), the contract's definition. */
export function gaussianRadius(sigma: f64): i32 {
  return <i32>Math.ceil(3 * sigma);
}

/** Q15 weights for taps 0..R (distance from the centre) at `out` (i16 each); the full kernel sums to 32768. */
function gaussianWeightsQ15(sigma: f64, radius: i32, out: usize): void {
  let sum = 0.0;
  for (let k = -radius; k <= radius; k++) sum += Math.exp(-(k * k) / (2 * sigma * sigma));
  let total = 0;
  for (let k = 0; k <= radius; k++) {
    const q = <i32>Math.floor((Math.exp(-(k * k) / (2 * sigma * sigma)) / sum) * 32768 + 0.5);
    store<i16>(out + (<usize>k << 1), <i16>q);
    total += k == 0 ? q : 2 * q;
  }
  // Put the rounding residue on the centre tap so that a flat image stays flat.
  store<i16>(out, <i16>(load<i16>(out) + (32768 - total)));
}

/** Rounds a pixel count up to the 8-pixel block both passes work in. */
// @ts-ignore: decorator
@inline function roundUp8(w: i32): i32 {
  return (w + 7) & ~7;
}

export function gaussianBlur(src: usize, dst: usize, w: i32, h: i32, sigma: f64): void {
  const R = gaussianRadius(sigma);
  const taps = 2 * R + 1;
  const W8 = roundUp8(w);
  const rowBytes = <usize>W8 << 3; // 4 channels × i16 per pixel
  const weights = take(<usize>(R + 1) << 1);
  gaussianWeightsQ15(sigma, R, weights);

  const padded = take(<usize>(W8 + 2 * R) << 3);
  const ring = take(rowBytes * <usize>taps);
  const rows = take(<usize>taps << 2); // pointers to the ring rows of the current window
  let ready = -1; // highest source row already in the ring

  for (let y = 0; y < h; y++) {
    const need = clampIndex(y + R, h);
    while (ready < need) {
      ready++;
      horizontalQ6(src + (<usize>(ready * w) << 2), w, W8, R, weights, padded, ringRow(ring, rowBytes, taps, ready));
    }
    for (let k = 0; k < taps; k++) {
      store<u32>(rows + (<usize>k << 2), <u32>ringRow(ring, rowBytes, taps, clampIndex(y - R + k, h)));
    }
    verticalQ6(src + (<usize>(y * w) << 2), dst + (<usize>(y * w) << 2), w, W8, R, weights, rows);
  }
}

/** One source row → Q6 horizontal blur in `out` (W8 pixels; lanes past `w` are don't-care). */
function horizontalQ6(row: usize, w: i32, W8: i32, R: i32, weights: usize, padded: usize, out: usize): void {
  // Stage 1: widen u8 → i16 Q6 into the padded row; 4 pixels per v128 load.
  const body = padded + (<usize>R << 3);
  let x = 0;
  for (; x + 4 <= w; x += 4) {
    const px = v128.load(row + (<usize>x << 2));
    v128.store(body + (<usize>x << 3), i16x8.shl(i16x8.extend_low_i8x16_u(px), 6));
    v128.store(body + (<usize>x << 3), i16x8.shl(i16x8.extend_high_i8x16_u(px), 6), 16);
  }
  for (; x < w; x++) {
    v128.store64_lane(body + (<usize>x << 3), i16x8.shl(i16x8.extend_low_i8x16_u(v128.load32_zero(row + (<usize>x << 2))), 6), 0);
  }
  replicateEdges(padded, R, w, W8 - w + R, 8);

  // Stage 2: taps, 8 pixels per block. Output pixel p reads padded pixels p..p+2R; the pair
  // at distance k from the centre is p+R−k and p+R+k.
  const wc = v128.load16_splat(weights);
  for (let p = 0; p < W8; p += 8) {
    const centre = padded + (<usize>(p + R) << 3);
    let a0 = i16x8.q15mulr_sat_s(v128.load(centre), wc);
    let a1 = i16x8.q15mulr_sat_s(v128.load(centre, 16), wc);
    let a2 = i16x8.q15mulr_sat_s(v128.load(centre, 32), wc);
    let a3 = i16x8.q15mulr_sat_s(v128.load(centre, 48), wc);
    for (let k = 1; k <= R; k++) {
      const wk = v128.load16_splat(weights + (<usize>k << 1));
      const lo = centre - (<usize>k << 3);
      const hi = centre + (<usize>k << 3);
      a0 = i16x8.add_sat_s(a0, i16x8.q15mulr_sat_s(i16x8.add_sat_s(v128.load(lo), v128.load(hi)), wk));
      a1 = i16x8.add_sat_s(a1, i16x8.q15mulr_sat_s(i16x8.add_sat_s(v128.load(lo, 16), v128.load(hi, 16)), wk));
      a2 = i16x8.add_sat_s(a2, i16x8.q15mulr_sat_s(i16x8.add_sat_s(v128.load(lo, 32), v128.load(hi, 32)), wk));
      a3 = i16x8.add_sat_s(a3, i16x8.q15mulr_sat_s(i16x8.add_sat_s(v128.load(lo, 48), v128.load(hi, 48)), wk));
    }
    const o = out + (<usize>p << 3);
    v128.store(o, a0);
    v128.store(o, a1, 16);
    v128.store(o, a2, 32);
    v128.store(o, a3, 48);
  }
}

/** Ring rows (pointers at `rows`, 2R+1 of them) → one output row: vertical taps, back to u8, source alpha. */
function verticalQ6(srcRow: usize, dstRow: usize, w: i32, W8: i32, R: i32, weights: usize, rows: usize): void {
  const wc = v128.load16_splat(weights);
  const half = i16x8.splat(32);
  const centreRow = <usize>load<u32>(rows + (<usize>R << 2));
  for (let x = 0; x < W8; x += 8) {
    const off = <usize>x << 3;
    const c = centreRow + off;
    let a0 = i16x8.q15mulr_sat_s(v128.load(c), wc);
    let a1 = i16x8.q15mulr_sat_s(v128.load(c, 16), wc);
    let a2 = i16x8.q15mulr_sat_s(v128.load(c, 32), wc);
    let a3 = i16x8.q15mulr_sat_s(v128.load(c, 48), wc);
    for (let k = 1; k <= R; k++) {
      const wk = v128.load16_splat(weights + (<usize>k << 1));
      const up = <usize>load<u32>(rows + (<usize>(R - k) << 2)) + off;
      const down = <usize>load<u32>(rows + (<usize>(R + k) << 2)) + off;
      a0 = i16x8.add_sat_s(a0, i16x8.q15mulr_sat_s(i16x8.add_sat_s(v128.load(up), v128.load(down)), wk));
      a1 = i16x8.add_sat_s(a1, i16x8.q15mulr_sat_s(i16x8.add_sat_s(v128.load(up, 16), v128.load(down, 16)), wk));
      a2 = i16x8.add_sat_s(a2, i16x8.q15mulr_sat_s(i16x8.add_sat_s(v128.load(up, 32), v128.load(down, 32)), wk));
      a3 = i16x8.add_sat_s(a3, i16x8.q15mulr_sat_s(i16x8.add_sat_s(v128.load(up, 48), v128.load(down, 48)), wk));
    }
    const lo = i8x16.narrow_i16x8_u(i16x8.shr_s(i16x8.add_sat_s(a0, half), 6), i16x8.shr_s(i16x8.add_sat_s(a1, half), 6));
    const hi = i8x16.narrow_i16x8_u(i16x8.shr_s(i16x8.add_sat_s(a2, half), 6), i16x8.shr_s(i16x8.add_sat_s(a3, half), 6));
    storeBlock(srcRow, dstRow, x, w, lo);
    storeBlock(srcRow, dstRow, x + 4, w, hi);
  }
}

// ─── Box ───────────────────────────────────────────────────────────────────────────────────
//
// Exact: the mean of the (2r+1)² window, rounded half up. Column sums over 2r+1 rows are kept
// in u16 lanes (≤ 129·255 = 32895) and slid down one row at a time (add the row entering,
// subtract the row leaving), so the cost does not grow with r.

export function boxBlur(src: usize, dst: usize, w: i32, h: i32, r: i32): void {
  if (r == 1) {
    boxBlur3(src, dst, w, h);
    return;
  }
  const cols = take(<usize>(w + 2 * r) << 3); // padded u16×4 per pixel
  const body = cols + (<usize>r << 3);
  memory.fill(body, 0, <usize>w << 3);
  for (let k = -r; k <= r; k++) addRow(body, src + (<usize>(clampIndex(k, h) * w) << 2), w, 1);

  const n = (2 * r + 1) * (2 * r + 1);
  const nn = i32x4.splat(n);
  const den = f32x4.splat(<f32>(n << 1));
  for (let y = 0; y < h; y++) {
    if (y > 0) {
      addRow(body, src + (<usize>(clampIndex(y + r, h) * w) << 2), w, 1);
      addRow(body, src + (<usize>(clampIndex(y - r - 1, h) * w) << 2), w, -1);
    }
    replicateEdges(cols, r, w, r, 8);
    // Horizontal sliding sum, one pixel (4 channel lanes in i32) per step.
    let sum = i32x4.splat(0);
    for (let k = 0; k < 2 * r + 1; k++) sum = i32x4.add(sum, v128.load16x4_u(cols + (<usize>k << 3)));
    const srcRow = src + (<usize>(y * w) << 2);
    const dstRow = dst + (<usize>(y * w) << 2);
    for (let x = 0; x < w; x++) {
      if (x > 0) {
        sum = i32x4.add(sum, v128.load16x4_u(cols + (<usize>(x + 2 * r) << 3)));
        sum = i32x4.sub(sum, v128.load16x4_u(cols + (<usize>(x - 1) << 3)));
      }
      // floor((2·sum + n) / 2n): round half up, exact in f32 (2·sum + n < 2^24).
      const q = i32x4.trunc_sat_f32x4_s(f32x4.floor(f32x4.div(f32x4.convert_i32x4_s(i32x4.add(i32x4.shl(sum, 1), nn)), den)));
      const px = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(q, q), i16x8.splat(0));
      const s = load<u32>(srcRow + (<usize>x << 2));
      store<u32>(dstRow + (<usize>x << 2), (s & 0xff000000) | (i32x4.extract_lane(px, 0) & 0x00ffffff));
    }
  }
}

/** cols[i] += sign · row[i] over w pixels of u16×4 lanes. */
function addRow(cols: usize, row: usize, w: i32, sign: i32): void {
  let x = 0;
  if (sign > 0) {
    for (; x + 2 <= w; x += 2) {
      const c = cols + (<usize>x << 3);
      v128.store(c, i16x8.add(v128.load(c), v128.load8x8_u(row + (<usize>x << 2))));
    }
  } else {
    for (; x + 2 <= w; x += 2) {
      const c = cols + (<usize>x << 3);
      v128.store(c, i16x8.sub(v128.load(c), v128.load8x8_u(row + (<usize>x << 2))));
    }
  }
  if (x < w) {
    const c = cols + (<usize>x << 3);
    const add = i16x8.extend_low_i8x16_u(v128.load32_zero(row + (<usize>x << 2)));
    const cur = v128.load64_zero(c);
    v128.store64_lane(c, sign > 0 ? i16x8.add(cur, add) : i16x8.sub(cur, add), 0);
  }
}

/**
 * 3×3 box: three rows summed in u16 (≤ 765), three columns summed (≤ 2295), then the
 * rounded division by 9 as one q15mulr by 3641 = round(32768/9). That is exact here: the
 * multiplier's error is under 0.008 for s ≤ 2295, while s/9 + 0.5 is never closer than 1/18
 * to an integer. (The test against the integer reference checks every photo.)
 */
function boxBlur3(src: usize, dst: usize, w: i32, h: i32): void {
  const W4 = roundUp4(w);
  const cols = take(<usize>(W4 + 2) << 3);
  const body = cols + 8;
  const ninth = i16x8.splat(3641);
  for (let y = 0; y < h; y++) {
    memory.fill(body, 0, <usize>w << 3);
    for (let k = -1; k <= 1; k++) addRow(body, src + (<usize>(clampIndex(y + k, h) * w) << 2), w, 1);
    replicateEdges(cols, 1, w, W4 - w + 1, 8);
    const srcRow = src + (<usize>(y * w) << 2);
    const dstRow = dst + (<usize>(y * w) << 2);
    for (let x = 0; x < W4; x += 4) {
      const c = cols + (<usize>x << 3); // pixel x−1 in padded coordinates
      const a = i16x8.q15mulr_sat_s(i16x8.add(i16x8.add(v128.load(c), v128.load(c, 8)), v128.load(c, 16)), ninth);
      const b = i16x8.q15mulr_sat_s(i16x8.add(i16x8.add(v128.load(c, 16), v128.load(c, 24)), v128.load(c, 32)), ninth);
      const left = w - x;
      const s = left >= 4 ? v128.load(srcRow + (<usize>x << 2)) : loadPixels(srcRow + (<usize>x << 2), left);
      const out = keepAlpha(i8x16.narrow_i16x8_u(a, b), s);
      if (left >= 4) v128.store(dstRow + (<usize>x << 2), out);
      else storePixels(dstRow + (<usize>x << 2), out, left);
    }
  }
}
