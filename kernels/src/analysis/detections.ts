// Detections (detect-objects, detect-faces): rounding, ordering and class-wise non-maximum
// suppression. They live here, not beside the models (workers/detect), because the engine's
// finish merges every window's detections and must not load a model to do it: this is the
// detectors' `reduce`. The windows themselves run in workers (a network sees windows of a
// fixed grid, not tiles), so these ops have no AnalysisOp.
//
// The merge must give the same JSON whichever order the windows' results arrive in (threads
// and machines finish when they finish), so: every detection is rounded where it is made (two
// machines then hold the same numbers), the pooled list is sorted by a TOTAL order over all
// its fields before the greedy NMS runs (ties cannot depend on arrival order; exact
// duplicates are interchangeable), and the output is sorted by that same order.

import type { Step } from "../pipeline.js";
import type { Detection } from "./types.js";

/** The detection ops, as they appear in a pipeline. */
export type DetectOpName = "detect-objects" | "detect-faces";

/** Ops that run on windows of a fixed grid through their own engine stage, not on tiles. */
export const DETECTION_OPS: ReadonlySet<string> = new Set<DetectOpName>(["detect-objects", "detect-faces"]);

export const isDetectionStep = (step: { readonly op: string } | undefined): boolean =>
  step !== undefined && DETECTION_OPS.has(step.op);

/**
 * The IoU above which class-wise NMS treats two boxes as the same thing. Faces rarely overlap
 * much, and BlazeFace fires on many neighbouring anchors for one face: a lower IoU folds those
 * together without merging two real faces. Constants, not params: the merge must not depend on
 * anything but the detections and the op.
 */
export const DETECTION_IOU: Readonly<Record<DetectOpName, number>> = Object.freeze({
  "detect-objects": 0.5,
  "detect-faces": 0.3,
});

/** Resolved, validated params. `op` rides along so the merge knows its IoU. */
export interface DetectParams {
  readonly op: DetectOpName;
  /** Keep detections scoring at least this (0..1). */
  readonly score: number;
  /** Labels to keep, in the model's class order, or "all". Always "all" for faces. */
  readonly classes: "all" | readonly string[];
}

/**
 * A parsed step's params as the detectors take them. The parser has checked them already
 * (score in 0..1; classes "all" or known labels, canonical: COCO order joined by "+").
 */
export function detectParams(step: { readonly op: string; readonly params: Readonly<Record<string, unknown>> }): DetectParams {
  if (!DETECTION_OPS.has(step.op)) throw new Error(`${step.op} is not a detection op`);
  const classes = step.params.classes;
  return Object.freeze({
    op: step.op as DetectOpName,
    score: step.params.score as number,
    classes: typeof classes === "string" && classes !== "all" ? Object.freeze(classes.split("+")) : "all",
  });
}

/** Scores keep 4 decimals, coordinates 2: stable JSON, far below what the models resolve. */
export const roundScore = (v: number): number => Math.round(v * 1e4) / 1e4;
export const roundCoord = (v: number): number => Math.round(v * 100) / 100;

/**
 * A detection from box corners in source pixels: clipped to the image, rounded. Width and height
 * come from the rounded corners, so x + w is the rounded right edge. Null when nothing is left
 * (a box wholly outside the image or under a hundredth of a pixel).
 */
export function toDetection(
  label: string,
  score: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  image: { readonly width: number; readonly height: number },
): Detection | null {
  const left = roundCoord(Math.min(Math.max(x1, 0), image.width));
  const top = roundCoord(Math.min(Math.max(y1, 0), image.height));
  const right = roundCoord(Math.min(Math.max(x2, 0), image.width));
  const bottom = roundCoord(Math.min(Math.max(y2, 0), image.height));
  const w = roundCoord(right - left);
  const h = roundCoord(bottom - top);
  if (!(w > 0 && h > 0)) return null;
  return { label, score: roundScore(score), bbox: [left, top, w, h] };
}

/** Score descending, then label, then x, y, width, height ascending: a total order. */
export function compareDetections(a: Detection, b: Detection): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.label !== b.label) return a.label < b.label ? -1 : 1;
  for (let i = 0; i < 4; i++) {
    const d = (a.bbox[i] as number) - (b.bbox[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** Intersection over union of two [x, y, w, h] boxes; 0 when either is empty. */
export function iou(a: Detection["bbox"], b: Detection["bbox"]): number {
  const ix = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const iy = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

/**
 * Greedy class-wise NMS: walk the detections best first; keep one unless a kept detection of
 * the same label overlaps it by more than `threshold` IoU. Returns the kept ones, sorted.
 * Detections below `minScore` are dropped first (they could only ever be suppressed, never
 * suppress a better one, so dropping them early changes nothing else).
 */
export function suppress(all: Iterable<Detection>, threshold: number, minScore = 0): Detection[] {
  const sorted = [...all].filter((d) => d.score >= minScore).sort(compareDetections);
  const kept: Detection[] = [];
  const byLabel = new Map<string, Detection[]>();
  for (const d of sorted) {
    const same = byLabel.get(d.label) ?? [];
    if (same.some((k) => iou(k.bbox, d.bbox) > threshold)) continue;
    same.push(d);
    byLabel.set(d.label, same);
    kept.push(d);
  }
  return kept;
}

/**
 * Every window's detections (as lists per window, or one flat list, in any order) to the
 * answer: class-wise NMS at the op's fixed IoU, the score and class filters applied again (so
 * partials made with looser params still give the right answer), sorted by compareDetections.
 * Only the whole pool may be suppressed: NMS over a subset first (one message's windows) can
 * drop a box the greedy pass over everything keeps, so callers merge once, at the end.
 */
export function mergeDetections(all: readonly (Detection | readonly Detection[])[], params: DetectParams): Detection[] {
  const flat: Detection[] = [];
  for (const item of all) {
    if (Array.isArray(item)) flat.push(...(item as readonly Detection[]));
    else flat.push(item as Detection);
  }
  const wanted = params.classes === "all" ? null : new Set(params.classes);
  const candidates = wanted === null ? flat : flat.filter((d) => wanted.has(d.label));
  const threshold = DETECTION_IOU[params.op];
  if (threshold === undefined) throw new Error(`${String(params.op)} is not a detection op`);
  // Copies, so callers never share arrays with the answer.
  return suppress(candidates, threshold, params.score).map((d) => ({
    label: d.label,
    score: d.score,
    bbox: [d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]],
  }));
}

/** The step's detections as the pipeline's data: the detectors' reduce. */
export function reduceDetections(
  partials: readonly (Detection | readonly Detection[])[],
  step: Step,
): { detections: Detection[] } {
  return { detections: mergeDetections(partials, detectParams(step)) };
}
