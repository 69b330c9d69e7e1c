// Messages between the page and the preview workers.

export type ToWorker =
  /** The downscaled input; each worker keeps it, so each run sends only the pipeline. */
  | { type: "image"; width: number; height: number; data: Uint8ClampedArray }
  /** The whole pipeline on the whole image (pipelines with global ops, or a single worker). */
  | { type: "run"; id: number; pipeline: string }
  /** Rows y0..y1 of the result: the worker reads them with `halo` rows of context each side. */
  | { type: "band"; id: number; pipeline: string; y0: number; y1: number; halo: number };

export type FromWorker =
  | { type: "ready" }
  | { type: "result"; id: number; pipeline: string; width: number; height: number; data: Uint8ClampedArray; ms: number }
  | { type: "band"; id: number; y0: number; data: Uint8ClampedArray }
  | { type: "error"; id: number | null; code: string; message: string };
