/**
 * @tessera/kernels: SIMD WebAssembly image kernels over RGBA8 buffers.
 *
 * ```js
 * import { loadKernels } from "@tessera/kernels";
 * const k = await loadKernels();
 * const out = k.run(imageData, "gaussian-blur(sigma=2) | sobel");
 * ```
 */

export * from "./analysis/index.js";
export { KernelError, type KernelErrorCode, PipelineError, type PipelineLocation } from "./errors.js";
export {
  equalizeLut,
  HISTOGRAM_BINS,
  HISTOGRAM_OPS,
  type Lut,
  lumaAboveBin,
  normalizeLut,
  otsuLevel,
  resolveHistogramStep,
} from "./global.js";
export type { ClassMap } from "./hysteresis.js";
export {
  type Channels,
  crop,
  type Image,
  type ImageResult,
  MAX_PIXELS,
  type Rect,
  type RgbaImage,
  type RgbaResult,
} from "./image.js";
export { Kernels, type RunOptions } from "./kernels.js";
export { compileKernels, type KernelSource, loadKernels } from "./loader.js";
export { describeAllowed } from "./params.js";
export {
  formatPipeline,
  MAX_STEPS,
  type Pipeline,
  type PipelineInput,
  parsePipeline,
  type Resolution,
  type Step,
} from "./pipeline.js";
export {
  getOp,
  type OpCategory,
  type OpKind,
  type OpSpec,
  ops,
  type ParamSpec,
  type Params,
  type ParamValue,
} from "./registry.js";
