// OpenCV.js's equivalents of the analysis ops, as plain data, for the tests that compare with
// it (fast, corners, orb, components, hough-lines), and a loop over every photograph. The
// loader and its types are test/helpers/opencv.ts; the images test/helpers/grey-images.ts.

import type { Component, CornersParams, FastParams, GreyImage, HoughParams, Keypoint } from "@tessera/kernels";
import { greyPhoto } from "../helpers/grey-images.js";
import { photoNames } from "../helpers/images.js";
import { type CvKeyPoint, free, greyMat, type OpenCv, openCv } from "../helpers/opencv.js";

/**
 * Runs `check` with OpenCV for each of `settings` on a grey version of every photograph
 * (greyPhoto: Rec.709 luma, fitted into 1024²); returns a line a photo: its name and size, then
 * what `check` returned for each setting, joined by `join`.
 */
export async function onEveryPhoto<P>(
  settings: readonly P[],
  join: string,
  check: (cv: OpenCv, image: GreyImage, p: P, name: string) => Promise<string>,
): Promise<string[]> {
  const { cv } = await openCv();
  const rows: string[] = [];
  for (const name of photoNames()) {
    const image = await greyPhoto(name);
    const cells: string[] = [];
    for (const p of settings) cells.push(await check(cv, image, p, name));
    rows.push(`${name} ${image.width}×${image.height}: ${cells.join(join)}`);
  }
  return rows;
}

/** FastFeatureDetector (its default type is TYPE_9_16) as our Keypoint objects, in its order (y, then x). */
export function cvFast(cv: OpenCv, image: GreyImage, p: FastParams): Keypoint[] {
  const src = greyMat(cv, image);
  const detector = new cv.FastFeatureDetector();
  detector.setThreshold(p.threshold);
  detector.setNonmaxSuppression(p.nonmax);
  const found = new cv.KeyPointVector();
  detector.detect(src, found);
  const out: Keypoint[] = [];
  for (let i = 0; i < found.size(); i++) {
    const k = found.get(i);
    out.push({ x: k.pt.x, y: k.pt.y, response: k.response, size: k.size, angle: k.angle });
  }
  free(src, found, detector);
  return out;
}

/** goodFeaturesToTrack's points as [x, y]. */
export function cvCorners(cv: OpenCv, image: GreyImage, p: CornersParams): [number, number][] {
  const src = greyMat(cv, image);
  const out = new cv.Mat();
  const mask = new cv.Mat();
  cv.goodFeaturesToTrack(src, out, p.max, p.quality, p.minDistance, mask, p.block, p.method === "harris", p.k);
  const points: [number, number][] = [];
  for (let i = 0; i < out.rows; i++) points.push([out.data32F[2 * i] ?? -1, out.data32F[2 * i + 1] ?? -1]);
  free(src, out, mask);
  return points;
}

/** OpenCV's response map (what goodFeaturesToTrack ranks by). */
export function cvResponse(cv: OpenCv, image: GreyImage, p: CornersParams): Float32Array {
  const src = greyMat(cv, image);
  const out = new cv.Mat();
  if (p.method === "harris") cv.cornerHarris(src, out, p.block, 3, p.k);
  else cv.cornerMinEigenVal(src, out, p.block, 3);
  const map = new Float32Array(out.data32F);
  free(src, out);
  return map;
}

/** cv.ORB(max).detectAndCompute on a grey image: its keypoints. */
export function cvOrb(cv: OpenCv, image: GreyImage, max: number): CvKeyPoint[] {
  const src = greyMat(cv, image);
  const orb = new cv.ORB(max);
  const found = new cv.KeyPointVector();
  const descriptors = new cv.Mat();
  const mask = new cv.Mat();
  orb.detectAndCompute(src, mask, found, descriptors);
  const out: CvKeyPoint[] = [];
  for (let i = 0; i < found.size(); i++) out.push(found.get(i));
  free(src, found, descriptors, mask, orb);
  return out;
}

export interface CvRegions {
  /** Sorted by first pixel in raster order, as ours. */
  components: Component[];
  /** Whether OpenCV's own label order was already raster order. */
  rasterOrder: boolean;
}

/** cv.connectedComponentsWithStats of luma ≥ 128, label 0 dropped, min-area applied. */
export function cvComponents(cv: OpenCv, image: GreyImage, connectivity: 4 | 8, minArea = 1): CvRegions {
  const src = greyMat(cv, { ...image, data: image.data.map((v) => (v >= 128 ? 255 : 0)) });
  const labels = new cv.Mat();
  const stats = new cv.Mat();
  const centroids = new cv.Mat();
  const n = cv.connectedComponentsWithStats(src, labels, stats, centroids, connectivity, cv.CV_32S);
  const first = new Array<number>(n).fill(-1);
  labels.data32S.forEach((label, i) => {
    if (first[label] === -1) first[label] = i;
  });
  const found: { first: number; c: Component }[] = [];
  for (let l = 1; l < n; l++) {
    const s = stats.data32S.subarray(l * 5, l * 5 + 5);
    const c: Component = {
      area: s[4] as number,
      bbox: [s[0] as number, s[1] as number, s[2] as number, s[3] as number],
      centroid: [centroids.data64F[2 * l] as number, centroids.data64F[2 * l + 1] as number],
    };
    found.push({ first: first[l] as number, c });
  }
  free(src, labels, stats, centroids);
  const rasterOrder = found.every((f, i) => i === 0 || f.first > (found[i - 1]?.first as number));
  found.sort((a, b) => a.first - b.first);
  return { components: found.filter((f) => f.c.area >= minArea).map((f) => f.c), rasterOrder };
}

/** cv.HoughLines(image, rho, theta·π/180, threshold) as [rho, theta] pairs (float32 values). */
export function cvLines(cv: OpenCv, image: GreyImage, p: HoughParams): [number, number][] {
  const src = greyMat(cv, image);
  const lines = new cv.Mat();
  cv.HoughLines(src, lines, p.rho, (p.theta * Math.PI) / 180, p.threshold);
  const out: [number, number][] = [];
  for (let i = 0; i < lines.rows; i++) out.push([lines.data32F[2 * i] as number, lines.data32F[2 * i + 1] as number]);
  free(src, lines);
  return out;
}

/** cv.Canny(3×3, L1) of a grey image: the edge map both sides get. */
export function cvCanny(cv: OpenCv, image: GreyImage, low: number, high: number): GreyImage {
  const src = greyMat(cv, image);
  const edges = new cv.Mat();
  cv.Canny(src, edges, low, high, 3, false);
  const out = { width: image.width, height: image.height, data: new Uint8Array(edges.data) };
  free(src, edges);
  return out;
}
