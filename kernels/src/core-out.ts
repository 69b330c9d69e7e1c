// The last part of runWindow: a window's result in wasm memory → its core, into the caller's
// target image, in the target's channels (and the core's histogram on the way, when asked).

import { lumaHistogram } from "./exec.js";
import { bytesOf, type Image, type Rect } from "./image.js";
import type { Heap } from "./wasm.js";

/** Where the window's result is: `out` (RGBA, window.width wide), and the other image buffer, free. */
export interface WindowResult {
  out: number;
  free: number;
  window: Rect;
}

/**
 * Writes `core` of the result into `target` at `at`. An RGBA target without a histogram takes
 * its rows straight from the result; otherwise the core is first compacted in place at the
 * start of the free buffer: what the histogram counts, and what a one- or three-channel target
 * gets once packed (grey: its R channel; RGB: alpha dropped).
 */
export function writeCore(
  heap: Heap,
  { out, free, window }: WindowResult,
  core: Rect,
  target: Image,
  at: { x: number; y: number },
  histogram: boolean,
): Uint32Array | undefined {
  const u8 = heap.u8;
  const into = bytesOf(target.data);
  const channels = target.channels ?? 4;
  const compact = channels !== 4 || histogram;
  const pixels = core.width * core.height;
  const rowIn = core.width * 4;
  if (compact) {
    for (let y = 0; y < core.height; y++) {
      const start = out + ((core.y + y) * window.width + core.x) * 4;
      u8.copyWithin(free + y * rowIn, start, start + rowIn);
    }
  }
  const counted = histogram ? lumaHistogram(heap, free, pixels) : undefined;
  if (channels === 1) heap.wasm.packGrey(free, free, pixels);
  else if (channels === 3) heap.wasm.packRgb(free, free, pixels);
  const rowOut = core.width * channels;
  for (let y = 0; y < core.height; y++) {
    const start = compact ? free + y * rowOut : out + ((core.y + y) * window.width + core.x) * 4;
    into.set(u8.subarray(start, start + rowOut), ((at.y + y) * target.width + at.x) * channels);
  }
  return counted;
}
