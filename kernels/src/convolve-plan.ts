// How convolve picks its kernel (the integer, separable or f32 path of convolve-*.ts in
// kernels/assembly) and calls it.

import type { Exec } from "./exec.js";

/**
 * How convolve runs its kernel: on the integer path (convolveInt, see convolve-int.ts) when the
 * f32 weights the float path would use are integers j times 2^-p with Σ|j|·255 < 2^24, which
 * makes the float path's sums exact, so both give the same bytes; on the float path otherwise.
 */
export interface ConvolvePlan {
  /** Non-zero taps as (kx, ky, j) triples. */
  taps: number[];
  /** 2^-p. */
  scale: number;
  /** Accumulator lanes: 0 i16, 1 u16 (no negative weight), 2 i32 (convolve-int.ts LANES_*). */
  lanes: 0 | 1 | 2;
  /** ≥ 0: the result is (S + bias) >> shift; −1: S ends in f32 like the float path. */
  shift: number;
  bias: number;
  /** The divisor as the kernel sees it (its sign folded into the taps when shift ≥ 0). */
  divisor: number;
  /** With 16-bit lanes, the kernel as u(x)·v(y) when it is one (convolveSeparable). */
  separable?: { u: number[]; v: number[] };
}

/** Integer u, v with j(x, y) = u(x)·v(y), or undefined: u is the first non-zero row over its gcd. */
function separate(js: readonly number[], side: number): { u: number[]; v: number[] } | undefined {
  const row = (y: number): number[] => js.slice(y * side, y * side + side);
  const first = Array.from({ length: side }, (_, y) => y).find((y) => row(y).some((j) => j !== 0));
  if (first === undefined) return undefined;
  const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));
  const g = row(first).reduce(gcd, 0);
  const u = row(first).map((j) => j / g);
  const x0 = u.findIndex((j) => j !== 0);
  const v = Array.from({ length: side }, (_, y) => (row(y)[x0] ?? 0) / (u[x0] ?? 1));
  const exact = v.every(Number.isInteger) && js.every((j, i) => j === (u[i % side] ?? 0) * (v[Math.floor(i / side)] ?? 0));
  return exact ? { u, v } : undefined;
}

const I16_MAX = 32767;
const U16_MAX = 65535;
/** f32 holds every integer up to 2^24 exactly. */
const F32_EXACT = 2 ** 24;

export function convolvePlan(kernel: readonly number[], divisor: number, offset: number): ConvolvePlan | null {
  const weights = kernel.map(Math.fround);
  const side = Math.sqrt(kernel.length);
  let p = 0;
  while (p <= 15 && !weights.every((v) => Number.isInteger(v * 2 ** p))) p++;
  if (p > 15) return null;
  const js = weights.map((v) => v * 2 ** p);
  const sumAbs = js.reduce((a, j) => a + Math.abs(j), 0);
  if (js.some((j) => Math.abs(j) > I16_MAX) || sumAbs * 255 >= F32_EXACT) return null;

  const d = Math.fround(divisor);
  const off = Math.fround(offset);
  // Integer end: the whole scale 1/(2^p·d) is 2^-shift and the offset a multiple of 2^-shift,
  // with room to spare below 2^24 so that the f32 path's value is exact too (convolve-int.ts).
  const total = Math.abs(d) * 2 ** p;
  const shift = Math.log2(total);
  const integral =
    Number.isInteger(shift) && 2 ** shift === total && shift >= 0 && shift <= 20 && Number.isInteger(off * 2 ** shift);
  const bias = integral ? off * 2 ** shift + (shift > 0 ? 2 ** (shift - 1) : 0) : 0;
  const exactEnd = integral && sumAbs * 255 + Math.abs(bias) < F32_EXACT / 2;
  const sign = exactEnd && d < 0 ? -1 : 1;
  const taps: number[] = [];
  js.forEach((j, i) => {
    if (j !== 0) taps.push(i % side, Math.floor(i / side), sign * j);
  });
  const lanes: ConvolvePlan["lanes"] = sumAbs * 255 + Math.abs(bias) <= I16_MAX ? 0 : nonNegative(js, sign, bias, sumAbs) ? 1 : 2;
  // Separable pays from 5×5 up (2·5 taps instead of 25); at 3×3 the 2D pass skips zero taps.
  const split =
    lanes !== 2 && side >= 5
      ? separate(
          js.map((j) => sign * j),
          side,
        )
      : undefined;
  return {
    taps,
    scale: 2 ** -p,
    lanes,
    shift: exactEnd ? shift : -1,
    bias: exactEnd ? bias : 0,
    divisor: exactEnd ? Math.abs(d) : d,
    ...(split && { separable: split }),
  };
}

/** Whether S + bias is never negative and fits u16: no negative weight after the sign fold. */
const nonNegative = (js: readonly number[], sign: number, bias: number, sumAbs: number): boolean =>
  js.every((j) => sign * j >= 0) && bias >= 0 && sumAbs * 255 + bias <= U16_MAX;

/** The convolve op: the kernel convolvePlan picks, with its taps or weights laid out in wasm memory. */
export const runConvolve: Exec = (heap, p, src, dst, w, h) => {
  const kernel = p.kernel as readonly number[];
  const sum = kernel.reduce((a, b) => a + b, 0);
  const divisor = (p.divisor as number | null) ?? (sum === 0 ? 1 : sum);
  const offset = p.offset as number;
  const side = Math.sqrt(kernel.length);
  const plan = convolvePlan(kernel, divisor, offset);
  if (plan?.separable) {
    const { u, v } = plan.separable;
    const uv = heap.take(side * 8);
    new Int32Array(heap.wasm.memory.buffer, uv, side * 2).set([...u, ...v]);
    const { lanes, shift, bias, scale } = plan;
    const unsigned = lanes === 1 ? 1 : 0;
    heap.wasm.convolveSeparable(src, dst, w, h, uv, uv + side * 4, side, unsigned, shift, bias, scale, plan.divisor, offset);
    return;
  }
  if (plan) {
    const taps = heap.take(plan.taps.length * 4);
    new Int32Array(heap.wasm.memory.buffer, taps, plan.taps.length).set(plan.taps);
    const { lanes, shift, bias, scale } = plan;
    heap.wasm.convolveInt(src, dst, w, h, taps, plan.taps.length / 3, side, lanes, shift, bias, scale, plan.divisor, offset);
    return;
  }
  const k = heap.take(kernel.length * 4);
  heap.f32.set(kernel, k >>> 2);
  heap.wasm.convolve(src, dst, w, h, k, side, divisor, offset);
};
