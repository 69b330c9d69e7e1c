// Canny, phase 1 (local): luma → gaussian → Sobel → non-maximum suppression → per-pixel
// class (steps 1–5 of the definition at the top of canny.ts). The class map written here
// (WEAK / STRONG in the R=G=B byte) is what canny-hysteresis.ts reads, possibly after the
// engine has stitched the classified tiles of a whole image together.
//
// Streaming layout (no full planes): each stage keeps a ring of the rows the next one needs.
//
//   src row ─▶ luma row (R replicated each side) ─▶ horizontal taps ─▶ hRing[row % (2R+1)]
//   hRing rows y−R..y+R ─▶ vertical taps ─▶ bRing[y % 3]        (1 replicated value each side)
//   bRing rows y−1..y+1 ─▶ Sobel ─▶ gx, gy rings[y % 3], mRing[y % 3] (1 replicated each side)
//   mRing rows y−2..y, gx/gy of y−1 ─▶ NMS + thresholds ─▶ dst row y−1
//
// Rows are W4 = w rounded up to 4 values, so every loop works a full f32x4 at a time; lanes
// past w hold replicated or don't-care values and are never stored.

import { take } from "./memory";
import { clampIndex, greyPixels } from "./pixels";
import { loadPixels, replicateEdges, ringRow, roundUp4, rowToLuma, storePixels } from "./rows";

/** OpenCV's tan 22.5° in Q15, (int)(0.4142135623730950488 · 2¹⁵ + 0.5). */
// @ts-ignore: decorator
@inline const TG22: f32 = <f32>13573 / <f32>32768;
/** OpenCV's tan 67.5°: it tests |gy|·2¹⁵ > |gx|·TG22 + |gx|·2¹⁶, i.e. |gy| > |gx|·(TG22 + 2). */
// @ts-ignore: decorator
@inline const TG67: f32 = <f32>(13573 + 65536) / <f32>32768;

/** Class values of the map between the two phases (the R=G=B byte). */
// @ts-ignore: decorator
@inline export const WEAK: u32 = 128;
// @ts-ignore: decorator
@inline export const STRONG: u32 = 255;

/**
 * Per-pixel Canny class as grey RGBA with src's alpha: 0 = no edge, 128 = weak candidate
 * (low < m ≤ high after NMS), 255 = strong (m > high after NMS). Depends only on the pixels
 * within ceil(3σ) + 2 of each pixel (blur, Sobel, NMS), so it tiles like any local op.
 */
export function cannyClassify(src: usize, dst: usize, w: i32, h: i32, sigma: f64, low: f64, high: f64): void {
  if (w <= 0 || h <= 0) return;
  // σ ≤ 0 (never from the registry, whose range is 0.3..10) means no blur: one tap of weight 1.
  const R = sigma > 0 ? <i32>Math.ceil(3 * sigma) : 0;
  const taps = 2 * R + 1;
  const W4 = roundUp4(w);

  // Gaussian weights by distance from the centre, 0..R.
  const weights = take(<usize>(R + 1) << 2);
  let sum = 0.0;
  for (let k = -R; k <= R; k++) sum += gaussian(k, sigma);
  for (let k = 0; k <= R; k++) store<f32>(weights + (<usize>k << 2), <f32>(gaussian(k, sigma) / sum));

  const padded = take(<usize>(W4 + 2 * R) << 2);
  const hBytes = <usize>W4 << 2;
  const hRing = take(hBytes * <usize>taps);
  const rows = take(<usize>taps << 2);
  const pBytes = <usize>(W4 + 2) << 2; // rows with one replicated value each side
  const bRing = take(pBytes * 3);
  const mRing = take(pBytes * 3);
  const gxRing = take(hBytes * 3);
  const gyRing = take(hBytes * 3);
  const lowV = f32x4.splat(<f32>(low * 10000));
  const highV = f32x4.splat(<f32>(high * 10000));

  let hReady = -1; // highest source row in hRing
  let bReady = -1; // highest row in bRing
  for (let y = 0; y <= h; y++) {
    if (y < h) {
      // Blurred rows up to y + 1, each from the horizontal rows within R of it.
      const needB = clampIndex(y + 1, h);
      while (bReady < needB) {
        bReady++;
        const needH = clampIndex(bReady + R, h);
        while (hReady < needH) {
          hReady++;
          rowToLuma(src + (<usize>(hReady * w) << 2), w, W4, R, padded);
          blurRow(padded + (<usize>R << 2), W4, R, weights, ringRow(hRing, hBytes, taps, hReady));
        }
        for (let k = 0; k < taps; k++) {
          store<u32>(rows + (<usize>k << 2), <u32>ringRow(hRing, hBytes, taps, clampIndex(bReady - R + k, h)));
        }
        const b = ringRow(bRing, pBytes, 3, bReady);
        blurColumn(rows + (<usize>R << 2), W4, R, weights, b + 4);
        replicateEdges(b, 1, w, W4 - w + 1, 4);
      }
      const m = ringRow(mRing, pBytes, 3, y);
      sobelRow(
        ringRow(bRing, pBytes, 3, clampIndex(y - 1, h)),
        ringRow(bRing, pBytes, 3, y),
        ringRow(bRing, pBytes, 3, clampIndex(y + 1, h)),
        W4,
        ringRow(gxRing, hBytes, 3, y),
        ringRow(gyRing, hBytes, 3, y),
        m + 4,
      );
      replicateEdges(m, 1, w, W4 - w + 1, 4);
    }
    if (y >= 1) {
      const r = y - 1;
      classifyRow(
        ringRow(mRing, pBytes, 3, clampIndex(r - 1, h)),
        ringRow(mRing, pBytes, 3, r),
        ringRow(mRing, pBytes, 3, clampIndex(r + 1, h)),
        ringRow(gxRing, hBytes, 3, r),
        ringRow(gyRing, hBytes, 3, r),
        src + (<usize>(r * w) << 2),
        dst + (<usize>(r * w) << 2),
        w,
        lowV,
        highV,
      );
    }
  }
}

/** The unnormalised gaussian weight of tap k; 1 for the single tap of σ ≤ 0. */
function gaussian(k: i32, sigma: f64): f64 {
  return k == 0 ? 1.0 : Math.exp(-<f64>(k * k) / (2 * sigma * sigma));
}

/** Horizontal gaussian: out[x] = Σ_d w_d·(in[x−d] + in[x+d]); `centre` points at in[0] of a row padded by R. */
function blurRow(centre: usize, W4: i32, R: i32, weights: usize, out: usize): void {
  const w0 = v128.load32_splat(weights);
  for (let x = 0; x < W4; x += 4) {
    const c = centre + (<usize>x << 2);
    let acc = f32x4.mul(w0, v128.load(c));
    for (let d = 1; d <= R; d++) {
      const o = <usize>d << 2;
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(weights + o), f32x4.add(v128.load(c - o), v128.load(c + o))));
    }
    v128.store(out + (<usize>x << 2), acc);
  }
}

/** Vertical gaussian over ring rows; `centre` points at the row pointer of offset 0 (offsets −R..R around it). */
function blurColumn(centre: usize, W4: i32, R: i32, weights: usize, out: usize): void {
  const w0 = v128.load32_splat(weights);
  const mid = <usize>load<u32>(centre);
  for (let x = 0; x < W4; x += 4) {
    const at = <usize>x << 2;
    let acc = f32x4.mul(w0, v128.load(mid + at));
    for (let d = 1; d <= R; d++) {
      const o = <usize>d << 2;
      const up = <usize>load<u32>(centre - o) + at;
      const down = <usize>load<u32>(centre + o) + at;
      acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(weights + o), f32x4.add(v128.load(up), v128.load(down))));
    }
    v128.store(out + at, acc);
  }
}

/**
 * Sobel gx, gy and L2 magnitude of one row. `n`, `c`, `s` are padded blurred rows (value x−1
 * at byte 4x), so a v128 load at 4x reads x−1..x+2, at 4x+4 reads x..x+3, at 4x+8 x+1..x+4.
 */
function sobelRow(n: usize, c: usize, s: usize, W4: i32, gxOut: usize, gyOut: usize, mOut: usize): void {
  const two = f32x4.splat(2);
  for (let x = 0; x < W4; x += 4) {
    const o = <usize>x << 2;
    const nw = v128.load(n + o), nn = v128.load(n + o, 4), ne = v128.load(n + o, 8);
    const ww = v128.load(c + o), ee = v128.load(c + o, 8);
    const sw = v128.load(s + o), ss = v128.load(s + o, 4), se = v128.load(s + o, 8);
    const gx = f32x4.add(f32x4.add(f32x4.sub(ne, nw), f32x4.mul(two, f32x4.sub(ee, ww))), f32x4.sub(se, sw));
    const gy = f32x4.sub(
      f32x4.add(f32x4.add(sw, f32x4.mul(two, ss)), se),
      f32x4.add(f32x4.add(nw, f32x4.mul(two, nn)), ne),
    );
    v128.store(gxOut + o, gx);
    v128.store(gyOut + o, gy);
    v128.store(mOut + o, f32x4.sqrt(f32x4.add(f32x4.mul(gx, gx), f32x4.mul(gy, gy))));
  }
}

/**
 * NMS and thresholds for one row, four pixels per step. `p`, `c`, `n` are the padded
 * magnitude rows above, at and below (value x−1 at byte 4x); every lane picks its two
 * neighbours (a: the one that must be beaten strictly, b: the other) by its sector.
 */
function classifyRow(p: usize, c: usize, n: usize, gxRow: usize, gyRow: usize, srcRow: usize, dstRow: usize, w: i32, lowV: v128, highV: v128): void {
  const tg22 = f32x4.splat(TG22);
  const tg67 = f32x4.splat(TG67);
  const weak = i32x4.splat(WEAK);
  const strong = i32x4.splat(STRONG);
  for (let x = 0; x < w; x += 4) {
    const o = <usize>x << 2;
    const m = v128.load(c + o, 4);
    const gx = v128.load(gxRow + o);
    const gy = v128.load(gyRow + o);
    const ax = f32x4.abs(gx);
    const ay = f32x4.abs(gy);
    const horizontal = f32x4.lt(ay, f32x4.mul(ax, tg22));
    const vertical = f32x4.gt(ay, f32x4.mul(ax, tg67));
    // Sign bits equal ⇔ gx·gy ≥ 0 ⇔ the edge runs along "\" (compare NW and SE).
    const same = i32x4.ge_s(v128.xor(gx, gy), i32x4.splat(0));
    const diagA = v128.bitselect(v128.load(p + o), v128.load(p + o, 8), same); // NW : NE
    const diagB = v128.bitselect(v128.load(n + o, 8), v128.load(n + o), same); // SE : SW
    const a = v128.bitselect(v128.load(c + o), v128.bitselect(v128.load(p + o, 4), diagA, vertical), horizontal);
    const b = v128.bitselect(v128.load(c + o, 8), v128.bitselect(v128.load(n + o, 4), diagB, vertical), horizontal);
    const straight = v128.or(horizontal, vertical);
    const beatsB = v128.bitselect(f32x4.ge(m, b), f32x4.gt(m, b), straight);
    const candidate = v128.and(v128.and(f32x4.gt(m, a), beatsB), f32x4.gt(m, lowV));
    const grey = v128.bitselect(strong, v128.and(candidate, weak), v128.and(candidate, f32x4.gt(m, highV)));
    const left = w - x;
    const s = left >= 4 ? v128.load(srcRow + o) : loadPixels(srcRow + o, left);
    const out = greyPixels(grey, s);
    if (left >= 4) v128.store(dstRow + o, out);
    else storePixels(dstRow + o, out, left);
  }
}
