import { type JobManifest, overallProgress, TERMINAL } from "../engine/job.js";
import { systemClock } from "../engine/ports/clock.js";
import type { JobView } from "./api-types.js";

/** The API's view of a job: what the UI draws (progress, tile map, ETA) and nothing internal. */
export function toJobView(job: JobManifest, now = systemClock.now()): JobView {
  const progress = overallProgress(job);
  return {
    id: job.id,
    status: job.status,
    pipeline: job.pipeline,
    width: job.width,
    height: job.height,
    format: job.format,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
    progress,
    stage: Math.min(job.stage, job.stages.length - 1),
    stages: job.stages,
    grid: { tileSize: job.tileSize, cols: Math.ceil(job.width / job.tileSize), rows: Math.ceil(job.height / job.tileSize) },
    tileWorkers: Object.fromEntries(Object.entries(job.tileWorkers ?? {}).map(([k, v]) => [k, v])),
    etaSeconds: etaSeconds(job, progress, now),
    ...(!TERMINAL.has(job.status) && { step: job.step ?? "ingest" }),
    ...(job.status === "succeeded" && { resultUrl: `/v1/jobs/${job.id}/result` }),
    ...(job.error && { error: job.error }),
    ...(job.warning && { warning: job.warning }),
  };
}

/**
 * Seconds left: the tiles left at the rate so far, plus the finish (joining, pyramid, encoding)
 * as long as jobs of its kind took before (finishEstimateMs, once one has finished); while the
 * finish runs, that estimate less the time it has run. Null until something is known.
 */
function etaSeconds(job: JobManifest, progress: { done: number; total: number }, now: number): number | null {
  if (job.status !== "running") return null;
  const finishMs = job.finishEstimateMs;
  if (job.step === "finish") {
    if (finishMs === undefined || job.finishStartedAt === undefined) return null;
    return Math.max(0, Math.round((finishMs - (now - job.finishStartedAt)) / 1000));
  }
  if (progress.done === 0 || progress.done >= progress.total) return null;
  const tilesLeft = ((now - job.createdAt) / progress.done) * (progress.total - progress.done);
  return Math.round((tilesLeft + (finishMs ?? 0)) / 1000);
}
