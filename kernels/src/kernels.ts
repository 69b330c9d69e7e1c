import { analysisParams, requireAnalysisOp } from "./analysis/registry.js";
import { lumaTile } from "./analysis/window.js";
import { checkGreyResult } from "./channels.js";
import { writeCore } from "./core-out.js";
import { KernelError, PipelineError } from "./errors.js";
import { lumaHistogram } from "./exec.js";
import { ClassMap } from "./hysteresis.js";
import {
  bytesOf,
  type Channels,
  checkImage,
  checkRect,
  type Image,
  type ImageResult,
  type Rect,
  type RgbaImage,
  type RgbaResult,
} from "./image.js";
import { type Pipeline, type PipelineInput, parsePipeline, type Step } from "./pipeline.js";
import { ops } from "./registry.js";
import { runImage } from "./run-image.js";
import { runSteps } from "./run-steps.js";
import { align16, Heap, instantiate, type WasmExports } from "./wasm.js";

/** Options of `run()`. */
export interface RunOptions {
  /**
   * Bytes per pixel of the result: 4 RGBA, 3 RGB (alpha dropped), 1 grey. Default: the
   * input's channels (RGBA for ImageData and other images without `channels`). One channel
   * needs a grey result: a pipeline whose last grey-writing step (grayscale, threshold,
   * otsu-threshold, sobel, prewitt, scharr, laplacian, canny) is followed only by steps that
   * keep grey grey, or a one-channel input through such steps.
   */
  readonly channels?: Channels;
}

/**
 * A loaded kernel instance: one WebAssembly instance and its memory. Not thread-safe; use one
 * per thread (web worker, worker_thread). Calls are synchronous.
 */
export class Kernels {
  private readonly heap: Heap;

  /** `module`: what `wasm` was instantiated from, for the instances some calls need of their own (classMap). */
  constructor(
    wasm: WasmExports,
    private readonly module?: WebAssembly.Module,
  ) {
    this.heap = new Heap(wasm);
  }

  /** The instance's memory, for the analysis ops (kernels/src/analysis), which manage their own buffers. */
  get analysisHeap(): Heap {
    return this.heap;
  }

  /** Bytes of wasm memory in use; grows with the largest image, never with the call count. */
  get memoryBytes(): number {
    return this.heap.wasm.memory.buffer.byteLength;
  }

  /**
   * Runs a pipeline on a whole image and returns a new image; the input is never modified.
   * `pipeline` is text (`"gaussian-blur(sigma=2) | sobel"`), a JSON step array, or the result
   * of parsePipeline. `image` may be grey or RGB (`channels: 1 | 3`) and the result too
   * (`options.channels`); without either, RGBA in and out.
   */
  run(image: Image, pipeline: PipelineInput | Pipeline, options: RunOptions = {}): ImageResult {
    checkImage(image);
    const steps = parsePipeline(pipeline as PipelineInput);
    refuseAnalysis(steps, "run()");
    const input = image.channels ?? 4;
    const output = options.channels ?? input;
    if (output !== 1 && output !== 3 && output !== 4) {
      throw new KernelError("INVALID_IMAGE", `options.channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got ${String(output)}`);
    }
    if (output === 1) checkGreyResult(steps, input);
    return runImage(
      this.heap,
      (bytes) => this.place(bytes),
      bytesOf(image.data),
      image.width,
      image.height,
      steps,
      input,
      output,
    );
  }

  /**
   * Runs point and local steps on a tile cut with its halo and returns only `core`, the part
   * of the tile whose result is exact. The engine's contract:
   *
   * - `tile` is a window of the full image, clamped to the image bounds;
   * - `core` (in tile coordinates) keeps at least sum(radius) pixels from every tile edge that
   *   is not also an image edge.
   *
   * Then the result equals the same rectangle of `run()` on the whole image, byte for byte:
   * where the tile edge is the image edge, clamping at the tile is clamping at the image, and
   * elsewhere errors from the cut travel at most one radius per step, never reaching the core.
   * Global steps need the whole image and are refused; the engine splits plans at them.
   */
  runRegion(tile: RgbaImage, core: Rect, pipeline: PipelineInput | Pipeline): RgbaResult {
    const bytes = checkImage(tile, "tile");
    checkRect(core, tile.width, tile.height, "core");
    const steps = localSteps(pipeline, "runRegion");
    const out = this.execute(tile, bytes, steps);
    const data = new Uint8ClampedArray(core.width * core.height * 4);
    const u8 = this.heap.u8;
    const rowBytes = core.width * 4;
    for (let y = 0; y < core.height; y++) {
      const from = out + ((core.y + y) * tile.width + core.x) * 4;
      data.set(u8.subarray(from, from + rowBytes), y * rowBytes);
    }
    return { width: core.width, height: core.height, data };
  }

  /**
   * runRegion for callers that keep pixels in large (for example shared) buffers: the tile is
   * the rectangle `window` of `source`, and the core's result is written into `target` at
   * `at` instead of being returned. The only copies are into and out of wasm memory, so a
   * pool thread can work on a band that several threads share, allocating nothing.
   * With `histogram`, also returns the luma histogram of the core (as `histogram()` would).
   *
   * `source` may be grey or RGB (`source.channels` 1 or 3): it is widened to RGBA in wasm
   * memory. `target` may have 1 or 3 channels (`target.channels`): the core is then written as grey
   * (its R channel: the caller knows the result is grey) or RGB (alpha dropped: the caller knows
   * it is opaque), packed in wasm memory, so that the band it lands in is that much smaller.
   */
  runWindow(
    source: Image,
    window: Rect,
    core: Rect,
    pipeline: PipelineInput | Pipeline,
    target: Image,
    at: { x: number; y: number },
    options: { histogram?: boolean } = {},
  ): Uint32Array | undefined {
    checkImage(source, "source");
    checkRect(window, source.width, source.height, "window");
    checkRect(core, window.width, window.height, "core");
    checkImage(target, "target");
    checkRect({ ...at, width: core.width, height: core.height }, target.width, target.height, "target area");
    const steps = localSteps(pipeline, "runWindow");
    const { a, b, out } = this.runOnWindow(source, window, steps);
    return writeCore(this.heap, { out, free: out === a ? b : a, window }, core, target, at, options.histogram === true);
  }

  /**
   * runWindow's analysis seam: runs `pipeline` (image steps) on `window` of `source`, takes the
   * luma of `core` grown by the op's halo (clipped to the window, which the engine clamps at the
   * image) and returns the analysis step's partial for that tile (AnalysisOp.tile, on this
   * instance's memory). `origin` is the window's top-left corner and `image` the size of the
   * whole image, both in image coordinates.
   */
  analyseWindow(
    source: Image,
    window: Rect,
    core: Rect,
    pipeline: PipelineInput | Pipeline,
    analysis: { step: Step; origin: { x: number; y: number }; image: { width: number; height: number } },
  ): unknown {
    checkImage(source, "source");
    checkRect(window, source.width, source.height, "window");
    checkRect(core, window.width, window.height, "core");
    const steps = localSteps(pipeline, "analyseWindow");
    const op = requireAnalysisOp(analysis.step);
    const params = analysisParams(analysis.step);
    const { a, b, out } = this.runOnWindow(source, window, steps);
    const { width: w, height: h } = window;
    const tile = lumaTile(this.heap, out, out === a ? b : a, w, h, core, op.halo(params), analysis.origin, analysis.image);
    return op.tile(this.heap, tile, params);
  }

  /**
   * The 256-bin Rec.709 luma histogram (bins = luma rounded half up) of an image or of a
   * rectangle of it: the partial that global ops reduce across tiles.
   */
  histogram(image: RgbaImage, rect?: Rect): Uint32Array {
    checkImage(image);
    const region = rect ?? { x: 0, y: 0, width: image.width, height: image.height };
    checkRect(region, image.width, image.height);
    const bytes = region.width * region.height * 4;
    const src = this.place(bytes).a;
    const u8 = this.heap.u8;
    for (let y = 0; y < region.height; y++) {
      const from = ((region.y + y) * image.width + region.x) * 4;
      u8.set(bytesOf(image.data).subarray(from, from + region.width * 4), src + y * region.width * 4);
    }
    return lumaHistogram(this.heap, src, region.width * region.height);
  }

  /**
   * Canny's global phase: from a class map (grey RGBA: 0 none, 128 weak, 255 strong, as the
   * `canny-classify` resolution writes it) to the edge image. Weak pixels 8-connected to a
   * strong one through weak pixels become 255, everything else 0; alpha is kept.
   */
  hysteresis(classes: RgbaImage): RgbaResult {
    // canny's own global phase in wasm: the classes packed into a one-byte map, reduced and
    // unpacked in wasm memory (one copy in, one out), as ClassMap does a band at a time.
    const bytes = checkImage(classes, "classes");
    const { a, b } = this.place(bytes);
    this.heap.u8.set(bytesOf(classes.data), a);
    this.heap.wasm.cannyHysteresis(a, b, classes.width, classes.height);
    return { width: classes.width, height: classes.height, data: new Uint8ClampedArray(this.heap.u8.slice(b, b + bytes).buffer) };
  }

  /**
   * hysteresis() a band at a time (ClassMap): the class map gathered from the bands, reduced,
   * and given back into each band. For a caller that reads and writes the bands one by one,
   * such as the engine's finish, which then holds one byte per pixel and the bands in flight
   * instead of every RGBA band at once.
   */
  classMap(width: number, height: number): ClassMap {
    if (!this.module)
      throw new KernelError("KERNEL_FAILED", "classMap needs an instance of its own: load the kernels with loadKernels()");
    return new ClassMap(new Heap(instantiate(this.module)), width, height);
  }

  /**
   * Copies `window` of `source` into A and runs the steps there; `out` is where the result is.
   * A grey or RGB source (`channels` 1 or 3) is copied into B as it is and widened into A
   * (R = G = B for grey, alpha 255).
   */
  private runOnWindow(source: Image, window: Rect, steps: Pipeline): { a: number; b: number; out: number } {
    const { a, b, scratch } = this.place(window.width * window.height * 4);
    const channels = source.channels ?? 4;
    const from = bytesOf(source.data);
    const into = channels === 4 ? a : b;
    const rowIn = window.width * channels;
    for (let y = 0; y < window.height; y++) {
      const start = ((window.y + y) * source.width + window.x) * channels;
      this.heap.u8.set(from.subarray(start, start + rowIn), into + y * rowIn);
    }
    const n = window.width * window.height;
    if (channels === 3) this.heap.wasm.expandRgb(b, a, n);
    else if (channels === 1) this.heap.wasm.expandGrey(b, a, n);
    return { a, b, out: runSteps(this.heap, steps, a, b, scratch, window.width, window.height) };
  }

  /** Lays out [A | B | scratch] for an image of `bytes`, with scratch reset. */
  private place(bytes: number): { a: number; b: number; scratch: number } {
    const a = align16(this.heap.wasm.heapBase());
    const b = a + align16(bytes);
    const scratch = b + align16(bytes);
    this.heap.ensure(scratch + 65536);
    this.heap.wasm.scratchReset(scratch);
    return { a, b, scratch };
  }

  /** Copies the image in, runs every step ping-ponging between A and B; returns the result's offset. */
  private execute(image: RgbaImage, bytes: number, steps: Pipeline): number {
    const { a, b, scratch } = this.place(bytes);
    this.heap.u8.set(bytesOf(image.data), a);
    return runSteps(this.heap, steps, a, b, scratch, image.width, image.height);
  }
}

/** Parses a pipeline for runRegion/runWindow: global steps must arrive resolved. */
function localSteps(pipeline: PipelineInput | Pipeline, caller: string): Pipeline {
  // No steps is a valid region run (a stage that only reports its histogram): the core as it is.
  if (Array.isArray(pipeline) && pipeline.length === 0) return [];
  const steps = parsePipeline(pipeline as PipelineInput);
  refuseAnalysis(steps, caller);
  const global = steps.findIndex((s) => ops.get(s.op)?.kind === "global" && !s.resolution);
  if (global >= 0) {
    const op = steps[global]?.op ?? "";
    throw new PipelineError(
      `step ${global + 1} ${op}: ${caller} runs point and local ops only; ${op} is global (it needs the whole image). Split the plan at it, or use run()`,
      { step: global + 1, op },
    );
  }
  return steps;
}

/** Image calls return images: an analysis step (always the last) has its own API. */
function refuseAnalysis(steps: Pipeline, caller: string): void {
  const last = steps[steps.length - 1];
  if (!last || ops.get(last.op)?.kind !== "analysis") return;
  throw new PipelineError(
    `step ${steps.length} ${last.op}: ${caller} returns an image, but ${last.op} is an analysis op that returns data; use the analysis API (analysisOp("${last.op}") with analyseWhole or analyseTiled, or Kernels.analyseWindow)`,
    { step: steps.length, op: last.op },
  );
}
