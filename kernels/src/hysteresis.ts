// Canny's hysteresis over a class map given as blocks of whole rows (Kernels.hysteresisInPlace,
// which Kernels.hysteresis runs on a copy), on a one-byte-per-pixel map in wasm memory.

import { KernelError } from "./errors.js";
import { MAX_PIXELS } from "./image.js";
import type { Place } from "./run-image.js";
import type { Heap } from "./wasm.js";

/** The bytes of the blocks, checked to be whole rows of a `width`-pixel RGBA image within MAX_PIXELS. */
function rowBlockBytes(width: number, rows: readonly Uint8Array[]): number {
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

/**
 * The hysteresis written over the blocks themselves, on one byte per pixel: each block is
 * copied into a staging area and packed into a grey class map (a quarter of the image's
 * bytes), the map is reduced, and each block gets its edges back with its alpha. Wasm memory
 * needed: the map and one block, instead of the whole RGBA image.
 */
export function hysteresisRowsInPlace(heap: Heap, place: Place, width: number, rows: readonly Uint8Array[]): void {
  const pixels = rowBlockBytes(width, rows) / 4;
  const biggest = Math.max(...rows.map((block) => block.length));
  const { a: map, b: staging } = place(Math.max(pixels, biggest));
  let at = map;
  for (const block of rows) {
    heap.u8.set(block, staging);
    heap.wasm.packGrey(staging, at, block.length / 4);
    at += block.length / 4;
  }
  heap.wasm.cannyHysteresisGrey(map, width, pixels / width);
  at = map;
  for (const block of rows) {
    heap.u8.set(block, staging);
    heap.wasm.greyIntoRgb(at, staging, block.length / 4);
    block.set(heap.u8.subarray(staging, staging + block.length));
    at += block.length / 4;
  }
}
