/**
 * The only things that cross the thread boundary of the kernel pool. A tile's window goes to
 * a thread in a buffer that is transferred, not copied, and comes back in the same buffer
 * with the tile's core written over it, so the main thread can hand the buffer to the next
 * tile: no pixel memory is allocated per tile.
 */

import type { Rect, Step } from "@tessera/kernels";

export interface PixelBuffer {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Main → thread: run `steps` on `window` and return its `core`. */
export interface TileTask {
  /** The tile's window (its core grown by the halo); its buffer is transferred to the thread. */
  window: PixelBuffer;
  /** The core, in window coordinates. */
  core: Rect;
  steps: Step[];
  /** Also return the luma histogram of the core (stages that end in a histogram op). */
  histogram: boolean;
}

/** Thread → main. */
export interface TileTaskResult {
  /** The core's pixels, at the start of the window's buffer (transferred back). */
  core: PixelBuffer;
  /** Milliseconds the kernels took on the thread (queueing for a thread not included). */
  ms: number;
  histogram?: Uint32Array;
}

/** Given to each thread once, at start-up. */
export interface ThreadData {
  /** The kernels' module, compiled once in the main thread. */
  module: WebAssembly.Module;
}
