// OpenCV.js (@techstark/opencv-js, single-threaded) for the analysis tests that compare with it:
// the loader, the part of its API they call, typed, and grey Mats. What each op's equivalent
// returns as plain data is test/kernels/features-opencv.ts.

import { createRequire } from "node:module";
import type { GreyImage } from "@tessera/kernels";

const require = createRequire(import.meta.url);

export interface CvKeyPoint {
  pt: { x: number; y: number };
  response: number;
  size: number;
  angle: number;
}
export interface CvMat {
  readonly data: Uint8Array;
  readonly data32F: Float32Array;
  readonly data32S: Int32Array;
  readonly data64F: Float64Array;
  readonly rows: number;
  delete(): void;
}
export interface CvKeyPoints {
  size(): number;
  get(i: number): CvKeyPoint;
  delete(): void;
}
interface CvFast {
  setThreshold(t: number): void;
  setNonmaxSuppression(on: boolean): void;
  detect(image: CvMat, keypoints: CvKeyPoints): void;
  delete(): void;
}
interface CvOrb {
  detectAndCompute(image: CvMat, mask: CvMat, keypoints: CvKeyPoints, descriptors: CvMat): void;
  delete(): void;
}
export interface OpenCv {
  Mat: new (rows?: number, cols?: number, type?: number) => CvMat;
  KeyPointVector: new () => CvKeyPoints;
  FastFeatureDetector: new () => CvFast;
  ORB: new (nfeatures: number) => CvOrb;
  CV_8UC1: number;
  CV_32S: number;
  goodFeaturesToTrack(
    image: CvMat,
    corners: CvMat,
    max: number,
    quality: number,
    minDistance: number,
    mask: CvMat,
    block: number,
    harris: boolean,
    k: number,
  ): void;
  cornerMinEigenVal(src: CvMat, dst: CvMat, block: number, aperture: number): void;
  cornerHarris(src: CvMat, dst: CvMat, block: number, aperture: number, k: number): void;
  connectedComponentsWithStats(
    src: CvMat,
    labels: CvMat,
    stats: CvMat,
    centroids: CvMat,
    connectivity: number,
    ltype: number,
  ): number;
  Canny(src: CvMat, edges: CvMat, low: number, high: number, aperture: number, l2: boolean): void;
  HoughLines(src: CvMat, lines: CvMat, rho: number, theta: number, threshold: number): void;
  onRuntimeInitialized?: () => void;
}

let openCvReady: Promise<{ cv: OpenCv }> | undefined;

/** OpenCV.js once its runtime is up, wrapped: the module is a thenable that resolves to itself forever. */
export function openCv(): Promise<{ cv: OpenCv }> {
  openCvReady ??= new Promise((resolve) => {
    const cv = require("@techstark/opencv-js") as OpenCv;
    if (typeof cv.Mat === "function") resolve({ cv });
    else cv.onRuntimeInitialized = () => resolve({ cv });
  });
  return openCvReady;
}

/** A grey (CV_8UC1) Mat holding `image`; the caller deletes it. */
export function greyMat(cv: OpenCv, image: GreyImage): CvMat {
  const m = new cv.Mat(image.height, image.width, cv.CV_8UC1);
  m.data.set(image.data);
  return m;
}

/** Deletes OpenCV's objects (their memory is not garbage-collected). */
export function free(...objects: { delete(): void }[]): void {
  for (const o of objects) o.delete();
}
