// An analysis op on the preview, in the worker: the image steps run on the preview copy as any
// pipeline does, then the op runs on the luma of their result, the whole image as one tile
// (analyseWhole), so the data is what a job's tiles would give on an image of the preview's size.

import {
  analyseWhole,
  analysisParams,
  formatPipeline,
  isAnalysisStep,
  type Kernels,
  parsePipeline,
  requireAnalysisOp,
  type Step,
} from "@tessera/kernels";
import type { Pixels, PreviewAnalysis } from "./preview-protocol.ts";

/** Luma as the kernels take it for analysis ops: the `grayscale` op's Rec.709 (kernels/src/analysis/window.ts). */
const LUMA = "grayscale(mode=rec709)";

/**
 * A pipeline's image steps (as text) and the analysis step it ends in, if any. A pipeline that
 * does not parse is returned whole: running it reports its error the usual way.
 */
export function splitAnalysis(pipeline: string): { image: string; analysis: Step | null } {
  if (pipeline.trim() === "") return { image: pipeline, analysis: null };
  let steps: readonly Step[];
  try {
    steps = parsePipeline(pipeline);
  } catch {
    return { image: pipeline, analysis: null };
  }
  const last = steps[steps.length - 1];
  if (!last || !isAnalysisStep(last)) return { image: pipeline, analysis: null };
  return { image: formatPipeline(steps.slice(0, -1)), analysis: last };
}

/** Whether the pipeline text ends in an analysis op (its job's result is JSON). */
export const endsInAnalysis = (pipeline: string): boolean => splitAnalysis(pipeline).analysis !== null;

/**
 * `step` on the luma of `image` (the image steps' result). An op that cannot run here (the
 * detectors, which run only as a job, on windows of the whole image) answers its error
 * instead of data: the preview still shows the image, and says why there is no overlay.
 */
export function analysePreview(k: Kernels, image: Pixels, step: Step): PreviewAnalysis {
  try {
    const op = requireAnalysisOp(step);
    const grey = k.run(image, LUMA, { channels: 1 });
    const data = new Uint8Array(grey.data.buffer, grey.data.byteOffset, grey.data.length);
    const found = analyseWhole(k.analysisHeap, op, { width: image.width, height: image.height, data }, analysisParams(step));
    return { op: step.op, data: found };
  } catch (err) {
    return { op: step.op, error: (err as Error)?.message ?? String(err) };
  }
}
