// @tessera/kernels, the WebAssembly side. Every export takes byte offsets into linear memory
// (see memory.ts for the layout); none allocates managed objects, so the stub runtime's
// allocator is never used and JS owns all memory above __heap_base.

export { ensureMemory, heapBase, scratchReset, take } from "./memory";
export {
  brightness, colorMatrix, grayscale, invert, lutContrast, lutGamma, lutPosterize, threshold,
} from "./point";
export { applyLut, applyLutGrey } from "./lut";
export { boxBlur, gaussianBlur } from "./blur";
// The convolve files are named convolve-*: binaryen breaks ties in function order by name, so
// these names keep the compiled module byte-identical to the one-file layout they came from.
export { convolve } from "./convolve-f32";
export { convolveInt, convolveSeparable } from "./convolve-int";
export { sharpen } from "./convolve-sharpen";
export {
  expandGrey, expandRgb, grayscaleTo1, greyHistogram, packGrey, packRgb, thresholdGrey, thresholdTo1,
} from "./grey";
export { median } from "./median";
export { gradient, laplacian } from "./gradient";
export { canny, cannyClassify, cannyHysteresis } from "./canny";
export { cannyClearWeakGrey, cannyHysteresisGrey, cannySpreadGrey, greyIntoRgb } from "./canny-hysteresis-grey";
export { lumaHistogram } from "./histogram";
export { labelComponents } from "./components";
export { houghRuns, houghVotes } from "./hough";
export { fastScores, fastSelect } from "./fast";
export { cornerMax, cornerResponse, cornerSelect } from "./corners";
export { orbAngles, orbDescribe, orbHarris, orbResize } from "./orb";
