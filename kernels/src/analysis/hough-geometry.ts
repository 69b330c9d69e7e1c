// The accumulator geometry of OpenCV's HoughLinesStandard (imgproc/src/hough.cpp, 4.x),
// reproduced operation for operation so that votes land in the same bins and lines come out
// with the same float values. HoughLines passes rho and theta on as float; everything below
// marked f32 is computed in float there, here in double and rounded with Math.fround, which for
// one +, −, × or ÷ of floats gives the same float (a double holds more than 2·24 + 2 bits).
//
//   numAngle = ⌊π / θ⌋ + 1, less one when the last angle is within θ/2 of π (computeNumangle)
//   numRho   = cvRound(f32((2·(w + h) + 1) / ρ))                 (round half to even)
//   tables   = f32(sin(a)·(1/ρ)), f32(cos(a)·(1/ρ)), a += θ in f32 from 0 (createTrigTable)
//   vote     r = cvRound(f32(f32(x·cos) + f32(y·sin))), bin r + ⌊(numRho − 1) / 2⌋

import { KernelError } from "../errors.js";

/** Accumulator bins the reduce may allocate (4 bytes each): 256 MiB. */
export const MAX_BINS = 2 ** 26;

export interface HoughGeometry {
  readonly numAngle: number;
  readonly numRho: number;
  /** ρ and θ (radians) as the floats OpenCV works with. */
  readonly rho: number;
  readonly theta: number;
  /** f32 cos(a)/ρ and sin(a)/ρ per angle. */
  readonly cos: Float32Array;
  readonly sin: Float32Array;
  /** The bin of r = 0: ⌊(numRho − 1) / 2⌋ as C++'s integer division truncates it. */
  readonly half: number;
}

const f32 = Math.fround;

/** cvRound: to nearest, ties to even (lrint and SSE both do this; checked against OpenCV.js). */
export function rint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

let cached: { key: string; geometry: HoughGeometry } | undefined;

/** The geometry for an image of `width × height` with ρ in pixels and θ in degrees. */
export function houghGeometry(width: number, height: number, rhoPixels: number, thetaDegrees: number): HoughGeometry {
  const key = `${width}×${height} ${rhoPixels} ${thetaDegrees}`;
  if (cached?.key === key) return cached.geometry;
  const rho = f32(rhoPixels);
  // The test and the docs call OpenCV with theta·π/180 computed in double, then HoughLines casts.
  const theta = f32((thetaDegrees * Math.PI) / 180);
  let numAngle = Math.floor(Math.PI / theta) + 1;
  if (numAngle > 1 && Math.abs(Math.PI - (numAngle - 1) * theta) < theta / 2) numAngle--;
  const numRho = rint(f32((2 * (width + height) + 1) / rho));
  if ((numAngle + 2) * (numRho + 2) > MAX_BINS) {
    throw new KernelError(
      "IMAGE_TOO_LARGE",
      `hough-lines: a ${width}×${height} image with rho=${rhoPixels}, theta=${thetaDegrees} needs ${numAngle} × ${numRho} accumulator bins, more than ${MAX_BINS}; use a larger rho or theta`,
    );
  }
  const irho = f32(1 / rho);
  const cos = new Float32Array(numAngle);
  const sin = new Float32Array(numAngle);
  let angle = 0;
  for (let n = 0; n < numAngle; n++) {
    sin[n] = Math.sin(angle) * irho;
    cos[n] = Math.cos(angle) * irho;
    angle = f32(angle + theta);
  }
  const geometry: HoughGeometry = { numAngle, numRho, rho, theta, cos, sin, half: Math.trunc((numRho - 1) / 2) };
  cached = { key, geometry };
  return geometry;
}

/** The rounded r (before adding `half`) of pixel (x, y) for angle n, as the vote computes it. */
export function voteOf(g: HoughGeometry, n: number, x: number, y: number): number {
  return rint(f32(f32(x * (g.cos[n] as number)) + f32(y * (g.sin[n] as number))));
}

/**
 * The smallest and largest rounded r of angle n over the rectangle [x0, x1] × [y0, y1]. Every
 * step of the vote (f32 products, f32 sum, rounding) is monotonic in x and in y, so the
 * extremes are at corners.
 */
export function voteRange(g: HoughGeometry, n: number, x0: number, y0: number, x1: number, y1: number): [number, number] {
  const a = voteOf(g, n, x0, y0);
  const b = voteOf(g, n, x1, y0);
  const c = voteOf(g, n, x0, y1);
  const d = voteOf(g, n, x1, y1);
  return [Math.min(a, b, c, d), Math.max(a, b, c, d)];
}

/** OpenCV's output line for bin (n, r): rho = f32(f32(r − f32((numRho − 1)·0.5))·ρ), theta = f32(n·θ). */
export function lineOf(g: HoughGeometry, n: number, r: number): { rho: number; theta: number } {
  return { rho: f32(f32(r - f32((g.numRho - 1) * 0.5)) * g.rho), theta: f32(n * g.theta) };
}
