// @tessera/kernels, the WebAssembly side. Every export takes byte offsets into linear memory
// (see memory.ts for the layout); none allocates managed objects, so the stub runtime's
// allocator is never used and JS owns all memory above __heap_base.

export { ensureMemory, heapBase, scratchReset, take } from "./memory";
export {
  applyLut, brightness, colorMatrix, grayscale, invert, lutContrast, lutGamma, lutPosterize, threshold,
} from "./point";
export { boxBlur, gaussianBlur } from "./blur";
export { convolve, sharpen } from "./convolve";
export { median } from "./median";
export { gradient, laplacian } from "./gradient";
export { canny, cannyClassify, cannyHysteresis } from "./canny";
export { lumaHistogram } from "./histogram";
