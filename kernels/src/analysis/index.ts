// Analysis ops: the last step of a pipeline, returning data instead of an image (types.ts).

export {
  COMPONENTS_DEFAULTS,
  type ComponentsParams,
  type ComponentsPartial,
  checkComponentsParams,
  componentsOp,
} from "./components.js";
export {
  CORNERS_DEFAULTS,
  type CornerMethod,
  type CornersParams,
  type CornersPartial,
  checkCornersParams,
  cornersOp,
  cornersParams,
} from "./corners.js";
export {
  compareDetections,
  DETECTION_IOU,
  DETECTION_OPS,
  type DetectOpName,
  type DetectParams,
  detectParams,
  iou,
  isDetectionStep,
  mergeDetections,
  reduceDetections,
  roundCoord,
  roundScore,
  suppress,
  toDetection,
} from "./detections.js";
export { checkFastParams, FAST_DEFAULTS, type FastParams, type FastPartial, fastOp, fastParams } from "./fast.js";
export { checkHoughParams, HOUGH_DEFAULTS, type HoughParams, type HoughPartial, houghLinesOp } from "./hough.js";
export { checkOrbParams, ORB_DEFAULTS, type OrbParams, type OrbPartial, orbOp, orbParams, orbPattern } from "./orb.js";
export {
  type AnyAnalysisOp,
  analysisOp,
  analysisParams,
  analysisStepOf,
  isAnalysisStep,
  requireAnalysisOp,
  wiredAnalysisOps,
} from "./registry.js";
export { analyseTiled, analyseWhole, cutTile, type GreyImage } from "./tiles.js";
export type { AnalysisData, AnalysisOp, AnalysisTile, Box, Component, Detection, HoughLine, Keypoint } from "./types.js";
export { lumaTile } from "./window.js";
