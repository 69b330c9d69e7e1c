// Messages between the page and the preview workers.

import type { AnalysisData } from "@tessera/kernels";

export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** A pipeline's analysis op on the preview: its data in preview pixels, or why it could not run. */
export interface PreviewAnalysis {
  op: string;
  data?: AnalysisData;
  error?: string;
}

export type ToWorker =
  /**
   * The downscaled input; each worker keeps it, so each run sends only the pipeline. With shared
   * memory, `data` is shared by every worker and bands are written into `target` (shared too).
   */
  | ({ type: "image"; target?: Uint8ClampedArray } & Pixels)
  /** The input at thumbnail size, for `thumb` requests. */
  | ({ type: "thumb-image" } & Pixels)
  /** The whole pipeline on the whole image (pipelines with global ops, or a single worker). */
  | { type: "run"; id: number; pipeline: string }
  /** Rows y0..y1 of the result: the worker reads them with `halo` rows of context each side. */
  | { type: "band"; id: number; pipeline: string; y0: number; y1: number; halo: number }
  /** A band's buffer, given back once the page has copied it: the worker writes its next band into it. */
  | { type: "recycle"; data: Uint8ClampedArray }
  /** The pipeline (a prefix of the one previewed) on the thumbnail-size input. */
  | { type: "thumb"; id: number; pipeline: string };

export type FromWorker =
  | { type: "ready" }
  /** `ms`: the time the kernels took (the pool's result: the wall time of the whole run, `kernelMs` the kernels'). */
  /** `analysis`: when the pipeline ends in an analysis op, what it found on `data` (the image steps' result). */
  | ({ type: "result"; id: number; pipeline: string; ms: number; kernelMs?: number; analysis?: PreviewAnalysis } & Pixels)
  /** A band's rows; no `data` when they were written into the shared target. */
  | { type: "band"; id: number; y0: number; data?: Uint8ClampedArray; ms: number }
  | ({ type: "thumb"; id: number; pipeline: string } & Pixels)
  | { type: "thumb-error"; id: number; pipeline: string; message: string }
  | { type: "error"; id: number | null; code: string; message: string };

/**
 * A copy of `data` in memory of its own (unshared, as ImageData needs). Not `data.slice()`: V8's
 * slice of a large typed array is some 30 times slower than allocating and copying with set().
 */
export function copyBytes(data: Uint8ClampedArray): Uint8ClampedArray<ArrayBuffer> {
  const copy = new Uint8ClampedArray(data.length);
  copy.set(data);
  return copy;
}
