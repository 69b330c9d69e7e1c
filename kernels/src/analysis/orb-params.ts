// The orb op's params: only `max` (OpenCV's nfeatures); every other ORB setting is OpenCV's
// default, fixed by the op (orb.ts).

import { PipelineError } from "../errors.js";

export interface OrbParams {
  /** How many keypoints OpenCV's nfeatures asks for (1..100000), split over the levels. */
  readonly max: number;
}

export const ORB_DEFAULTS: OrbParams = Object.freeze({ max: 500 });

/** Throws a PipelineError naming the param when `params` is not a valid OrbParams. */
export function checkOrbParams(params: OrbParams): void {
  if (typeof params !== "object" || params === null) {
    throw new PipelineError(`orb: params must be an object, got ${String(params)}`, { op: "orb", param: "params" });
  }
  const m = params.max;
  if (typeof m !== "number" || !Number.isInteger(m) || m < 1 || m > 100_000) {
    const shown = typeof m === "string" ? JSON.stringify(m) : String(m);
    throw new PipelineError(`orb: max must be an integer between 1 and 100000 (default 500), got ${shown}`, {
      op: "orb",
      param: "max",
    });
  }
}

/** OrbParams from pipeline-style params (`{ max: 1000 }`), defaults filled in; unknown names and bad values are PipelineErrors. */
export function orbParams(given: Readonly<Record<string, unknown>> = {}): OrbParams {
  for (const name of Object.keys(given)) {
    if (name !== "max") throw new PipelineError(`orb: unknown param "${name}"; orb takes max`, { op: "orb", param: name });
  }
  const params = { max: given.max ?? ORB_DEFAULTS.max } as OrbParams;
  checkOrbParams(params);
  return Object.freeze(params);
}
