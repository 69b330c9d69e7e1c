/**
 * Which AnalysisOp runs each analysis op of the op registry (analysis/definitions.ts), and how
 * a parsed step's params (kebab-case names, enum text) become the op's own params. An op that
 * is registered but not wired here is refused with "not available yet", never run.
 *
 * Detection ops (detect-objects, detect-faces) are not tile ops: a network sees windows of a
 * fixed grid and their boxes are merged, so the engine runs them through a detection stage of
 * their own (windows on the worker pool, models in workers/detect) and merges with
 * mergeDetections (detections.ts); `analysisOp` answers undefined for them, and
 * requireAnalysisOp refuses them (whatever asks for a tile op cannot run a detector).
 */

import { PipelineError } from "../errors.js";
import type { Step } from "../pipeline.js";
import { ops, type Params } from "../registry.js";
import { componentsOp } from "./components.js";
import { cornersOp } from "./corners.js";
import { DETECTION_OPS } from "./detections.js";
import { fastOp } from "./fast.js";
import { houghLinesOp } from "./hough.js";
import { orbOp } from "./orb.js";
import type { AnalysisOp } from "./types.js";

// Params differ per op; the engine only passes them through from analysisParams to the op.
// biome-ignore lint/suspicious/noExplicitAny: a table of ops with different param and partial types
export type AnyAnalysisOp = AnalysisOp<any, any>;

/** The tile ops that run, by op name. */
const WIRED: ReadonlyMap<string, AnyAnalysisOp> = new Map<string, AnyAnalysisOp>([
  ["fast", fastOp],
  ["corners", cornersOp],
  ["hough-lines", houghLinesOp],
  ["components", componentsOp],
  ["orb", orbOp],
]);

/** Whether the step is an analysis op (returns data; always the last step). */
export const isAnalysisStep = (step: { readonly op: string } | undefined): boolean =>
  step !== undefined && ops.get(step.op)?.kind === "analysis";

/** The pipeline's analysis step (its last step), if it has one. */
export const analysisStepOf = (steps: readonly Step[]): Step | undefined => {
  const last = steps[steps.length - 1];
  return isAnalysisStep(last) ? last : undefined;
};

/** The AnalysisOp that runs `name`, or undefined when it is not wired (yet) or not a tile op. */
export function analysisOp(name: string): AnyAnalysisOp | undefined {
  return WIRED.get(name);
}

/** The names of the analysis ops that run today. */
export const wiredAnalysisOps = (): string[] => [...WIRED.keys()];

/**
 * The AnalysisOp of `step`, or a PipelineError: a detector has none (it runs on the engine's
 * detection stage, not on tiles), any other op without one is not available yet.
 */
export function requireAnalysisOp(step: Step, stepNumber?: number): AnyAnalysisOp {
  const op = WIRED.get(step.op);
  if (op) return op;
  const where = stepNumber !== undefined ? `step ${stepNumber} ${step.op}` : step.op;
  const why = DETECTION_OPS.has(step.op)
    ? "detection runs on windows of the whole image through the engine (a job), not on tiles or in the preview"
    : "this analysis op is not available yet in this build";
  const wired = WIRED.size > 0 ? `; available now: ${[...WIRED.keys()].join(", ")}` : "";
  throw new PipelineError(`${where}: ${why}${wired}`, { ...(stepNumber !== undefined && { step: stepNumber }), op: step.op });
}

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Per-op conversions where the op's params are not the registry's with camelCase names and
 * yes/no enums as booleans (the default below).
 */
const CONVERT: Readonly<Record<string, (p: Record<string, unknown>) => Record<string, unknown>>> = {};

/** The op's params for a parsed step: `min-distance` → `minDistance`, `"true"`/`"false"` → booleans. */
export function analysisParams(step: { readonly op: string; readonly params: Params }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(step.params)) {
    out[camel(name)] = value === "true" ? true : value === "false" ? false : value;
  }
  return CONVERT[step.op]?.(out) ?? out;
}
