// Connected components of a binary image (luma ≥ 128), labelled by runs: the tile half of the
// `components` analysis op (kernels/src/analysis/components.ts does the cross-tile merge).
//
// Working on runs instead of pixels keeps every pass proportional to the number of runs, which
// for photographs is one or two orders of magnitude below the pixel count, and needs no label
// image at all: the stats and the four edges are all the merge needs.
//
//   pass 1 (SIMD): each row → runs [start, end] (inclusive), from the sign bits of 16 bytes
//   pass 2: union-find over runs; a run joins the runs of the row above that it touches
//           (overlap for 4-connectivity, overlap or diagonal contact for 8)
//   pass 3: labels 1..n in the order of each component's first run (raster order), then the
//           per-label stats and the labels along the four edges
//
// Memory, carved from scratch with `take` (runs grow row by row, so they are committed last):
//
//   rowFirst (h + 1 i32) ─ edges (2w + 2h i32) ─ runs (2 i32 each) ─ parent (i32 each) ─ stats
//
// Union always hangs the larger root under the smaller, so a root is its component's first run
// and every parent index is below its child's: pass 3 can relabel in place in one sweep.

import { ensureMemory, take } from "./memory";

/** f64 fields per label in `stats`: area, minX, minY, maxX, maxY, Σx, Σy, first (y·w + x). */
const FIELDS: usize = 8;

// @ts-ignore: decorator
@inline function runStart(runs: usize, i: i32): i32 {
  return load<i32>(runs + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline function runEnd(runs: usize, i: i32): i32 {
  return load<i32>(runs + (<usize>i << 3), 4);
}

/** Appends the runs of one row (`w` bytes at `row`) after run `count`; returns the new count. */
function rowRuns(row: usize, w: i32, runs: usize, count: i32): i32 {
  let open = -1;
  for (let x0 = 0; x0 < w; x0 += 16) {
    // The sign bit of a byte is exactly luma ≥ 128. Lanes past the row read as background, so
    // a run that reaches the row's end closes inside the last chunk.
    let m = <u32>i8x16.bitmask(v128.load(row + <usize>x0));
    if (w - x0 < 16) m &= (<u32>1 << <u32>(w - x0)) - 1;
    if (open < 0 ? m == 0 : m == 0xffff) continue;
    let p: u32 = 0;
    while (true) {
      if (open < 0) {
        const rest = m >> p;
        if (rest == 0) break;
        p += ctz(rest);
        open = x0 + <i32>p;
      } else {
        // ~m has ones above bit 15, so a run still open at the chunk's end gives z ≥ 16.
        const z = p + ctz(~m >> p);
        if (z >= 16) break;
        const at = runs + (<usize>count << 3);
        store<i32>(at, open);
        store<i32>(at, x0 + <i32>z - 1, 4);
        count++;
        open = -1;
        p = z;
      }
    }
  }
  if (open >= 0) {
    const at = runs + (<usize>count << 3);
    store<i32>(at, open);
    store<i32>(at, w - 1, 4);
    count++;
  }
  return count;
}

function find(parent: usize, x: i32): i32 {
  while (true) {
    const p = load<i32>(parent + (<usize>x << 2));
    if (p == x) return x;
    const g = load<i32>(parent + (<usize>p << 2));
    store<i32>(parent + (<usize>x << 2), g);
    x = g;
  }
}

function union(parent: usize, a: i32, b: i32): void {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra < rb) store<i32>(parent + (<usize>rb << 2), ra);
  else if (rb < ra) store<i32>(parent + (<usize>ra << 2), rb);
}

/** Joins runs a0..a1 to the runs b0..b1 of the row above; `d` is 1 for 8-connectivity, else 0. */
function joinRows(runs: usize, parent: usize, b0: i32, b1: i32, a0: i32, a1: i32, d: i32): void {
  let j = b0;
  for (let i = a0; i < a1; i++) {
    const s = runStart(runs, i);
    const e = runEnd(runs, i);
    while (j < b1 && runEnd(runs, j) + d < s) j++;
    // Run j may touch run i + 1 as well, so j stays put.
    for (let k = j; k < b1 && runStart(runs, k) <= e + d; k++) union(parent, i, k);
  }
}

/**
 * Labels the components of `w × h` bytes at `src` (rows `stride` bytes apart) whose value is
 * ≥ 128, 8-connected when `eight`, else 4-connected. Writes three u32 at `info`: the label
 * count n, then pointers to n × 8 f64 stats (see FIELDS; coordinates within the rectangle) and
 * to the edge labels (i32, 0 for background): top row (w), bottom row (w), left column (h),
 * right column (h). Reads up to 15 bytes past the end of each row.
 */
export function labelComponents(src: usize, stride: i32, w: i32, h: i32, eight: bool, info: usize): void {
  const rowFirst = take(<usize>(h + 1) << 2);
  const edges = take(<usize>(2 * (w + h)) << 2);
  const runs = take(0);
  let count = 0;
  for (let y = 0; y < h; y++) {
    ensureMemory(runs + (<usize>(count + (w >> 1) + 1) << 3));
    store<i32>(rowFirst + (<usize>y << 2), count);
    count = rowRuns(src + <usize>y * <usize>stride, w, runs, count);
  }
  store<i32>(rowFirst + (<usize>h << 2), count);
  take(<usize>count << 3);

  const parent = take(<usize>count << 2);
  const d = eight ? 1 : 0;
  for (let y = 0; y < h; y++) {
    const a0 = load<i32>(rowFirst + (<usize>y << 2));
    const a1 = load<i32>(rowFirst + (<usize>(y + 1) << 2));
    for (let i = a0; i < a1; i++) store<i32>(parent + (<usize>i << 2), i);
    if (y > 0) joinRows(runs, parent, load<i32>(rowFirst + (<usize>(y - 1) << 2)), a0, a0, a1, d);
  }

  // In place: slot p < i already holds p's label, which is its root's.
  let labels = 0;
  for (let i = 0; i < count; i++) {
    const p = load<i32>(parent + (<usize>i << 2));
    store<i32>(parent + (<usize>i << 2), p == i ? ++labels : load<i32>(parent + (<usize>p << 2)));
  }

  const stats = take(<usize>labels * FIELDS << 3);
  memory.fill(edges, 0, <usize>(2 * (w + h)) << 2);
  const top = edges;
  const bottom = edges + (<usize>w << 2);
  const left = bottom + (<usize>w << 2);
  const right = left + (<usize>h << 2);
  let seen = 0;
  for (let y = 0; y < h; y++) {
    const a0 = load<i32>(rowFirst + (<usize>y << 2));
    const a1 = load<i32>(rowFirst + (<usize>(y + 1) << 2));
    const fy = <f64>y;
    for (let i = a0; i < a1; i++) {
      const label = load<i32>(parent + (<usize>i << 2));
      const s = runStart(runs, i);
      const e = runEnd(runs, i);
      const len = <f64>(e - s + 1);
      // Σx over the run, exact in f64 while below 2^53 (any 32-bit image stays far below).
      const sx = (<f64>s + <f64>e) * len * 0.5;
      const rec = stats + ((<usize>(label - 1) * FIELDS) << 3);
      if (label > seen) {
        seen = label;
        store<f64>(rec, len);
        store<f64>(rec, <f64>s, 8);
        store<f64>(rec, fy, 16);
        store<f64>(rec, <f64>e, 24);
        store<f64>(rec, fy, 32);
        store<f64>(rec, sx, 40);
        store<f64>(rec, fy * len, 48);
        store<f64>(rec, fy * <f64>w + <f64>s, 56);
      } else {
        store<f64>(rec, load<f64>(rec) + len);
        store<f64>(rec, min(load<f64>(rec, 8), <f64>s), 8);
        store<f64>(rec, max(load<f64>(rec, 24), <f64>e), 24);
        store<f64>(rec, fy, 32);
        store<f64>(rec, load<f64>(rec, 40) + sx, 40);
        store<f64>(rec, load<f64>(rec, 48) + fy * len, 48);
      }
      if (y == 0) fillLabel(top, s, e, label);
      if (y == h - 1) fillLabel(bottom, s, e, label);
    }
    if (a1 > a0) {
      if (runStart(runs, a0) == 0) store<i32>(left + (<usize>y << 2), load<i32>(parent + (<usize>a0 << 2)));
      if (runEnd(runs, a1 - 1) == w - 1) store<i32>(right + (<usize>y << 2), load<i32>(parent + (<usize>(a1 - 1) << 2)));
    }
  }
  store<u32>(info, <u32>labels);
  store<u32>(info, <u32>stats, 4);
  store<u32>(info, <u32>edges, 8);
}

function fillLabel(row: usize, s: i32, e: i32, label: i32): void {
  for (let x = s; x <= e; x++) store<i32>(row + (<usize>x << 2), label);
}
