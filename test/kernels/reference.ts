// Reference implementations of the ops, written from their definitions (DESIGN.md "Pixels and
// ops", the op registry's descriptions, the CSS Filter Effects spec, OpenCV's documented
// algorithms) with plain float64 loops: no SIMD, no fixed point, nothing shared with kernels/.
// They are written for clarity, not speed, and were not tuned to agree with the kernels.
//
// Conventions every op here follows (DESIGN.md):
// - RGBA8 interleaved; R, G and B are processed, alpha is copied unchanged.
// - Neighbourhood ops read clamp-to-edge (the nearest edge pixel replicates outward).
// - Rounding is half up, floor(x + 0.5), then clamp to 0..255.
// - "Luma" is Rec.709 on the gamma-encoded values, 0.2126R + 0.7152G + 0.0722B, unrounded;
//   the histogram behind the global ops bins luma rounded half up.

import type { RgbaImage } from "@tessera/kernels";

export type RefParams = Readonly<Record<string, number | string | readonly number[] | null | undefined>>;

/** Round half up, then clamp to 0..255. */
export function roundClamp(v: number): number {
  const r = Math.floor(v + 0.5);
  return Math.min(255, Math.max(0, r));
}

const clampIndex = (i: number, n: number): number => (i < 0 ? 0 : i >= n ? n - 1 : i);

/** Unrounded Rec.709 luma of the gamma-encoded values. */
export const luma = (r: number, g: number, b: number): number => 0.2126 * r + 0.7152 * g + 0.0722 * b;

/**
 * Luma ×10000 as an exact integer: 2126R + 7152G + 722B. Used where the definition compares or
 * rounds luma and float64's 0.2126 (not exactly representable) could land on the wrong side of
 * a tie: luma 128 exactly, say, computes as 127.99999999999999 in floats.
 */
export const luma10000 = (r: number, g: number, b: number): number => 2126 * r + 7152 * g + 722 * b;

/** Luma rounded half up: the histogram bin. Exact (2·S = 10000·(2k+1) is the only tie, and S/10000 is exact there). */
export const lumaBin = (r: number, g: number, b: number): number => Math.floor(luma10000(r, g, b) / 10000 + 0.5);

/**
 * Applies f to each pixel's (R, G, B); f writes its three results through `put`. Alpha copied.
 */
function mapPixels(
  img: RgbaImage,
  f: (r: number, g: number, b: number, put: (r: number, g: number, b: number) => void) => void,
): Uint8ClampedArray {
  const src = img.data;
  const out = new Uint8ClampedArray(src.length);
  let i = 0;
  const put = (r: number, g: number, b: number): void => {
    out[i] = r;
    out[i + 1] = g;
    out[i + 2] = b;
  };
  for (; i < src.length; i += 4) {
    f(src[i] ?? 0, src[i + 1] ?? 0, src[i + 2] ?? 0, put);
    out[i + 3] = src[i + 3] ?? 0;
  }
  return out;
}

/**
 * The same float function of one channel value on R, G and B, rounded half up and clamped.
 * A function of one byte takes 256 inputs, so it is evaluated once per value, not per pixel.
 */
function perChannel(img: RgbaImage, f: (c: number) => number): Uint8ClampedArray {
  const table = Array.from({ length: 256 }, (_, c) => roundClamp(f(c)));
  return mapPixels(img, (r, g, b, put) => put(table[r] ?? 0, table[g] ?? 0, table[b] ?? 0));
}

/** out = M·(R, G, B), M row-major 3×3, rounded half up. */
const matrix = (img: RgbaImage, m: readonly number[]): Uint8ClampedArray => {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  return mapPixels(img, (r, gr, bl, put) =>
    put(roundClamp(a * r + b * gr + c * bl), roundClamp(d * r + e * gr + f * bl), roundClamp(g * r + h * gr + i * bl)),
  );
};

/** Writes a grey value per pixel to R = G = B; alpha copied. */
function greyImage(img: RgbaImage, grey: (x: number, y: number) => number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 4;
      const v = grey(x, y);
      out[i] = v;
      out[i + 1] = v;
      out[i + 2] = v;
      out[i + 3] = img.data[i + 3] ?? 0;
    }
  }
  return out;
}

// ─── Neighbourhood ops ──────────────────────────────────────────────────────────────────────

type Planes = [Float64Array, Float64Array, Float64Array];

/** R, G and B as float64 planes (index y·width + x). */
function planes(img: RgbaImage): Planes {
  const n = img.width * img.height;
  const [r, g, b]: Planes = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  for (let p = 0; p < n; p++) {
    r[p] = img.data[p * 4] ?? 0;
    g[p] = img.data[p * 4 + 1] ?? 0;
    b[p] = img.data[p * 4 + 2] ?? 0;
  }
  return [r, g, b];
}

/** The rounded (half up, clamped) result f(value, original byte) per channel; alpha copied. */
function fromPlanes(img: RgbaImage, values: Planes, f: (value: number, original: number) => number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(img.data.length);
  for (let p = 0; p < img.width * img.height; p++) {
    for (let c = 0; c < 3; c++) out[p * 4 + c] = roundClamp(f(values[c]?.[p] ?? 0, img.data[p * 4 + c] ?? 0));
    out[p * 4 + 3] = img.data[p * 4 + 3] ?? 0;
  }
  return out;
}

/**
 * `src` (w×h) padded by `pad` pixels on every side, the border replicating the nearest edge
 * pixel (clamp-to-edge), so the filters below need no bounds checks.
 */
function padded(src: Float64Array, w: number, h: number, pad: number): Float64Array {
  const W = w + 2 * pad;
  const out = new Float64Array(W * (h + 2 * pad));
  for (let y = 0; y < h + 2 * pad; y++) {
    const from = clampIndex(y - pad, h) * w;
    for (let x = 0; x < W; x++) out[y * W + x] = src[from + clampIndex(x - pad, w)] ?? 0;
  }
  return out;
}

/**
 * out(x, y) = Σ_i Σ_j kernel[j·side + i] · in(x + i − R, y + j − R), clamp-to-edge: a 2D
 * correlation with a `cols`×`rows` kernel (1×n and n×1 for separable passes).
 */
function correlate(src: Float64Array, w: number, h: number, kernel: readonly number[], cols: number, rows: number): Float64Array {
  const pad = (Math.max(cols, rows) - 1) / 2;
  const rx = (cols - 1) / 2;
  const ry = (rows - 1) / 2;
  const p = padded(src, w, h, pad);
  const W = w + 2 * pad;
  const k = Float64Array.from(kernel);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = 0; j < rows; j++) {
        const row = (y + pad + j - ry) * W + x + pad - rx;
        for (let i = 0; i < cols; i++) acc += (k[j * cols + i] ?? 0) * (p[row + i] ?? 0);
      }
      out[y * w + x] = acc;
    }
  }
  return out;
}

/** A separable 2D filter (outer product of `weights` with itself) on each of R, G, B. */
function separable(img: RgbaImage, weights: readonly number[]): Planes {
  const { width: w, height: h } = img;
  const n = weights.length;
  return planes(img).map((p) => correlate(correlate(p, w, h, weights, n, 1), w, h, weights, 1, n)) as Planes;
}

/** Normalised gaussian weights exp(−k²/2σ²) for k = −R..R, R = ceil(3σ). */
export function gaussianWeights(sigma: number): number[] {
  const radius = Math.ceil(3 * sigma);
  const w: number[] = [];
  for (let k = -radius; k <= radius; k++) w.push(Math.exp(-(k * k) / (2 * sigma * sigma)));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

/**
 * Gaussian blur: the 2D kernel exp(−(x²+y²)/2σ²)/Σ over |x|, |y| ≤ ceil(3σ) is the outer
 * product of the normalised 1D kernel with itself, so a row pass and a column pass compute it.
 */
export function gaussianBlur(img: RgbaImage, sigma: number): Uint8ClampedArray {
  return fromPlanes(img, separable(img, gaussianWeights(sigma)), (blurred) => blurred);
}

/** Unsharp mask: in + amount·(in − gaussian(in, σ)), the gaussian unrounded. */
export function sharpen(img: RgbaImage, sigma: number, amount: number): Uint8ClampedArray {
  return fromPlanes(img, separable(img, gaussianWeights(sigma)), (blurred, original) => original + amount * (original - blurred));
}

/**
 * Mean of the (2r+1)² window, rounded half up. The window sum (unit weights, separable) is an
 * exact integer and n = (2r+1)² is odd, so sum/n is never a tie and float64 rounds it right.
 */
export function boxBlur(img: RgbaImage, r: number): Uint8ClampedArray {
  const n = (2 * r + 1) * (2 * r + 1);
  return fromPlanes(img, separable(img, new Array<number>(2 * r + 1).fill(1)), (sum) => sum / n);
}

/**
 * Σ k·in / divisor + offset over an odd square kernel, rounded half up. The kernel is laid over
 * the image as written (row-major, top-left weight on the top-left neighbour: no flip), as
 * libvips' conv and sharp's convolve() do. divisor defaults to the kernel's sum, or 1 when that is 0.
 */
export function convolve(img: RgbaImage, kernel: readonly number[], divisor: number | null, offset: number): Uint8ClampedArray {
  const side = Math.sqrt(kernel.length);
  const sum = kernel.reduce((a, b) => a + b, 0);
  const d = divisor ?? (sum === 0 ? 1 : sum);
  const { width: w, height: h } = img;
  const sums = planes(img).map((p) => correlate(p, w, h, kernel, side, side)) as Planes;
  return fromPlanes(img, sums, (acc) => acc / d + offset);
}

/** Float luma plane, for the edge ops. */
function lumaPlane(img: RgbaImage): Float64Array {
  const plane = new Float64Array(img.width * img.height);
  for (let p = 0; p < plane.length; p++) {
    plane[p] = luma(img.data[p * 4] ?? 0, img.data[p * 4 + 1] ?? 0, img.data[p * 4 + 2] ?? 0);
  }
  return plane;
}

/** The 3×3 horizontal-derivative stencils; the vertical ones are their transposes. */
export const GRADIENT_X: Readonly<Record<"sobel" | "prewitt" | "scharr", readonly number[]>> = {
  sobel: [-1, 0, 1, -2, 0, 2, -1, 0, 1],
  prewitt: [-1, 0, 1, -1, 0, 1, -1, 0, 1],
  scharr: [-3, 0, 3, -10, 0, 10, -3, 0, 3],
};

/** L2 gradient magnitude √(gx² + gy²) of float luma, clamp-to-edge, written as grey. */
export function gradientMagnitude(img: RgbaImage, op: "sobel" | "prewitt" | "scharr"): Uint8ClampedArray {
  const L = lumaPlane(img);
  const { width: w, height: h } = img;
  const kx = GRADIENT_X[op];
  return greyImage(img, (x, y) => {
    let gx = 0;
    let gy = 0;
    for (let j = 0; j < 3; j++) {
      const row = clampIndex(y + j - 1, h) * w;
      for (let i = 0; i < 3; i++) {
        const v = L[row + clampIndex(x + i - 1, w)] ?? 0;
        gx += (kx[j * 3 + i] ?? 0) * v;
        gy += (kx[i * 3 + j] ?? 0) * v; // the transpose
      }
    }
    return roundClamp(Math.sqrt(gx * gx + gy * gy));
  });
}

/** |N + S + W + E − 4·centre| of float luma, clamp-to-edge, written as grey. */
export function laplacian(img: RgbaImage): Uint8ClampedArray {
  const L = lumaPlane(img);
  const { width: w, height: h } = img;
  const at = (x: number, y: number): number => L[clampIndex(y, h) * w + clampIndex(x, w)] ?? 0;
  return greyImage(img, (x, y) => roundClamp(Math.abs(at(x, y - 1) + at(x, y + 1) + at(x - 1, y) + at(x + 1, y) - 4 * at(x, y))));
}

// ─── Point ops ──────────────────────────────────────────────────────────────────────────────

/** Integer weights of the grayscale modes, each set summing to its divisor. */
export const GREY_MODES: Readonly<Record<string, readonly [number, number, number]>> = {
  rec709: [2126, 7152, 722],
  rec601: [299, 587, 114],
  average: [1, 1, 1],
};

/** Weighted mean of R, G, B with the mode's exact weights, rounded half up. */
export function grayscale(img: RgbaImage, mode: string): Uint8ClampedArray {
  const [wr, wg, wb] = GREY_MODES[mode] ?? [2126, 7152, 722];
  const d = wr + wg + wb;
  // S/d + 0.5 is exact at ties (k + ½ is representable) and far from integers elsewhere.
  return mapPixels(img, (r, g, b, put) => {
    const v = roundClamp((wr * r + wg * g + wb * b) / d);
    put(v, v, v);
  });
}

export const invert = (img: RgbaImage): Uint8ClampedArray => perChannel(img, (c) => 255 - c);
export const brightness = (img: RgbaImage, delta: number): Uint8ClampedArray => perChannel(img, (c) => c + delta);
export const contrast = (img: RgbaImage, factor: number): Uint8ClampedArray => perChannel(img, (c) => (c - 128) * factor + 128);
export const gamma = (img: RgbaImage, g: number): Uint8ClampedArray => perChannel(img, (c) => 255 * (c / 255) ** (1 / g));

/** `levels` evenly spaced outputs k·255/(levels−1): the nearest level, then its value rounded. */
export const posterize = (img: RgbaImage, levels: number): Uint8ClampedArray =>
  perChannel(img, (c) => (Math.round((c / 255) * (levels - 1)) * 255) / (levels - 1));

/** luma + factor·(c − luma) on each channel, float luma. */
export const saturation = (img: RgbaImage, factor: number): Uint8ClampedArray =>
  mapPixels(img, (r, g, b, put) => {
    const l = luma(r, g, b);
    put(roundClamp(l + factor * (r - l)), roundClamp(l + factor * (g - l)), roundClamp(l + factor * (b - l)));
  });

/**
 * CSS Filter Effects Module Level 1, §"hue-rotate" (feColorMatrix type="hueRotate"):
 *   [a00 a01 a02]   [+0.213 +0.715 +0.072]            [+0.787 −0.715 −0.072]            [−0.213 −0.715 +0.928]
 *   [a10 a11 a12] = [+0.213 +0.715 +0.072] + cos(θ) · [−0.213 +0.285 −0.072] + sin(θ) · [+0.143 +0.140 −0.283]
 *   [a20 a21 a22]   [+0.213 +0.715 +0.072]            [−0.213 −0.715 +0.928]            [−0.787 +0.715 +0.072]
 */
export function hueRotateMatrix(degrees: number): number[] {
  const base = [0.213, 0.715, 0.072, 0.213, 0.715, 0.072, 0.213, 0.715, 0.072];
  const cosM = [0.787, -0.715, -0.072, -0.213, 0.285, -0.072, -0.213, -0.715, 0.928];
  const sinM = [-0.213, -0.715, 0.928, 0.143, 0.14, -0.283, -0.787, 0.715, 0.072];
  const t = (degrees * Math.PI) / 180;
  return base.map((v, i) => v + Math.cos(t) * (cosM[i] ?? 0) + Math.sin(t) * (sinM[i] ?? 0));
}

/**
 * CSS Filter Effects Module Level 1, §"sepia", with t = 1 − amount:
 *   [0.393 + 0.607t  0.769 − 0.769t  0.189 − 0.189t]
 *   [0.349 − 0.349t  0.686 + 0.314t  0.168 − 0.168t]
 *   [0.272 − 0.272t  0.534 − 0.534t  0.131 + 0.869t]
 */
export function sepiaMatrix(amount: number): number[] {
  const t = 1 - amount;
  const full = [0.393, 0.769, 0.189, 0.349, 0.686, 0.168, 0.272, 0.534, 0.131];
  const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  // full + t·(identity − full): the spec's entries, written as an interpolation.
  return full.map((v, i) => v + t * ((identity[i] ?? 0) - v));
}

export const hueRotate = (img: RgbaImage, degrees: number): Uint8ClampedArray => matrix(img, hueRotateMatrix(degrees));
export const sepia = (img: RgbaImage, amount: number): Uint8ClampedArray => matrix(img, sepiaMatrix(amount));

/**
 * White where luma ≥ value, else black, with luma exact: 2126R + 7152G + 722B ≥ 10000·value.
 * (Exact for the values the tests use: integers and halves, where 10000·value is an integer.)
 */
export const threshold = (img: RgbaImage, value: number): Uint8ClampedArray =>
  mapPixels(img, (r, g, b, put) => {
    const v = luma10000(r, g, b) >= 10000 * value ? 255 : 0;
    put(v, v, v);
  });

// ─── Global ops: a luma histogram, then a table on R, G and B ───────────────────────────────

/** 256 bins of luma rounded half up. */
export function histogram(img: RgbaImage): number[] {
  const hist = new Array<number>(256).fill(0);
  for (let i = 0; i < img.data.length; i += 4) {
    const bin = lumaBin(img.data[i] ?? 0, img.data[i + 1] ?? 0, img.data[i + 2] ?? 0);
    hist[bin] = (hist[bin] ?? 0) + 1;
  }
  return hist;
}

const applyTable = (img: RgbaImage, table: ArrayLike<number>): Uint8ClampedArray =>
  mapPixels(img, (r, g, b, put) => put(table[r] ?? 0, table[g] ?? 0, table[b] ?? 0));

/** Round half to even, what OpenCV's saturate_cast<uchar>(float) (cvRound) does. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * OpenCV's equalizeHist (imgproc/src/histogram.cpp, EqualizeHistLut_Invoker): with i0 the first
 * non-empty bin, `scale = (256 − 1.f)/(total − hist[i0])` in float, lut[i0] = 0, and for
 * i > i0: `sum += hist[i]; lut[i] = saturate_cast<uchar>(sum * scale)`, the product in float
 * (int · float) and rounded half to even. Bins below i0 are 0. When one bin holds every pixel
 * OpenCV fills the image with that value; on R, G and B that is the identity table here (the
 * registry's "a single-level image is left unchanged"). Checked against OpenCV itself in the
 * tests.
 */
export function equalizeTable(hist: readonly number[]): number[] {
  const total = hist.reduce((a, b) => a + b, 0);
  let i0 = 0;
  while (i0 < 255 && (hist[i0] ?? 0) === 0) i0++;
  if ((hist[i0] ?? 0) === total) return Array.from({ length: 256 }, (_, i) => i);
  const f32 = Math.fround;
  const scale = f32(255 / f32(total - (hist[i0] ?? 0)));
  const table = new Array<number>(256).fill(0);
  let sum = 0;
  for (let i = i0 + 1; i < 256; i++) {
    sum += hist[i] ?? 0;
    table[i] = Math.min(255, Math.max(0, roundHalfEven(f32(f32(sum) * scale))));
  }
  return table;
}

export const equalize = (img: RgbaImage): Uint8ClampedArray => applyTable(img, equalizeTable(histogram(img)));

/**
 * The registry's percentile rule: percentile p is the luma bin at 0-based rank floor(p/100·(N−1))
 * of the sorted pixels; the `low` percentile maps to 0 and the `high` one to 255, linearly,
 * rounded half up; if they coincide (or cross) the image is left unchanged. The rank is computed
 * exactly: p·(N−1) is an exact float for the integer and half percentiles the tests use.
 */
export function normalizeTable(hist: readonly number[], low: number, high: number): number[] {
  const total = hist.reduce((a, b) => a + b, 0);
  const sorted: number[] = [];
  for (let v = 0; v < 256; v++) for (let k = 0; k < (hist[v] ?? 0); k++) sorted.push(v);
  const at = (p: number): number => sorted[Math.floor((p * (total - 1)) / 100)] ?? 255;
  const lo = at(low);
  const hi = at(high);
  if (hi <= lo) return Array.from({ length: 256 }, (_, i) => i);
  return Array.from({ length: 256 }, (_, v) => roundClamp(((v - lo) * 255) / (hi - lo)));
}

export const normalize = (img: RgbaImage, low: number, high: number): Uint8ClampedArray =>
  applyTable(img, normalizeTable(histogram(img), low, high));

/**
 * Otsu's method: the level t (class 0 = bins ≤ t, class 1 = bins > t, both non-empty) that
 * maximises the between-class variance ω0·ω1·(μ0 − μ1)²; the first such t on ties, as OpenCV.
 * Compared exactly: with n0, n1 the class counts, s0 the sum of class 0's bins, S and N the
 * totals, ω0ω1(μ0 − μ1)² = (s0·N − S·n0)² / (N²·n0·n1), so candidates compare by cross-multiplied
 * BigInts. With no t splitting the pixels (one level), t = 0.
 */
export function otsuLevel(hist: readonly number[]): number {
  const N = BigInt(hist.reduce((a, b) => a + b, 0));
  const S = BigInt(hist.reduce((a, h, i) => a + h * i, 0));
  let best = 0;
  let bestNum = 0n; // numerator (s0·N − S·n0)²
  let bestDen = 1n; // denominator n0·n1
  let n0 = 0n;
  let s0 = 0n;
  for (let t = 0; t < 256; t++) {
    n0 += BigInt(hist[t] ?? 0);
    s0 += BigInt((hist[t] ?? 0) * t);
    const n1 = N - n0;
    if (n0 === 0n || n1 === 0n) continue;
    const d = s0 * N - S * n0;
    const num = d * d;
    const den = n0 * n1;
    if (num * bestDen > bestNum * den) {
      best = t;
      bestNum = num;
      bestDen = den;
    }
  }
  return best;
}

/** White where the luma bin is above Otsu's level, else black. */
export function otsuThreshold(img: RgbaImage): Uint8ClampedArray {
  const t = otsuLevel(histogram(img));
  return mapPixels(img, (r, g, b, put) => {
    const v = lumaBin(r, g, b) > t ? 255 : 0;
    put(v, v, v);
  });
}

// ─── Dispatch ───────────────────────────────────────────────────────────────────────────────

const n = (p: RefParams, name: string, def: number): number => {
  const v = p[name];
  return typeof v === "number" ? v : def;
};

/** The reference result of one op with its params (defaults as in DESIGN.md's table). */
export function reference(img: RgbaImage, op: string, p: RefParams = {}): Uint8ClampedArray {
  switch (op) {
    case "box-blur":
      return boxBlur(img, n(p, "radius", 1));
    case "gaussian-blur":
      return gaussianBlur(img, n(p, "sigma", 1));
    case "sharpen":
      return sharpen(img, n(p, "sigma", 1), n(p, "amount", 1));
    case "convolve": {
      const kernel = (p.kernel as readonly number[] | undefined) ?? [0, 0, 0, 0, 1, 0, 0, 0, 0];
      const divisor = typeof p.divisor === "number" ? p.divisor : null;
      return convolve(img, kernel, divisor, n(p, "offset", 0));
    }
    case "sobel":
    case "prewitt":
    case "scharr":
      return gradientMagnitude(img, op);
    case "laplacian":
      return laplacian(img);
    case "grayscale":
      return grayscale(img, typeof p.mode === "string" ? p.mode : "rec709");
    case "invert":
      return invert(img);
    case "brightness":
      return brightness(img, n(p, "delta", 0));
    case "contrast":
      return contrast(img, n(p, "factor", 1));
    case "gamma":
      return gamma(img, n(p, "gamma", 1));
    case "saturation":
      return saturation(img, n(p, "factor", 1));
    case "hue-rotate":
      return hueRotate(img, n(p, "degrees", 0));
    case "sepia":
      return sepia(img, n(p, "amount", 1));
    case "threshold":
      return threshold(img, n(p, "value", 128));
    case "posterize":
      return posterize(img, n(p, "levels", 4));
    case "equalize":
      return equalize(img);
    case "normalize":
      return normalize(img, n(p, "low", 1), n(p, "high", 99));
    case "otsu-threshold":
      return otsuThreshold(img);
    default:
      throw new Error(`no reference for op ${op}`);
  }
}
