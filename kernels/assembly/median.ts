// Median filter: per channel median of the (2r+1)² window for R, G and B, clamp-to-edge
// borders, alpha copied from the source. Exact (it only ever picks one of the window's values).
//
//   r = 1, 2   comparator networks on u8x16 lanes (16 channel bytes = 4 pixels per v128):
//              each window column is sorted once per output row and shared by the 2r+1
//              outputs beside it; a small network per output finishes the job.
//   r = 3 … 7  Perreault & Hébert's constant-time median ("Median Filtering in Constant
//              Time", IEEE TIP 2007): per-column histograms slide down, the window histogram
//              slides right; cost per pixel does not grow with r.

import { take } from "./memory";
import { median25, sortColumns5 } from "./median-network";
import { clampIndex, keepAlpha } from "./pixels";
import { loadPixels, replicateEdges, roundUp4, storePixels } from "./rows";

/** Largest radius the histogram path handles: window counts (2r+1)² ≤ 225 must fit u8 lanes. */
// @ts-ignore: decorator
@inline const MAX_RADIUS = 7;

export function median(src: usize, dst: usize, w: i32, h: i32, radius: i32): void {
  if (radius <= 0) memory.copy(dst, src, <usize>(w * h) << 2); // a 1×1 window
  else if (radius == 1) median3(src, dst, w, h);
  else if (radius == 2) median5(src, dst, w, h);
  else if (radius <= MAX_RADIUS) medianHistogram(src, dst, w, h, radius);
  else unreachable(); // the registry allows 1..7; u8 counts would overflow silently
}

// ─── Shared row plumbing ─────────────────────────────────────────────────────────────────────

/** Source row `y` clamped to the image (clamp-to-edge vertically). */
// @ts-ignore: decorator
@inline function clampedRow(src: usize, w: i32, h: i32, y: i32): usize {
  return src + (<usize>(clampIndex(y, h) * w) << 2);
}

/** Pixels x..x+3 of a row; past the row end (the last, partial block) lanes are zero. */
// @ts-ignore: decorator
@inline function load4(row: usize, x: i32, w: i32): v128 {
  const left = w - x;
  return left >= 4 ? v128.load(row + (<usize>x << 2)) : loadPixels(row + (<usize>x << 2), left);
}

/** Writes 4 result pixels (or the 1..3 that remain in the row) with the source's alpha. */
// @ts-ignore: decorator
@inline function store4(srcRow: usize, dstRow: usize, x: i32, w: i32, rgb: v128): void {
  const left = w - x;
  const out = keepAlpha(rgb, load4(srcRow, x, w));
  if (left >= 4) v128.store(dstRow + (<usize>x << 2), out);
  else storePixels(dstRow + (<usize>x << 2), out, left);
}

// ─── 3×3 ─────────────────────────────────────────────────────────────────────────────────────
//
// The column trick (Paeth, Graphics Gems; Smith, XCELL 23): sort each vertical triple once
// into lo ≤ mid ≤ hi. The median of the 9 is then med3(max of the 3 lo, med3 of the 3 mid,
// min of the 3 hi) over the columns x−1, x, x+1, which sit at byte offsets −4, 0, +4 of the
// same row buffer. 6 min/max per column, 12 per output block of 4 pixels.
//
//   lo, mid, hi rows: [x=−1 | x=0 … x=w−1 | x=w … W4]   (u8 RGBA, one replicated pixel left,
//                                                       replicated pixels up to W4 right)

// @ts-ignore: decorator
@inline function med3(a: v128, b: v128, c: v128): v128 {
  return i8x16.max_u(i8x16.min_u(a, b), i8x16.min_u(i8x16.max_u(a, b), c));
}

function median3(src: usize, dst: usize, w: i32, h: i32): void {
  const W4 = roundUp4(w);
  const rowBytes = <usize>(W4 + 2) << 2;
  const lo = take(rowBytes * 3);
  const mid = lo + rowBytes;
  const hi = mid + rowBytes;

  for (let y = 0; y < h; y++) {
    const above = clampedRow(src, w, h, y - 1);
    const here = clampedRow(src, w, h, y);
    const below = clampedRow(src, w, h, y + 1);

    // Stage 1: sorted vertical triples, 4 pixels (16 channel bytes) per v128.
    for (let x = 0; x < W4; x += 4) {
      const a = load4(above, x, w);
      const b = load4(here, x, w);
      const c = load4(below, x, w);
      const ab0 = i8x16.min_u(a, b);
      const ab1 = i8x16.max_u(a, b);
      const at = <usize>(x + 1) << 2; // padded position of pixel x
      v128.store(lo + at, i8x16.min_u(ab0, c));
      v128.store(mid + at, i8x16.max_u(ab0, i8x16.min_u(ab1, c)));
      v128.store(hi + at, i8x16.max_u(ab1, c));
    }
    // Clamp-to-edge horizontally; this also overwrites the zero lanes of a partial last block.
    replicateEdges(lo, 1, w, W4 - w + 1, 4);
    replicateEdges(mid, 1, w, W4 - w + 1, 4);
    replicateEdges(hi, 1, w, W4 - w + 1, 4);

    // Stage 2: each lane combines its own column (offset 4) with its left (0) and right (8).
    const dstRow = dst + (<usize>(y * w) << 2);
    for (let x = 0; x < W4; x += 4) {
      const l = lo + (<usize>x << 2);
      const m = mid + (<usize>x << 2);
      const u = hi + (<usize>x << 2);
      const maxLo = i8x16.max_u(i8x16.max_u(v128.load(l), v128.load(l, 4)), v128.load(l, 8));
      const medMid = med3(v128.load(m), v128.load(m, 4), v128.load(m, 8));
      const minHi = i8x16.min_u(i8x16.min_u(v128.load(u), v128.load(u, 4)), v128.load(u, 8));
      store4(here, dstRow, x, w, med3(maxLo, medMid, minHi));
    }
  }
}

// ─── 5×5 ─────────────────────────────────────────────────────────────────────────────────────
//
// Same idea one size up: sort each vertical 5-tuple once (9 comparators) into five rank rows,
// then median25 (median-network.ts) selects the median from the 5 sorted columns x−2 … x+2
// at byte offsets 0, 4, 8, 12, 16 of each rank row: 88 min/max per block of 4 pixels.
//
//   rank rows 0..4, each: [2 replicated | x=0 … x=w−1 | replicated up to W4+1]

function median5(src: usize, dst: usize, w: i32, h: i32): void {
  const W4 = roundUp4(w);
  const stride = <usize>(W4 + 4) << 2;
  const ranks = take(stride * 5);

  for (let y = 0; y < h; y++) {
    const r0 = clampedRow(src, w, h, y - 2);
    const r1 = clampedRow(src, w, h, y - 1);
    const here = clampedRow(src, w, h, y);
    const r3 = clampedRow(src, w, h, y + 1);
    const r4 = clampedRow(src, w, h, y + 2);

    // Stage 1: sorted vertical 5-tuples into the rank rows.
    for (let x = 0; x < W4; x += 4) {
      sortColumns5(load4(r0, x, w), load4(r1, x, w), load4(here, x, w), load4(r3, x, w), load4(r4, x, w),
        ranks + (<usize>(x + 2) << 2), stride);
    }
    for (let k = 0; k < 5; k++) replicateEdges(ranks + stride * <usize>k, 2, w, W4 - w + 2, 4);

    // Stage 2: the selection network, 4 output pixels per run.
    const dstRow = dst + (<usize>(y * w) << 2);
    for (let x = 0; x < W4; x += 4) {
      const p = ranks + (<usize>x << 2); // pixel x−2
      store4(here, dstRow, x, w, median25(p, p + stride, p + 2 * stride, p + 3 * stride, p + 4 * stride));
    }
  }
}

// ─── r = 3 … 7: constant-time histograms ────────────────────────────────────────────────────
//
// For every column x and channel c a histogram of the 2r+1 values in rows y−r … y+r (clamped)
// is kept: 256 fine bins and 16 coarse bins (value >> 4). Moving down a row removes one value
// and adds one per column. Along the row, the window's coarse histogram slides right by
// adding column x+r and removing column x−r−1: one v128 each, since every count is at most
// (2r+1)² ≤ 225 and fits a u8 lane. The coarse bin holding the median comes from a prefix sum
// over the 16 lanes; only that bin's 16 fine counts are then needed. Those are kept per bin
// and brought up to date lazily (from the x where that bin was last used), so on ordinary
// images, whose median wanders slowly, most pixels cost one fine update. The three channels
// are stepped together: their dependency chains are independent, so they overlap.
//
//   column (816 bytes) = 3 channel records: [fine: 256 × u8 | coarse: 16 × u8] × R, G, B
//   window state per channel: 16 fine segments (256 bytes) + the x each was last valid at

// @ts-ignore: decorator
@inline const RECORD: usize = 272;
// @ts-ignore: decorator
@inline const COLUMN: usize = 3 * RECORD;
// @ts-ignore: decorator
@inline const COARSE: usize = 256; // offset of the coarse bins in a record
/** Marks a window fine segment as never computed in this row. */
// @ts-ignore: decorator
@inline const STALE: i32 = -(1 << 28); // far enough left to force a rebuild, without overflow

/**
 * Inclusive prefix sum across the 16 u8 lanes (lane i = v[0] + … + v[i]); sums stay ≤ 225.
 * Each step adds v shifted up by n lanes with zeros shifted in. The lanes are written as a
 * window 16−n … 31−n of (zero, v), the "concat" form engines lower to one byte-align
 * instruction (palignr / ext) instead of a general two-table shuffle.
 */
// @ts-ignore: decorator
@inline function prefix16(v: v128): v128 {
  const z = i8x16.splat(0);
  v = i8x16.add(v, i8x16.shuffle(z, v, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30));
  v = i8x16.add(v, i8x16.shuffle(z, v, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29));
  v = i8x16.add(v, i8x16.shuffle(z, v, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
  return i8x16.add(v, i8x16.shuffle(z, v, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23));
}

/** First lane whose (u8) value exceeds `k`'s; one must. */
// @ts-ignore: decorator
@inline function firstAbove(v: v128, k: v128): i32 {
  return ctz(i8x16.bitmask(i8x16.gt_u(v, k)));
}

/** Byte lane `i` (0..15, not a constant) of `v`. */
// @ts-ignore: decorator
@inline function laneAt(v: v128, i: i32): i32 {
  return <i32>i8x16.extract_lane_u(i8x16.swizzle(v, i8x16.splat(<i8>i)), 0);
}

function medianHistogram(src: usize, dst: usize, w: i32, h: i32, r: i32): void {
  const columns = take(COLUMN * <usize>w);
  const segments = take(3 * 256); // per channel: window fine counts, 16 segments of 16 bins
  const fresh = take(3 * 16 * 4); // per channel: the x at which each segment was last valid
  const n = 2 * r + 1;
  const rank = i8x16.splat(<i8>((n * n) >> 1)); // median = smallest v with count(≤ v) > rank

  // Column histograms for row 0: rows −r … r, clamped (row 0 counts r+1 times).
  memory.fill(columns, 0, COLUMN * <usize>w);
  for (let k = -r; k <= r; k++) addRow(columns, clampedRow(src, w, h, k), w, 1);

  for (let y = 0; y < h; y++) {
    if (y > 0) {
      const leaving = clampIndex(y - r - 1, h);
      const entering = clampIndex(y + r, h);
      if (leaving != entering) {
        addRow(columns, src + (<usize>(leaving * w) << 2), w, -1);
        addRow(columns, src + (<usize>(entering * w) << 2), w, 1);
      }
    }
    medianRow(columns, src + (<usize>(y * w) << 2), dst + (<usize>(y * w) << 2), w, r, rank, segments, fresh);
  }
}

/** Adds (`sign` 1) or removes (−1) one source row to / from every column histogram. */
function addRow(columns: usize, row: usize, w: i32, sign: i32): void {
  for (let x = 0; x < w; x++) {
    const p = load<u32>(row + (<usize>x << 2));
    let rec = columns + COLUMN * <usize>x;
    for (let c = 0; c < 3; c++) {
      const v = <usize>((p >> (c << 3)) & 0xff);
      store<u8>(rec + v, <u8>(<i32>load<u8>(rec + v) + sign));
      store<u8>(rec + COARSE + (v >> 4), <u8>(<i32>load<u8>(rec + COARSE + (v >> 4)) + sign));
      rec += RECORD;
    }
  }
}

/** One output row: the three channels' windows slide right together. */
function medianRow(columns: usize, srcRow: usize, dstRow: usize, w: i32, r: i32, rank: v128, segments: usize, fresh: usize): void {
  // Window coarse histograms at x = 0: columns −r … r, clamped to the row (clamp-to-edge).
  let coarseR = i8x16.splat(0);
  let coarseG = i8x16.splat(0);
  let coarseB = i8x16.splat(0);
  for (let k = -r; k <= r; k++) {
    const col = columns + COLUMN * <usize>clampIndex(k, w) + COARSE;
    coarseR = i8x16.add(coarseR, v128.load(col));
    coarseG = i8x16.add(coarseG, v128.load(col + RECORD));
    coarseB = i8x16.add(coarseB, v128.load(col + 2 * RECORD));
  }
  for (let s = 0; s < 3 * 16; s++) store<i32>(fresh + (<usize>s << 2), STALE);

  for (let x = 0; x < w; x++) {
    if (x > 0) {
      const entering = columns + COLUMN * <usize>clampIndex(x + r, w) + COARSE;
      const leaving = columns + COLUMN * <usize>clampIndex(x - r - 1, w) + COARSE;
      coarseR = i8x16.sub(i8x16.add(coarseR, v128.load(entering)), v128.load(leaving));
      coarseG = i8x16.sub(i8x16.add(coarseG, v128.load(entering + RECORD)), v128.load(leaving + RECORD));
      coarseB = i8x16.sub(i8x16.add(coarseB, v128.load(entering + 2 * RECORD)), v128.load(leaving + 2 * RECORD));
    }
    const red = medianAt(columns, coarseR, segments, fresh, x, w, r, rank);
    const green = medianAt(columns + RECORD, coarseG, segments + 256, fresh + 64, x, w, r, rank);
    const blue = medianAt(columns + 2 * RECORD, coarseB, segments + 512, fresh + 128, x, w, r, rank);
    const alpha = load<u32>(srcRow + (<usize>x << 2)) & 0xff000000;
    store<u32>(dstRow + (<usize>x << 2), alpha | <u32>(blue << 16) | <u32>(green << 8) | <u32>red);
  }
}

/**
 * The median of one channel's window at x, given its coarse histogram. `cols` is that
 * channel's record in column 0 (records of column j are COLUMN·j further on).
 */
// @ts-ignore: decorator
@inline function medianAt(cols: usize, coarse: v128, segments: usize, fresh: usize, x: i32, w: i32, r: i32, rank: v128): i32 {
  // Coarse bin b holding the median; `below` values of the window lie in bins < b.
  const cum = prefix16(coarse);
  const b = firstAbove(cum, rank);
  const below = laneAt(i8x16.sub(cum, coarse), b); // exclusive prefix at b

  // Window fine counts of bin b at x: slide them from where they were last valid, or
  // rebuild from the 2r+1 columns when that is cheaper (or they were never computed).
  const seg = segments + (<usize>b << 4);
  const last = load<i32>(fresh + (<usize>b << 2));
  const bins = cols + (<usize>b << 4);
  let fine: v128;
  if (2 * (x - last) > 2 * r + 1) {
    fine = i8x16.splat(0);
    for (let k = x - r; k <= x + r; k++) fine = i8x16.add(fine, v128.load(bins + COLUMN * <usize>clampIndex(k, w)));
  } else {
    fine = v128.load(seg);
    for (let j = last + 1; j <= x; j++) {
      fine = i8x16.add(fine, v128.load(bins + COLUMN * <usize>clampIndex(j + r, w)));
      fine = i8x16.sub(fine, v128.load(bins + COLUMN * <usize>clampIndex(j - r - 1, w)));
    }
  }
  v128.store(seg, fine);
  store<i32>(fresh + (<usize>b << 2), x);

  // The median: the first fine bin where below + the cumulative count exceeds the rank.
  return (b << 4) + firstAbove(i8x16.add(prefix16(fine), i8x16.splat(<i8>below)), rank);
}
