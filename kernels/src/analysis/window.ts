// From a tile's window of RGBA pixels in wasm memory (after its image steps ran) to the
// AnalysisTile an op sees: the luma of the core grown by the op's halo, clipped where the
// window is clipped (the engine clamps windows at the image, so that is the image edge).

import type { Rect } from "../image.js";
import type { Heap } from "../wasm.js";
import type { AnalysisTile } from "./types.js";

/** Rec.709 in ten-thousandths: the grayscale op's weights, so luma here is that op's output. */
const REC709 = [2126, 7152, 722] as const;

/**
 * The AnalysisTile of the w×h RGBA window at `ptr`: `core` (window coordinates) grown by
 * `halo` and clipped to the window, as luma copied out of wasm memory (the op may then use all
 * of it). `free` is a buffer of at least w·h·4 bytes the rows may be gathered in.
 * `origin` is the window's top-left corner in the image; `image` the image's size.
 */
export function lumaTile(
  heap: Heap,
  ptr: number,
  free: number,
  w: number,
  h: number,
  core: Rect,
  halo: number,
  origin: { x: number; y: number },
  image: { width: number; height: number },
): AnalysisTile {
  const x0 = Math.max(0, core.x - halo);
  const y0 = Math.max(0, core.y - halo);
  const width = Math.min(w, core.x + core.width + halo) - x0;
  const height = Math.min(h, core.y + core.height + halo) - y0;
  const u8 = heap.u8;
  // Gather the rows of the rectangle (in place when it is the whole window), then one SIMD pass
  // to grey, one byte a pixel, into whichever buffer the rows are not in.
  let rgba = ptr;
  if (x0 !== 0 || width !== w) {
    for (let y = 0; y < height; y++) {
      const from = ptr + ((y0 + y) * w + x0) * 4;
      u8.copyWithin(free + y * width * 4, from, from + width * 4);
    }
    rgba = free;
  } else if (y0 !== 0) rgba = ptr + y0 * w * 4;
  const n = width * height;
  const grey = rgba === free ? ptr : free;
  heap.wasm.grayscaleTo1(rgba, grey, n, ...REC709);
  return {
    grey: heap.u8.slice(grey, grey + n),
    width,
    height,
    core: { x: core.x - x0, y: core.y - y0, width: core.width, height: core.height },
    origin: { x: origin.x + x0, y: origin.y + y0 },
    image: { width: image.width, height: image.height },
  };
}
