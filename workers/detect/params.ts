// The two ops' params, checked in one place so the API, the CLI and the UI show the same
// sentence for the same mistake, in the kernels' wording ("step N op: param must be …, got …").
//
//   detect-objects(score=0.3, classes=all)   classes: "all", or COCO labels joined by "," or "+"
//   detect-faces(score=0.5)
//
// Labels with a space ("traffic light") may also be written with "-" or "_" ("traffic-light"),
// since a pipeline's text form may not allow spaces; any case is accepted. The resolved list is
// in COCO order without duplicates, so equal requests resolve to equal params.

import { PipelineError } from "@tessera/kernels";
import { COCO_LABELS } from "./objects.js";
import type { DetectOpName, DetectParams } from "./types.js";

export const DETECT_OPS: readonly DetectOpName[] = Object.freeze(["detect-objects", "detect-faces"]);

const DEFAULT_SCORE: Readonly<Record<DetectOpName, number>> = { "detect-objects": 0.3, "detect-faces": 0.5 };
const PARAMS: Readonly<Record<DetectOpName, readonly string[]>> = {
  "detect-objects": ["score", "classes"],
  "detect-faces": ["score"],
};

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return value === null ? "null" : typeof value;
}

const normalise = (label: string): string => label.trim().toLowerCase().replace(/[-_]+/g, " ").replace(/\s+/g, " ");

/** "all", or a list of labels: one string split on "," and "+", or an array of strings. */
function resolveClasses(step: number, op: DetectOpName, value: unknown): DetectParams["classes"] {
  const fail = (why: string): PipelineError =>
    new PipelineError(
      `step ${step} ${op}: classes ${why}; it must be "all" or a list of COCO labels separated by "," or "+" (default "all"), from: ${COCO_LABELS.join(", ")}`,
      { step, op, param: "classes" },
    );
  let names: string[];
  if (typeof value === "string") names = value.split(/[,+]/);
  else if (Array.isArray(value) && value.every((v) => typeof v === "string")) names = value as string[];
  else throw fail(`got ${show(value)}`);
  const wanted = names.map(normalise).filter((n) => n !== "");
  if (wanted.length === 0) throw fail(`is empty (got ${show(value)})`);
  if (wanted.includes("all")) {
    if (wanted.length === 1) return "all";
    throw fail(`mixes "all" with labels (got ${show(value)})`);
  }
  const unknown = wanted.filter((n) => !COCO_LABELS.includes(n));
  if (unknown.length > 0)
    throw fail(`names unknown ${unknown.length === 1 ? "class" : "classes"} ${unknown.map((n) => JSON.stringify(n)).join(", ")}`);
  return Object.freeze(COCO_LABELS.filter((l) => wanted.includes(l)));
}

/**
 * Checks `given` against the op's params and returns complete, frozen params with defaults
 * filled in. Unknown ops and params are errors (a typo must not be silently ignored).
 */
export function resolveDetectParams(op: string, given: Readonly<Record<string, unknown>> = {}, step = 1): DetectParams {
  if (!(DETECT_OPS as readonly string[]).includes(op)) {
    throw new PipelineError(`step ${step}: unknown detection op ${show(op)}; use one of ${DETECT_OPS.join(", ")}`, { step, op });
  }
  const name = op as DetectOpName;
  const known = PARAMS[name];
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      throw new PipelineError(`step ${step} ${name}: unknown param "${key}"; ${name} takes ${known.join(", ")}`, {
        step,
        op: name,
        param: key,
      });
    }
  }
  const score = Object.hasOwn(given, "score") ? given.score : DEFAULT_SCORE[name];
  if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 1) {
    throw new PipelineError(
      `step ${step} ${name}: score must be a number between 0 and 1, got ${show(score)} (default ${DEFAULT_SCORE[name]})`,
      { step, op: name, param: "score" },
    );
  }
  const classes =
    name === "detect-objects" && Object.hasOwn(given, "classes") ? resolveClasses(step, name, given.classes) : "all";
  return Object.freeze({ op: name, score, classes });
}
