import { type JobManifest, overallProgress, TERMINAL } from "../engine/job.js";
import { systemClock } from "../engine/ports/clock.js";
import type { JobView } from "./api-types.js";

/** The API's view of a job: what the UI draws (progress, tile map, ETA) and nothing internal. */
export function toJobView(job: JobManifest, now = systemClock.now()): JobView {
  const progress = overallProgress(job);
  const elapsed = (now - job.createdAt) / 1000;
  const running = job.status === "running" && progress.done > 0 && progress.done < progress.total;
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
    etaSeconds: running ? Math.round((elapsed / progress.done) * (progress.total - progress.done)) : null,
    ...(!TERMINAL.has(job.status) && { step: job.step ?? "ingest" }),
    ...(job.status === "succeeded" && { resultUrl: `/v1/jobs/${job.id}/result` }),
    ...(job.error && { error: job.error }),
    ...(job.warning && { warning: job.warning }),
  };
}
