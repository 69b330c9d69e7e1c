// Rounding, ordering and class-wise non-maximum suppression live in the kernels
// (kernels/src/analysis/detections.ts), where the engine's finish can merge every window's
// detections without loading a model; re-exported here so this module stays one import.

export {
  compareDetections,
  iou,
  mergeDetections,
  roundCoord,
  roundScore,
  suppress,
  toDetection,
} from "@tessera/kernels";
