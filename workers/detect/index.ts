// Object and face detection (issue 15): `detect-objects(score, classes)` and
// `detect-faces(score)`, analysis ops whose result is `{ detections: [{ label, score, bbox }] }`
// in source pixels. docs/detection.md has the models, licences, grid and merge rules.
//
// Built from pure pieces so the engine can spread windows over threads and machines:
//   detectionWindows(width, height, op)            the grid (image size and op only)
//   loadDetector(kind)                             the model, lazily, once per thread
//   detectInWindow(detector, pixels, window, p)    one window → detections in source pixels
//   LetterboxStream + detectInput(…)               the same, the window fed a few rows at a time
//   mergeDetections(lists, p)                      any order of window results → the answer
// detectImage() runs them all in this thread, for a whole image held in memory.

import { loadFaceDetector } from "./faces.js";
import { contentSize, cropPixels, letterbox } from "./image.js";
import { mergeDetections, toDetection } from "./nms.js";
import { loadObjectDetector } from "./objects.js";
import type { Detection, DetectionWindow, DetectKind, Detector, DetectParams, RgbWindow } from "./types.js";
import { detectionWindows, keepInWindow } from "./windows.js";

export { blazeFaceAnchors, decodeBlazeFace } from "./faces.js";
export { contentSize, cropPixels, LetterboxStream, letterbox } from "./image.js";
export { DETECT_PACKAGES, packageDir } from "./model-files.js";
export { compareDetections, iou, mergeDetections, suppress, toDetection } from "./nms.js";
export { COCO_LABELS, decodeCenterNet } from "./objects.js";
export { DETECT_OPS, resolveDetectParams } from "./params.js";
export * from "./types.js";
export { detectionWindows, EDGE_MARGIN, keepInWindow, windowGroup } from "./windows.js";

const loaders: Readonly<Record<DetectKind, () => Promise<Detector>>> = {
  objects: loadObjectDetector,
  faces: loadFaceDetector,
};

/** One promise per kind per thread: concurrent callers share one load. */
const detectors = new Map<DetectKind, Promise<Detector>>();

/**
 * The detector for `kind`, loaded on first use and cached for this thread (module state is per
 * worker thread). Fails with an error naming the packages to install when they are missing; a
 * failed load is not cached, so installing and retrying works without a restart.
 */
export function loadDetector(kind: DetectKind): Promise<Detector> {
  const load = loaders[kind];
  if (load === undefined) throw new Error(`unknown detector ${JSON.stringify(kind)}: use "objects" or "faces"`);
  let detector = detectors.get(kind);
  if (detector === undefined) {
    detector = load();
    detectors.set(kind, detector);
    detector.catch(() => detectors.delete(kind));
  }
  return detector;
}

/**
 * Detections in one window, in source pixels, rounded: the window's pixels are letterboxed into
 * the model input (image.ts), the model's boxes scaled back and offset by the window's corner,
 * boxes cut by an inner side of the window dropped (windows.ts), the score and class filters
 * applied, and same-class overlaps suppressed. Depends only on the pixels, the window and the
 * params, so it can run anywhere.
 */
export function detectInWindow(
  detector: Detector,
  pixels: RgbWindow,
  window: DetectionWindow,
  params: DetectParams,
): Promise<Detection[]> {
  const input = letterbox(pixels, detector.spec.inputSize, detector.scale, detector.offset);
  return detectInput(detector, input, contentSize(pixels.width, pixels.height, detector.spec.inputSize), window, params);
}

/**
 * detectInWindow on a model input built already (letterbox, or a LetterboxStream fed row by
 * row, which is how the engine's workers read a large window). `content` is the size the
 * window takes in the input (contentSize of the pixels the input was made from).
 */
export async function detectInput(
  detector: Detector,
  input: Float32Array,
  content: { width: number; height: number },
  window: DetectionWindow,
  params: DetectParams,
): Promise<Detection[]> {
  if (params.op !== detector.spec.op) throw new Error(`params are for ${params.op} but the detector runs ${detector.spec.op}`);
  const { inputSize } = detector.spec;
  if (input.length !== inputSize * inputSize * 3)
    throw new RangeError(`model input must be ${inputSize}²×3 floats, got ${input.length}`);
  const boxes = await detector.infer(input);
  // The resize maps the content's `content.width` input pixels onto the window's width exactly
  // (image.ts), so one input pixel is window.width / content.width source pixels.
  const fx = window.width / content.width;
  const fy = window.height / content.height;
  const wanted = params.classes === "all" ? null : new Set(params.classes);
  const found: Detection[] = [];
  for (const b of boxes) {
    if (b.score < params.score || (wanted !== null && !wanted.has(b.label))) continue;
    const x1 = window.x + b.x1 * fx;
    const y1 = window.y + b.y1 * fy;
    const x2 = window.x + b.x2 * fx;
    const y2 = window.y + b.y2 * fy;
    if (!keepInWindow(window, x1, y1, x2, y2)) continue;
    const d = toDetection(b.label, b.score, x1, y1, x2, y2, window.image);
    if (d !== null) found.push(d);
  }
  return mergeDetections([found], params);
}

export interface DetectImageResult {
  readonly detections: Detection[];
  /** Per window, in grid order: the window, its detections and the milliseconds it took. */
  readonly windows: { window: DetectionWindow; detections: Detection[]; ms: number }[];
}

/**
 * The whole op on one in-memory image (3 or 4 bytes a pixel), every window in this thread in
 * grid order. `params` come from resolveDetectParams.
 */
export async function detectImage(image: RgbWindow, params: DetectParams): Promise<DetectImageResult> {
  const kind: DetectKind = params.op === "detect-objects" ? "objects" : "faces";
  const detector = await loadDetector(kind);
  const windows: DetectImageResult["windows"] = [];
  for (const window of detectionWindows(image.width, image.height, params.op)) {
    const start = performance.now();
    const detections = await detectInWindow(detector, cropPixels(image, window), window, params);
    windows.push({ window, detections, ms: performance.now() - start });
  }
  return {
    detections: mergeDetections(
      windows.map((w) => w.detections),
      params,
    ),
    windows,
  };
}
