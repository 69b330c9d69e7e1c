// Messages between the page and the preview worker.

export type ToWorker =
  /** The downscaled input; the worker keeps it, so each run sends only the pipeline. */
  { type: "image"; width: number; height: number; data: Uint8ClampedArray } | { type: "run"; id: number; pipeline: string };

export type FromWorker =
  | { type: "ready" }
  | { type: "result"; id: number; pipeline: string; width: number; height: number; data: Uint8ClampedArray; ms: number }
  | { type: "error"; id: number | null; code: string; message: string };
