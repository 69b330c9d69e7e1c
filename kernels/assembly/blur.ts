// Box and gaussian blur: separable, fixed point, clamp-to-edge borders.

import { clampIndex } from "./pixels";
import { take } from "./memory";
import { loadPixels, replicateEdges, roundUp4, storePixels } from "./rows";
import { keepAlpha } from "./pixels";

// ─── Gaussian ──────────────────────────────────────────────────────────────────────────────
//
// Numbers: pixels become i16 in Q7 (value·128, ≤ 32640); weights are Q15 (sum exactly
// 32768). i16x8.q15mulr_sat_s computes (a·w + 2^14) >> 15, a single pmulhrsw on x86, so a
// tap costs one multiply and one add per 8 channel values. Each product rounds to 1/256 of
// a level, far inside the ±1 contract.
//
// Flow for each output row y:
//   source row ─▶ Q7 padded row (R replicated pixels each side)
//              ─▶ horizontal taps ─▶ ring[row % (2R+1)]   (each source row once)
//   ring rows clamp(y−R)..clamp(y+R) ─▶ vertical taps ─▶ (acc + 64) >> 7 ─▶ u8, source alpha

/** Kernel radius for sigma: ceil(3σ), the contract's definition. */
export function gaussianRadius(sigma: f64): i32 {
  return <i32>Math.ceil(3 * sigma);
}

/** Q15 weights for taps −R..R at `out` (i16 each), summing to exactly 32768. */
function gaussianWeightsQ15(sigma: f64, radius: i32, out: usize): void {
  let sum = 0.0;
  for (let k = -radius; k <= radius; k++) sum += Math.exp(-(k * k) / (2 * sigma * sigma));
  let total = 0;
  for (let k = -radius; k <= radius; k++) {
    const q = <i32>Math.floor((Math.exp(-(k * k) / (2 * sigma * sigma)) / sum) * 32768 + 0.5);
    store<i16>(out + ((k + radius) << 1), <i16>q);
    total += q;
  }
  // Put the rounding residue on the centre tap so that a flat image stays flat.
  const centre = out + (radius << 1);
  store<i16>(centre, <i16>(load<i16>(centre) + (32768 - total)));
}

export function gaussianBlur(src: usize, dst: usize, w: i32, h: i32, sigma: f64): void {
  const R = gaussianRadius(sigma);
  const taps = 2 * R + 1;
  const W4 = roundUp4(w);
  const rowLanesBytes = <usize>W4 << 3; // 4 channels × i16 per pixel
  const weights = take(<usize>taps << 1);
  gaussianWeightsQ15(sigma, R, weights);

  const padded = take(<usize>(W4 + 2 * R) << 3);
  const ring = take(rowLanesBytes * <usize>taps);
  const rows = take(<usize>taps << 2); // pointers to the ring rows of the current window
  let ready = -1; // highest source row already in the ring

  for (let y = 0; y < h; y++) {
    const need = clampIndex(y + R, h);
    while (ready < need) {
      ready++;
      horizontalQ7(src + (<usize>(ready * w) << 2), w, W4, R, weights, padded, ring + rowLanesBytes * <usize>(ready % taps));
    }
    for (let k = 0; k < taps; k++) {
      store<u32>(rows + (k << 2), <u32>(ring + rowLanesBytes * <usize>(clampIndex(y - R + k, h) % taps)));
    }
    verticalQ7(src + (<usize>(y * w) << 2), dst + (<usize>(y * w) << 2), w, W4, taps, weights, rows);
  }
}

/** One source row → Q7 horizontal blur in `out` (W4 pixels; lanes past `w` are don't-care). */
function horizontalQ7(row: usize, w: i32, W4: i32, R: i32, weights: usize, padded: usize, out: usize): void {
  // Stage 1: widen u8 → i16 Q7 into the padded row; 4 pixels per v128 load.
  const body = padded + (<usize>R << 3);
  let x = 0;
  for (; x + 4 <= w; x += 4) {
    const px = v128.load(row + (<usize>x << 2));
    v128.store(body + (<usize>x << 3), i16x8.shl(i16x8.extend_low_i8x16_u(px), 7));
    v128.store(body + (<usize>x << 3), i16x8.shl(i16x8.extend_high_i8x16_u(px), 7), 16);
  }
  for (; x < w; x++) {
    v128.store64_lane(body + (<usize>x << 3), i16x8.shl(i16x8.extend_low_i8x16_u(v128.load32_zero(row + (<usize>x << 2))), 7), 0);
  }
  replicateEdges(padded, R, w, W4 - w + R, 8);

  // Stage 2: taps. Each v128 is two pixels (8 channel values); tap k reads pixel x+k.
  const taps = 2 * R + 1;
  for (let p = 0; p < W4; p += 2) {
    const base = padded + (<usize>p << 3);
    let acc = i16x8.splat(0);
    for (let k = 0; k < taps; k++) {
      const wk = v128.load16_splat(weights + (<usize>k << 1));
      acc = i16x8.add_sat_s(acc, i16x8.q15mulr_sat_s(v128.load(base + (<usize>k << 3)), wk));
    }
    v128.store(out + (<usize>p << 3), acc);
  }
}

/** Ring rows (pointers at `rows`) → one output row: vertical taps, back to u8, source alpha. */
function verticalQ7(srcRow: usize, dstRow: usize, w: i32, W4: i32, taps: i32, weights: usize, rows: usize): void {
  const half = i16x8.splat(64);
  for (let x = 0; x < W4; x += 4) {
    const off = <usize>x << 3;
    let a = i16x8.splat(0);
    let b = i16x8.splat(0);
    for (let k = 0; k < taps; k++) {
      const r = <usize>load<u32>(rows + (<usize>k << 2)) + off;
      const wk = v128.load16_splat(weights + (<usize>k << 1));
      a = i16x8.add_sat_s(a, i16x8.q15mulr_sat_s(v128.load(r), wk));
      b = i16x8.add_sat_s(b, i16x8.q15mulr_sat_s(v128.load(r, 16), wk));
    }
    a = i16x8.shr_s(i16x8.add_sat_s(a, half), 7);
    b = i16x8.shr_s(i16x8.add_sat_s(b, half), 7);
    const left = w - x;
    const s = left >= 4 ? v128.load(srcRow + (<usize>x << 2)) : loadPixels(srcRow + (<usize>x << 2), left);
    const out = keepAlpha(i8x16.narrow_i16x8_u(a, b), s);
    if (left >= 4) v128.store(dstRow + (<usize>x << 2), out);
    else storePixels(dstRow + (<usize>x << 2), out, left);
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
