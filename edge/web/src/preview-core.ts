// The preview worker's logic, free of worker globals so it can be tested in Node: it keeps the
// input image and answers each run with the result and the time the kernels took.

import type { Kernels } from "@tessera/kernels";
import type { FromWorker, ToWorker } from "./preview-protocol.ts";

export type Reply = (message: FromWorker, transfer?: Transferable[]) => void;

export function createPreviewHandler(
  kernels: Promise<Kernels>,
  reply: Reply,
  now: () => number = () => performance.now(),
): (message: ToWorker) => Promise<void> {
  let image: { width: number; height: number; data: Uint8ClampedArray } | null = null;
  kernels.then(
    () => reply({ type: "ready" }),
    (err: unknown) => reply({ type: "error", id: null, ...describe(err) }),
  );
  return async (message) => {
    if (message.type === "image") {
      image = { width: message.width, height: message.height, data: message.data };
      return;
    }
    try {
      const k = await kernels;
      if (!image) throw Object.assign(new Error("no image loaded yet"), { code: "INVALID_IMAGE" });
      if (message.type === "band") {
        // Full-width rows with their halo are a contiguous slice of the image: no copy to cut it.
        const { width, height } = image;
        const top = Math.max(0, message.y0 - message.halo);
        const bottom = Math.min(height, message.y1 + message.halo);
        const window = { width, height: bottom - top, data: image.data.subarray(top * width * 4, bottom * width * 4) };
        const core = { x: 0, y: message.y0 - top, width, height: message.y1 - message.y0 };
        const out = k.runRegion(window, core, message.pipeline);
        reply({ type: "band", id: message.id, y0: message.y0, data: out.data }, [out.data.buffer]);
        return;
      }
      const start = now();
      // An empty pipeline shows the input as it is.
      const out = message.pipeline.trim() === "" ? { ...image, data: image.data.slice() } : k.run(image, message.pipeline);
      const ms = now() - start;
      const data = out.data;
      reply({ type: "result", id: message.id, pipeline: message.pipeline, width: out.width, height: out.height, data, ms }, [
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
