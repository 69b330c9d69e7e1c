// ORB's scale pyramid as OpenCV builds it, and what a tile can compute of it.
//
// OpenCV: scale_l = (float)1.2f^l, level size cvRound(size / scale_l) (f32 division, rounding
// half to even), each level resize(previous level, INTER_LINEAR_EXACT). That resize reads, for
// output column x, source columns ix and ix + 1 with weight c1 (in 1/256) on the right one:
//   f = (1 / (dw / sw))·(x + 0.5) − 0.5 in f64 (OpenCV's softdouble is IEEE), ix = ⌊f⌋,
//   c1 = round-half-even((f − ix)·256); rows likewise. For a downscale ix ≥ 0 and ix + 1 < sw.
//
// A tile holds a window of level 0; level l is computable exactly on the columns (rows) whose
// two sources are computable on level l − 1: a contiguous range, grown level by level. Where
// the window touches the image's edge, the range reaches the level's edge.
//
// The halo bound. Let R_l = W / W_l (the true level-0 pixels per level-l pixel, ≤ 1.2^l·(1 +
// 1/126) for any level with keypoints, whose side is ≥ 63). A level-l pixel centred at u
// (level-l units) depends on level-0 pixel centres within u·R_l ± E_l, E_l = Σ_{j<l} R_j
// (each level adds one source pixel of reach each side). A keypoint at level-l column k reads
// the level within D = 19 pixels of k (descriptor: ±15 rotated pattern, ±3 blur, +1 spare), is
// reported at x = k·scale_l (|k·R_l − k·scale_l| < scale_l / 2) and belongs to the tile whose
// core holds x. So it needs the window to reach (D + 0.5)·R_l + E_l + scale_l/2 + 1 pixels past
// the core: 86.2 at l = 7, the worst level. HALO = 96 leaves room; the tile checks the ranges
// it actually needs and fails loudly if they were ever short.

/** OpenCV's ORB defaults, fixed by the op. */
export const LEVELS = 8;
export const EDGE = 31;
export const PATCH = 31;
export const FAST_THRESHOLD = 20;
/** Level pixels around a keypoint its kernels read (see above). */
export const REACH = 19;
export const HALO = 96;

const f32 = Math.fround;

/** cvRound: nearest, ties to even. */
export function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** OpenCV keeps the scale factor as a float: 1.2f, not 1.2 (it shows in level 3's positions). */
const FACTOR = f32(1.2);

/** (float)pow((double)1.2f, l). */
export const levelScale = (l: number): number => f32(FACTOR ** l);

/** Level sizes for an image axis of `size` pixels. */
export function levelSizes(size: number): number[] {
  const out: number[] = [];
  for (let l = 0; l < LEVELS; l++) out.push(roundEven(f32(size / levelScale(l))));
  return out;
}

/** OpenCV's split of nfeatures over the levels, ∝ 1.2^−l, in its f32 arithmetic. */
export function featuresPerLevel(max: number): number[] {
  const factor = f32(1 / FACTOR);
  let desired = f32(f32(max * f32(1 - factor)) / f32(1 - f32(factor ** LEVELS)));
  const out: number[] = [];
  let sum = 0;
  for (let l = 0; l < LEVELS - 1; l++) {
    const n = roundEven(desired);
    out.push(n);
    sum += n;
    desired = f32(desired * factor);
  }
  out.push(Math.max(max - sum, 0));
  return out;
}

/** One axis of a level a tile has: [lo, hi) in level coordinates. */
export interface Span {
  lo: number;
  hi: number;
}

/**
 * The resize of one axis from `sw` to `dw` pixels restricted to what `have` (a span of the
 * source level) can compute: the output span and, per output pixel, the i32 pair (source index
 * relative to have.lo, weight of the next source pixel).
 */
export function resizeAxis(sw: number, dw: number, have: Span): { span: Span; table: Int32Array } {
  const scale = 1 / (dw / sw);
  let lo = dw;
  let hi = 0;
  const index = new Int32Array(dw);
  const weight = new Int32Array(dw);
  for (let x = 0; x < dw; x++) {
    const f = scale * (x + 0.5) - 0.5;
    const ix = Math.floor(f);
    index[x] = ix;
    weight[x] = roundEven((f - ix) * 256);
    if (ix >= have.lo && ix + 1 < have.hi) {
      if (x < lo) lo = x;
      hi = x + 1;
    }
  }
  if (hi <= lo) return { span: { lo: 0, hi: 0 }, table: new Int32Array(0) };
  const table = new Int32Array(2 * (hi - lo));
  for (let x = lo; x < hi; x++) {
    table[2 * (x - lo)] = (index[x] ?? 0) - have.lo;
    table[2 * (x - lo) + 1] = weight[x] ?? 0;
  }
  return { span: { lo, hi }, table };
}

/**
 * The level-l pixels a tile reports on one axis: k with x = f32(k·scale) in the core [c0, c1),
 * and at least EDGE from the level's ends (OpenCV's runByImageBorder).
 */
export function ownedSpan(c0: number, c1: number, scale: number, size: number): Span {
  let lo = Math.max(EDGE, Math.floor(c0 / scale) - 2);
  while (lo > EDGE && f32(lo * scale) >= c0) lo--;
  while (f32(lo * scale) < c0) lo++;
  let hi = Math.max(lo, Math.floor(c1 / scale) - 2);
  while (f32(hi * scale) < c1) hi++;
  return { lo, hi: Math.min(hi, size - EDGE) };
}
