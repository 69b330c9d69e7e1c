// Analysis ops: the last step of a pipeline, returning data instead of an image (types.ts).
export { analyseTiled, analyseWhole, cutTile, type GreyImage } from "./tiles.js";
export type { AnalysisData, AnalysisOp, AnalysisTile, Box, Component, Detection, HoughLine, Keypoint } from "./types.js";
