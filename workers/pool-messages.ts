/**
 * The only things that cross the thread boundary of the kernel pool. Pixel buffers are
 * transferred, never cloned: the sender loses them.
 */

import type { Rect, Step } from "@tessera/kernels";

export interface PixelBuffer {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Main → thread: run `steps` on a window and return its core. */
export interface TileTask {
  window: PixelBuffer;
  core: Rect;
  steps: Step[];
  /** Also return the luma histogram of the core (stages that end in a histogram op). */
  histogram: boolean;
}

/** Thread → main. */
export interface TileTaskResult {
  core: PixelBuffer;
  histogram?: Uint32Array;
}

/** Given to each thread once, at start-up. */
export interface ThreadData {
  /** The kernels' module, compiled once in the main thread. */
  module: WebAssembly.Module;
}
