/**
 * The end of a job whose pipeline ends in an analysis op: every band's partials (one per tile,
 * written by the workers as JSON, so workers on other machines work the same), reduced once by
 * the op into the result, stored as `result.json`:
 *
 *   { "width", "height", "pipeline", "op", ...the op's data }
 *
 * in that key order, `pipeline` the whole pipeline's text and `op` the analysis step's. The
 * reduce depends only on the partials, so the bytes are the same whatever the tile size. A
 * detection stage's messages write their windows' detections the same way, and the reduce is
 * then the class-wise NMS over all of them (mergeDetections, in the kernels so that no model
 * is loaded here).
 */

import {
  type AnalysisData,
  analysisParams,
  formatPipeline,
  reduceDetections,
  requireAnalysisOp,
  type Step,
} from "@tessera/kernels";
import { partialsName, resultName, stageLayer } from "./blob-names.js";
import { addTime, type JobManifest } from "./job.js";
import type { DriverContext } from "./job-driver.js";
import { isOutage } from "./outage.js";
import { atPhase } from "./phase-probe.js";
import type { Stage } from "./plan.js";
import { bandCount, type Grid } from "./tiling.js";

/** The analysis result as stored and served: the image's size, what ran, and the op's data. */
export interface AnalysisResult extends AnalysisData {
  width: number;
  height: number;
  pipeline: string;
  op: string;
}

/** The result object with its keys in the documented order (JSON keeps insertion order). */
export function analysisResult(
  image: { width: number; height: number },
  steps: readonly Step[],
  data: AnalysisData,
): AnalysisResult {
  const step = steps[steps.length - 1] as Step;
  return { width: image.width, height: image.height, pipeline: formatPipeline(steps), op: formatPipeline([step]), ...data };
}

/** The result's bytes: compact JSON and a final newline. */
export const analysisJson = (result: AnalysisResult): Uint8Array => new TextEncoder().encode(`${JSON.stringify(result)}\n`);

/** Parses a stored analysis result (the overlay draws it). */
export const parseAnalysisJson = (bytes: Uint8Array): AnalysisResult =>
  JSON.parse(new TextDecoder().decode(bytes)) as AnalysisResult;

/** Reads every band's partials, reduces them and stores the result; fails the job if the op's reduce throws. */
export async function finishAnalysis(ctx: DriverContext, job: JobManifest, grid: Grid, last: Stage): Promise<void> {
  const step = (last.analysis ?? last.detection) as Step;
  const output = stageLayer(job.id, last.index);
  await atPhase(job.id, "stitch");
  const readStart = ctx.clock.now();
  const bands = await Promise.all(
    Array.from({ length: bandCount(grid) }, async (_, band) => {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(await ctx.blobs.get(partialsName(output, band))));
      if (!Array.isArray(parsed)) throw new Error(`band ${band}'s partials are not a list`);
      return parsed;
    }),
  );
  const reduceStart = ctx.clock.now();
  addTime(job, "stitch", reduceStart - readStart);
  let bytes: Uint8Array;
  try {
    const data = last.detection
      ? reduceDetections(bands.flat(), step)
      : requireAnalysisOp(step).reduce(bands.flat(), { width: grid.width, height: grid.height }, analysisParams(step));
    bytes = analysisJson(analysisResult(grid, job.steps, data));
  } catch (err) {
    if (isOutage(err)) throw err;
    await ctx.fail(job, { code: "REDUCE_FAILED", message: `${step.op} could not reduce its tiles: ${(err as Error).message}` });
    return;
  }
  addTime(job, "reduce", ctx.clock.now() - reduceStart);
  await atPhase(job.id, "encode");
  const result = resultName(job.id, "json");
  await ctx.blobs.put(result, bytes);
  await ctx.succeed(job, result);
}
