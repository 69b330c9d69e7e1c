/**
 * Planning: a pipeline becomes stages that tiles can run independently.
 *
 * A global step needs the whole image, so it ends a stage: every tile of the stage runs the
 * stage's point and local steps, the coordinator reduces what the tiles report (a histogram,
 * or canny's class map), and the global step becomes something tiles can run again:
 *
 *   gaussian-blur | equalize | sobel | canny | invert
 *   └ stage 0: gaussian-blur, then histogram of each tile  ─ reduce: sum → equalize table
 *   └ stage 1: [equalize table] sobel, canny-classify     ─ reduce: hysteresis on the class map
 *   └ stage 2: invert
 *
 * Adjacent point ops need no planning: the kernels fuse runs of table ops into one pass.
 *
 * A detector (detect-objects, detect-faces) is not a tile op: its model sees windows of a
 * fixed grid over the whole image. Its pipeline's image steps end with a stage that writes a
 * raw layer (an empty one when there are none, so the source is decoded into a layer all the
 * same), and a detection stage follows, whose messages each run a group of grid windows on
 * that layer (workers/detection-group.ts):
 *
 *   brightness(delta=10) | detect-objects
 *   └ stage 0: brightness                        ─ (no reduction: its layer is the next input)
 *   └ stage 1: detection, windows in groups     ─ finish: merge every group's detections
 */

import {
  analysisParams,
  HISTOGRAM_OPS,
  isAnalysisStep,
  isDetectionStep,
  ops,
  type Pipeline,
  requireAnalysisOp,
  type Step,
} from "@tessera/kernels";

/** What the coordinator does between a stage and the next. */
export type Reduction = "histogram" | "hysteresis";

export interface Stage {
  readonly index: number;
  /** Point and local steps every tile of this stage runs, in order. */
  readonly steps: readonly Step[];
  /** The global step that ends the stage, if any. */
  readonly global?: Step;
  /** How the global step is reduced; absent when the stage has no global step. */
  readonly reduction?: Reduction;
  /**
   * The analysis step that ends the pipeline, on the last stage only: each tile runs the
   * stage's steps, then the op on the luma of its core grown by `analysisHalo`, and answers
   * with its partial; the finish reduces the partials into the result (job-finish.ts).
   */
  readonly analysis?: Step;
  /** The analysis op's own halo (AnalysisOp.halo), when the stage has one. */
  readonly analysisHalo?: number;
  /**
   * The detection step that ends the pipeline, on a detection stage (the last, with no tile
   * steps): its messages run groups of detection windows on the previous stage's layer
   * instead of tiles, and the finish merges their detections.
   */
  readonly detection?: Step;
  /** Pixels of context a tile must read around its core: the sum of the steps' radii (and the analysis halo). */
  readonly halo: number;
}

export interface Plan {
  readonly stages: readonly Stage[];
}

const radiusOf = (step: Step): number => ops.get(step.op)?.radius(step.params) ?? 0;

/**
 * The stages of a pipeline. An analysis op (always the last step) rides on the last stage; a
 * detector gets a detection stage after it; one that does not run yet is refused here with a
 * PipelineError ("not available yet"), so a job that cannot finish is never accepted.
 */
export function planPipeline(pipeline: Pipeline): Plan {
  const stages: Stage[] = [];
  let steps: Step[] = [];
  const close = (global?: Step, analysis?: Step): void => {
    const localHalo = steps.reduce((sum, s) => sum + radiusOf(s), 0);
    const reduction: Reduction | undefined = global ? (HISTOGRAM_OPS.has(global.op) ? "histogram" : "hysteresis") : undefined;
    // canny's classification is local and runs inside the stage, so its radius counts here;
    // so does the context an analysis op reads around each tile's core.
    const analysisHalo = analysis ? requireAnalysisOp(analysis, pipeline.length).halo(analysisParams(analysis)) : 0;
    const halo = localHalo + (reduction === "hysteresis" && global ? radiusOf(global) : 0) + analysisHalo;
    stages.push({
      index: stages.length,
      steps,
      ...(global && { global, reduction }),
      ...(analysis && { analysis, analysisHalo }),
      halo,
    });
    steps = [];
  };
  let analysis: Step | undefined;
  let detection: Step | undefined;
  for (const step of pipeline) {
    if (ops.get(step.op)?.kind === "global") close(step);
    else if (isDetectionStep(step)) detection = step;
    else if (isAnalysisStep(step)) analysis = step;
    else steps.push(step);
  }
  if (detection) {
    // Always a plain image stage first (even an empty one): the detection stage reads a raw
    // layer by rows, and neither the source nor canny's edge windows are one.
    close();
    stages.push({ index: stages.length, steps: [], detection, halo: 0 });
    return { stages };
  }
  // A pipeline that ends in a histogram op still needs a stage that applies its table.
  const last = stages[stages.length - 1];
  if (steps.length > 0 || stages.length === 0 || last?.reduction === "histogram" || analysis) close(undefined, analysis);
  return { stages };
}

/**
 * The steps a tile of `stage` runs, given what earlier reductions produced: the resolved
 * histogram step of the previous stage first (a point op now), then the stage's own steps,
 * then canny's local phase if the stage ends in canny.
 */
export function tileSteps(stage: Stage, previous?: Step): Step[] {
  const steps = previous ? [previous, ...stage.steps] : [...stage.steps];
  if (stage.reduction === "hysteresis" && stage.global) steps.push({ ...stage.global, resolution: { kind: "canny-classify" } });
  return steps;
}

/**
 * Whether stage `index` writes its output as a grey layer, one byte a pixel instead of four,
 * for an opaque image (a source without alpha: nothing to keep but the grey):
 * - a stage ending in canny: its layer is the class map (R = G = B), which only its reduction
 *   reads (EdgeMap);
 * - a stage ending in a histogram op, when the image after its steps is grey (resultIsGrey of
 *   every step up to its global one): its layer is read only by the next stage's windows.
 * (A layer before a detection stage is read by rows by the detector; the last stage's is the
 * result.)
 */
export function greyLayer(plan: Plan, index: number, opaque: boolean): boolean {
  const stage = plan.stages[index];
  if (!opaque) return false;
  if (stage?.reduction === "hysteresis") return true;
  if (stage?.reduction !== "histogram") return false;
  const steps = plan.stages.slice(0, index + 1).flatMap((s) => (s.index < index && s.global ? [...s.steps, s.global] : s.steps));
  return resultIsGrey(steps);
}

/** Ops whose output has R = G = B whatever their input. */
const GREY_OUTPUT = new Set(["grayscale", "sobel", "prewitt", "scharr", "laplacian", "canny", "threshold", "otsu-threshold"]);
/**
 * Ops that can turn grey into colour (a colour matrix); every other op treats R, G and B
 * alike, so a grey image stays grey through it.
 */
const COLOURING = new Set(["sepia", "hue-rotate", "saturation"]);

/**
 * Whether the pipeline's result is grey (R = G = B) for any input: some step makes it grey
 * and no later step can colour it. Such a result is encoded with one channel: a third of the
 * work for the encoder, and no chroma subsampling to blur it.
 */
export function resultIsGrey(pipeline: Pipeline): boolean {
  let grey = false;
  for (const step of pipeline) {
    if (GREY_OUTPUT.has(step.op)) grey = true;
    else if (COLOURING.has(step.op)) grey = false;
  }
  return grey;
}
