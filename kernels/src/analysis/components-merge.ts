// The reduce of `components`: joins the regions of every tile that touch across a tile border
// into one, with union-find, and sums their stats.
//
// Cores partition the image into rectangles, and two 8-adjacent pixels in different cores are
// always found on one of two kinds of border: a row boundary (the bottom row of one core, the
// top row of another just below it) or a column boundary (a right column, a left column just
// right of it). Either kind is stitched as one image-long line, so the diagonal contact across
// a corner where four tiles meet is found too, and how the image was cut does not matter.

import { KernelError } from "../errors.js";

/** Stats of one region, in image coordinates: area, minX, minY, maxX, maxY, Σx, Σy, first (y·W + x). */
export const FIELDS = 8;

/** What one tile hands to the merge (see ComponentsPartial). */
export interface MergeInput {
  readonly box: readonly [number, number, number, number];
  readonly regions: readonly number[];
  readonly top: readonly number[];
  readonly bottom: readonly number[];
  readonly left: readonly number[];
  readonly right: readonly number[];
}

/** A merged region: the summed stats (FIELDS numbers). */
export type Merged = Float64Array;

class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      const g = p[p[x] as number] as number;
      p[x] = g;
      x = g;
    }
    return x;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}

function malformed(why: string): KernelError {
  return new KernelError(
    "KERNEL_FAILED",
    `components: a tile's partial result is malformed (${why}); partials must come from componentsOp.tile`,
  );
}

function checkInput(p: MergeInput, image: { width: number; height: number }): void {
  const arrays = [p?.box, p?.regions, p?.top, p?.bottom, p?.left, p?.right];
  if (!arrays.every(Array.isArray)) throw malformed("not a components partial");
  // An empty core (w or h 0) is allowed: it has no regions and no edges.
  const [x, y, w, h] = p.box;
  if (!(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= image.width && y + h <= image.height)) {
    throw malformed("box outside the image");
  }
  if (p.regions.length % FIELDS !== 0) throw malformed("regions length");
  if (p.top.length !== w || p.bottom.length !== w || p.left.length !== h || p.right.length !== h) throw malformed("edge length");
  const n = p.regions.length / FIELDS;
  for (const edge of [p.top, p.bottom, p.left, p.right]) {
    for (const label of edge) if (!(label >= 0 && label <= n && Number.isInteger(label))) throw malformed("edge label");
  }
}

/** One line of a boundary: the global region id at each position, or -1. */
function fillLine(line: Int32Array, from: number, labels: readonly number[], base: number): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    line[from + i] = label === 0 ? -1 : base + label - 1;
  }
}

/** Joins the two lines of a boundary (`a` before it, `b` after it) where their pixels touch. */
function stitch(uf: UnionFind, a: Int32Array, b: Int32Array, eight: boolean): void {
  const n = a.length;
  for (let i = 0; i < n; i++) {
    const ra = a[i] as number;
    if (ra < 0) continue;
    const rb = b[i] as number;
    if (rb >= 0) uf.union(ra, rb);
    if (!eight) continue;
    if (i > 0 && (b[i - 1] as number) >= 0) uf.union(ra, b[i - 1] as number);
    if (i + 1 < n && (b[i + 1] as number) >= 0) uf.union(ra, b[i + 1] as number);
  }
}

interface Side {
  /** Tiles whose last row (column) is just before the boundary. */
  before: number[];
  /** Tiles whose first row (column) is just after it. */
  after: number[];
}

function sideOf(map: Map<number, Side>, at: number): Side {
  let side = map.get(at);
  if (!side) {
    side = { before: [], after: [] };
    map.set(at, side);
  }
  return side;
}

/** Every region of every tile, joined across borders: the summed stats of each merged region. */
export function mergeRegions(
  partials: readonly MergeInput[],
  image: { width: number; height: number },
  eight: boolean,
): Merged[] {
  const bases: number[] = [];
  let total = 0;
  const rows = new Map<number, Side>();
  const columns = new Map<number, Side>();
  partials.forEach((p, t) => {
    checkInput(p, image);
    bases.push(total);
    total += p.regions.length / FIELDS;
    const [x, y, w, h] = p.box;
    // A boundary is keyed by the index of the row (column) just after it.
    if (y > 0) sideOf(rows, y).after.push(t);
    if (y + h < image.height) sideOf(rows, y + h).before.push(t);
    if (x > 0) sideOf(columns, x).after.push(t);
    if (x + w < image.width) sideOf(columns, x + w).before.push(t);
  });

  const uf = new UnionFind(total);
  const join = (sides: Map<number, Side>, length: number, horizontal: boolean): void => {
    const a = new Int32Array(length);
    const b = new Int32Array(length);
    for (const side of sides.values()) {
      if (side.before.length === 0 || side.after.length === 0) continue;
      a.fill(-1);
      b.fill(-1);
      for (const t of side.before) {
        const p = partials[t] as MergeInput;
        fillLine(a, horizontal ? p.box[0] : p.box[1], horizontal ? p.bottom : p.right, bases[t] as number);
      }
      for (const t of side.after) {
        const p = partials[t] as MergeInput;
        fillLine(b, horizontal ? p.box[0] : p.box[1], horizontal ? p.top : p.left, bases[t] as number);
      }
      stitch(uf, a, b, eight);
    }
  };
  join(rows, image.width, true);
  join(columns, image.height, false);

  const sums = new Map<number, Float64Array>();
  partials.forEach((p, t) => {
    const base = bases[t] as number;
    for (let k = 0; k < p.regions.length / FIELDS; k++) {
      const root = uf.find(base + k);
      const r = p.regions;
      const o = k * FIELDS;
      const s = sums.get(root);
      if (!s) {
        sums.set(root, Float64Array.from(r.slice(o, o + FIELDS)));
        continue;
      }
      s[0] = (s[0] as number) + (r[o] as number);
      s[1] = Math.min(s[1] as number, r[o + 1] as number);
      s[2] = Math.min(s[2] as number, r[o + 2] as number);
      s[3] = Math.max(s[3] as number, r[o + 3] as number);
      s[4] = Math.max(s[4] as number, r[o + 4] as number);
      s[5] = (s[5] as number) + (r[o + 5] as number);
      s[6] = (s[6] as number) + (r[o + 6] as number);
      s[7] = Math.min(s[7] as number, r[o + 7] as number);
    }
  });
  return [...sums.values()];
}
