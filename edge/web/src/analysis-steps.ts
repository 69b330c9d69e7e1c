// The builder's rule for analysis ops (fast, corners, hough-lines, …): they return data, not an
// image, so one may only be the last step. The kernels' parser refuses anything else with an
// error; these helpers keep the builder from producing such a pipeline in the first place, so
// adding or moving a step never leaves the user with a broken pipeline to repair by hand.

import { ops as localOps } from "@tessera/kernels";
import type { OpView } from "../../api-types.ts";
import { addStep, type BuilderStep, moveStep } from "./builder.ts";

/** Whether `op` is an analysis op, by the gateway's op list, else by the bundled registry. */
export type KindOf = (op: string) => string | undefined;

export const localKind: KindOf = (op) => localOps.get(op)?.kind;

const isAnalysis = (kindOf: KindOf, step: BuilderStep | undefined): boolean =>
  step !== undefined && kindOf(step.op) === "analysis";

export interface Placed {
  steps: BuilderStep[];
  /** Where the new step went, to focus its card. */
  index: number;
  /** What the builder did other than appending, to say so; null when it simply appended. */
  note: string | null;
}

/**
 * Adds `op` keeping an analysis op last: a new analysis op replaces the one the pipeline ends
 * in (a pipeline returns one kind of data), and an image op goes before it.
 */
export function placeStep(steps: readonly BuilderStep[], op: OpView, kindOf: KindOf): Placed {
  const last = steps[steps.length - 1];
  if (!isAnalysis(kindOf, last) || !last) return { steps: addStep(steps, op), index: steps.length, note: null };
  const end = steps.length - 1;
  if (op.kind === "analysis") {
    const replaced = addStep(steps.slice(0, end), op);
    return {
      steps: replaced,
      index: end,
      note: `${op.name} replaced ${last.op}: a pipeline ends in at most one analysis op.`,
    };
  }
  return {
    steps: addStep(steps, op, end),
    index: end,
    note: `${op.name} went before ${last.op}: an analysis op returns data, so it stays the last step.`,
  };
}

/**
 * Moves step `from` to `to` unless that would put a step after an analysis op; then the steps
 * are unchanged and `refused` says why.
 */
export function moveKeepingAnalysisLast(
  steps: readonly BuilderStep[],
  from: number,
  to: number,
  kindOf: KindOf,
): { steps: BuilderStep[]; refused: string | null } {
  const moved = moveStep(steps, from, to - from);
  const analysis = analysisBeforeEnd(moved, kindOf);
  // A pipeline already out of order (it cannot be made in the builder) may be moved back into order.
  if (!analysis || analysisBeforeEnd(steps, kindOf)) return { steps: moved, refused: null };
  return {
    steps: [...steps],
    refused: `${analysis.op} is an analysis op: it returns data, not an image, so no step can come after it. Remove it, or add the step before it.`,
  };
}

/** The first analysis step that is not the last step, if any. */
const analysisBeforeEnd = (steps: readonly BuilderStep[], kindOf: KindOf): BuilderStep | undefined =>
  steps.find((s, i) => i < steps.length - 1 && isAnalysis(kindOf, s));
