/**
 * The only things that cross the thread boundary of the kernel pool. Pixels do not travel in
 * messages: a band's input rows and its result live in SharedArrayBuffers that every thread
 * sees. A task names a tile's window in the input and where its core goes in the result; the
 * thread copies the window into its kernels' memory, runs the steps, and writes the core
 * straight into the result. The main thread cuts and places nothing.
 */

import type { Detection, DetectParams, Rect, Step } from "@tessera/kernels";
import type { DetectionWindow } from "./detect/types.js";

export interface PixelBuffer {
  width: number;
  height: number;
  /**
   * Bytes per pixel: RGBA unless said. A window may be RGB or grey, and a result grey or RGB
   * (band-runner.ts windowChannels, resultChannels); the threads widen and pack in wasm memory.
   */
  channels?: 1 | 3 | 4;
  data: Uint8ClampedArray;
}

/** A PixelBuffer whose data is a view of a SharedArrayBuffer: posting it shares, not copies. */
export type SharedPixels = PixelBuffer;

/** Main → thread: run `steps` on `window` of `source` and write its `core` into `target` at `at`. */
export interface TileTask {
  /** The band's input rows (its tiles' windows, halos included). */
  source: SharedPixels;
  /** The tile's window (its core grown by the halo), in source coordinates. */
  window: Rect;
  /** The core, in window coordinates. */
  core: Rect;
  /**
   * The band's result rows; the thread writes the core there and nothing else. Absent for an
   * analysis tile, which answers with its partial instead of pixels.
   */
  target?: SharedPixels;
  /** Where the core's top-left pixel goes in target. */
  at: { x: number; y: number };
  steps: Step[];
  /** Also return the luma histogram of the core (stages that end in a histogram op). */
  histogram: boolean;
  /**
   * Run the pipeline's analysis op after `steps` (Kernels.analyseWindow) and answer with its
   * partial: `origin` is the window's top-left corner in the image, `image` the image's size.
   */
  analysis?: { step: Step; origin: { x: number; y: number }; image: { width: number; height: number } };
}

/**
 * Main → thread: run a detector on one window of the detection grid. The main thread has read
 * the window's rows and resized them into the model's input as they came (LetterboxStream), so
 * what crosses is the input (a few MB whatever the window's size), not pixels. The thread
 * imports workers/detect and loads the model on its first such task only: image jobs never
 * load tfjs.
 */
export interface DetectTask {
  kind: "detect";
  /** `inputSize² × 3` floats, as detectInput takes them. */
  input: Float32Array;
  /** The size the window takes in the input. */
  content: { width: number; height: number };
  window: DetectionWindow;
  params: DetectParams;
  /** (No pixels: the pool checks a task's `source` and `target` only when present.) */
  source?: undefined;
  target?: undefined;
}

/**
 * Main → thread: touch every page of a fresh shared buffer, so that the main thread, which
 * copies a band's window into it once decoded, does not take its page faults (the first
 * write to each page of fresh memory: ~80 ms of the main thread's time in a one-shot 24 MP job
 * at 16 threads on the 16-core machine, while the threads waited for the first decodes).
 * Each page gets a compare-and-swap of 0 for 0, which writes nothing another thread wrote.
 */
export interface TouchTask {
  kind: "touch";
  buffer: SharedArrayBuffer;
  source?: undefined;
  target?: undefined;
}

/** What a pool thread runs. */
export type PoolTask = TileTask | DetectTask | TouchTask;

/** Thread → main. */
export interface TileTaskResult {
  /** Milliseconds the kernels took on the thread (queueing for a thread not included). */
  ms: number;
  histogram?: Uint32Array;
  /** An analysis tile's partial (AnalysisOp.tile): plain data, structured-cloned back. */
  partial?: unknown;
  /** A detection window's detections (detectInput), in source pixels, rounded. */
  detections?: Detection[];
}

/** Given to each thread once, at start-up. */
export interface ThreadData {
  /** The kernels' module, compiled once in the main thread. */
  module: WebAssembly.Module;
}
