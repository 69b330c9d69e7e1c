// Canny's hysteresis over a class map given as blocks of whole rows (Kernels.hysteresis and
// hysteresisInPlace): the blocks are copied one after the other into wasm memory and the
// kernel runs there in place, so no second image-sized buffer is touched.

import { KernelError } from "./errors.js";
import { MAX_PIXELS } from "./image.js";
import type { Heap } from "./wasm.js";

/** The bytes of the blocks, checked to be whole rows of a `width`-pixel RGBA image within MAX_PIXELS. */
export function rowBlockBytes(width: number, rows: readonly Uint8Array[]): number {
  const rowBytes = width * 4;
  const bytes = rows.reduce((sum, block) => sum + block.length, 0);
  const uneven = rows.findIndex((block) => block.length % rowBytes !== 0);
  if (!Number.isInteger(width) || width < 1 || uneven >= 0 || bytes === 0 || bytes / rowBytes > MAX_PIXELS / width) {
    throw new KernelError(
      "INVALID_IMAGE",
      `the class map must be whole rows of a ${width}-pixel-wide RGBA image, at most ${MAX_PIXELS} pixels` +
        (uneven >= 0 ? `; block ${uneven} has ${rows[uneven]?.length} bytes` : `; got ${bytes} bytes`),
    );
  }
  return bytes;
}

/** Copies the blocks to `at` (room for all of them, scratch above) and runs the hysteresis there; returns `at`. */
export function hysteresisInWasm(heap: Heap, at: number, width: number, rows: readonly Uint8Array[]): number {
  const bytes = rowBlockBytes(width, rows);
  let to = at;
  for (const block of rows) {
    heap.u8.set(block, to);
    to += block.length;
  }
  heap.wasm.cannyHysteresis(at, at, width, bytes / (width * 4));
  return at;
}
