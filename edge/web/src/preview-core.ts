// The preview worker's logic, free of worker globals so it can be tested in Node: it keeps the
// input image (and a thumbnail-size copy) and answers each run with the result and the time the
// kernels took.

import type { Kernels } from "@tessera/kernels";
import { analysePreview, splitAnalysis } from "./preview-analysis.ts";
import { copyBytes, type FromWorker, type Pixels, type ToWorker } from "./preview-protocol.ts";

export type Reply = (message: FromWorker, transfer?: Transferable[]) => void;

export function createPreviewHandler(
  kernels: Promise<Kernels>,
  reply: Reply,
  now: () => number = () => performance.now(),
): (message: ToWorker) => Promise<void> {
  let image: Pixels | null = null;
  /** The shared result bands are written into, when the page shares memory with its workers. */
  let target: Pixels | null = null;
  /** A band buffer the page gave back, for the next band (allocating 2 MB per band costs page faults). */
  let spare: Uint8ClampedArray | null = null;
  let thumbImage: Pixels | null = null;
  kernels.then(
    () => reply({ type: "ready" }),
    (err: unknown) => reply({ type: "error", id: null, ...describe(err) }),
  );
  /** `pipeline` on `input`; an empty pipeline shows the input as it is. */
  const run = (k: Kernels, input: Pixels, pipeline: string): Pixels =>
    pipeline.trim() === "" ? { ...input, data: copyBytes(input.data) } : k.run(input, pipeline);
  return async (message) => {
    if (message.type === "image") {
      image = { width: message.width, height: message.height, data: message.data };
      target = message.target ? { ...image, data: message.target } : null;
      return;
    }
    if (message.type === "recycle") {
      spare = message.data;
      return;
    }
    if (message.type === "thumb-image") {
      thumbImage = { width: message.width, height: message.height, data: message.data };
      return;
    }
    if (message.type === "thumb") {
      const { id, pipeline } = message;
      try {
        const k = await kernels;
        if (!thumbImage) throw new Error("no thumbnail image loaded yet");
        // An analysis step's thumbnail is the image it analyses.
        const out = run(k, thumbImage, splitAnalysis(pipeline).image);
        reply({ type: "thumb", id, pipeline, width: out.width, height: out.height, data: out.data }, [out.data.buffer]);
      } catch (err) {
        reply({ type: "thumb-error", id, pipeline, message: describe(err).message });
      }
      return;
    }
    try {
      const k = await kernels;
      if (!image) throw Object.assign(new Error("no image loaded yet"), { code: "INVALID_IMAGE" });
      const start = now();
      if (message.type === "band") {
        const { width, height } = image;
        const top = Math.max(0, message.y0 - message.halo);
        const bottom = Math.min(height, message.y1 + message.halo);
        const core = { x: 0, y: message.y0 - top, width, height: message.y1 - message.y0 };
        const { id, y0 } = message;
        if (target) {
          // Straight from the shared input into the shared result.
          k.runWindow(image, { x: 0, y: top, width, height: bottom - top }, core, message.pipeline, target, { x: 0, y: y0 });
          reply({ type: "band", id, y0, ms: now() - start });
          return;
        }
        const size = width * core.height * 4;
        const data = spare?.length === size ? spare : new Uint8ClampedArray(size);
        spare = null;
        const band = { width, height: core.height, data };
        k.runWindow(image, { x: 0, y: top, width, height: bottom - top }, core, message.pipeline, band, { x: 0, y: 0 });
        reply({ type: "band", id, y0, data, ms: now() - start }, [data.buffer]);
        return;
      }
      // The pool sends a pipeline ending in an analysis op whole (never in bands): the op needs every row.
      const split = splitAnalysis(message.pipeline);
      const out = run(k, image, split.image);
      const analysis = split.analysis ? analysePreview(k, out, split.analysis) : undefined;
      const ms = now() - start;
      const { id, pipeline } = message;
      const data = out.data;
      reply({ type: "result", id, pipeline, width: out.width, height: out.height, data, ms, ...(analysis && { analysis }) }, [
        data.buffer,
      ]);
    } catch (err) {
      reply({ type: "error", id: message.id, ...describe(err) });
    }
  };
}

function describe(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e?.code === "string" ? e.code : "KERNEL_FAILED",
    message: typeof e?.message === "string" ? e.message : String(err),
  };
}
