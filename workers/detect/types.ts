// Shared shapes of the detection ops. Everything that crosses a thread or a machine (windows,
// params, detections) is a plain object of numbers and strings, so structuredClone and JSON
// both carry it unchanged; only a `Detector` (a loaded model) stays in the thread that loaded it.

import { DETECTION_IOU, type Detection, type DetectOpName, type DetectParams } from "@tessera/kernels";

export type { Detection, DetectOpName, DetectParams };

/** Which model: COCO objects (CenterNet) or faces (BlazeFace). */
export type DetectKind = "objects" | "faces";

/**
 * What is fixed per op: the model's square input side (both models take a fixed size), the
 * window side on the grid (the input times WINDOW_SCALE) and the IoU above which class-wise NMS
 * treats two boxes as the same thing (DETECTION_IOU, where the engine's merge reads it).
 * Constants, not params: the grid and the merge must not depend on anything but the image size
 * and the op, or results would vary between runs. `scale` and `offset` map a pixel to the
 * model's input value (`pixel * scale + offset`): here rather than only on the loaded model,
 * so a worker can build a window's input without loading the model.
 */
export interface DetectSpec {
  readonly kind: DetectKind;
  readonly op: DetectOpName;
  readonly inputSize: number;
  readonly windowSide: number;
  readonly iou: number;
  readonly scale: number;
  readonly offset: number;
}

/**
 * Windows on the grid are this many model inputs wide: a 512-pixel CenterNet input sees a
 * 1024-pixel window, a 256-pixel BlazeFace input a 512-pixel one. 1 would keep small objects at
 * full resolution but costs 4× the windows; 2 keeps a 2048² image at 10 object windows.
 */
export const WINDOW_SCALE = 2;

export const SPECS: Readonly<Record<DetectKind, DetectSpec>> = Object.freeze({
  // CenterNet takes 0..255 (the graph normalises itself).
  objects: Object.freeze({
    kind: "objects",
    op: "detect-objects",
    inputSize: 512,
    windowSide: 512 * WINDOW_SCALE,
    iou: DETECTION_IOU["detect-objects"],
    scale: 1,
    offset: 0,
  }),
  // BlazeFace takes -1..1.
  faces: Object.freeze({
    kind: "faces",
    op: "detect-faces",
    inputSize: 256,
    windowSide: 256 * WINDOW_SCALE,
    iou: DETECTION_IOU["detect-faces"],
    scale: 1 / 127.5,
    offset: -1,
  }),
});

export function specOf(op: DetectKind | DetectOpName): DetectSpec {
  if (op === "objects" || op === "detect-objects") return SPECS.objects;
  if (op === "faces" || op === "detect-faces") return SPECS.faces;
  throw new Error(`unknown detection op ${JSON.stringify(op)}: use "detect-objects" or "detect-faces"`);
}

/**
 * A window on the detection grid, in source pixels. `level` 0 is the finest grid; the last
 * window (the highest level) is always the whole image. `image` is the whole image's size: a
 * window side that lies inside the image (not on its border) is a cut through the scene.
 */
export interface DetectionWindow {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly level: number;
  readonly image: { readonly width: number; readonly height: number };
}

/**
 * Pixels of one window: row-major, 3 (RGB) or 4 (RGBA, alpha ignored) bytes a pixel. Any size
 * with the window's aspect ratio; pass the crop at source resolution (cropPixels) so the only
 * resize is detectInWindow's own, and results do not depend on the caller.
 */
export interface RgbWindow {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels?: 3 | 4;
}

/** A box as a model reports it: corners in model-input pixels. */
export interface RawBox {
  readonly label: string;
  readonly score: number;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** A loaded model with its decoding: model input in, boxes in model-input pixels out. */
export interface Detector {
  readonly spec: DetectSpec;
  /** Input values are `pixel * scale + offset` (the letterbox padding is pixel 0, black). */
  readonly scale: number;
  readonly offset: number;
  /** `input` is inputSize² × 3 floats, RGB, row-major, already scaled. */
  infer(input: Float32Array): Promise<RawBox[]>;
}
