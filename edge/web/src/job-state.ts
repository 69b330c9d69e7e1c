// A followed job: the JobView the gateway last sent, updated by the live `tile` events in between.

import type { JobEvent, JobStatus, JobView } from "../../api-types.ts";

export const TERMINAL: readonly JobStatus[] = ["succeeded", "failed", "canceled"];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.includes(status);
}

/** Fills what a partial JobView lacks (a 202 may carry only `{id, status}`), so the UI can draw it. */
export function normalizeJob(raw: Partial<JobView> & { id: string }, fallback: Partial<JobView> = {}): JobView {
  const progress = raw.progress ?? fallback.progress ?? { done: 0, total: 0 };
  return {
    status: "queued",
    pipeline: "",
    width: 0,
    height: 0,
    format: "png",
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    stage: 0,
    stages: [],
    grid: { tileSize: 0, cols: 0, rows: 0 },
    tileWorkers: {},
    etaSeconds: null,
    ...fallback,
    ...raw,
    progress,
  } as JobView;
}

/** Applies one event; returns a new JobView (the input is not changed). */
export function applyJobEvent(job: JobView, event: JobEvent): JobView {
  if (event.type === "job" || event.type === "end") {
    // `step` is left out of a JobView once the job has ended: the old one must not survive the merge.
    const { step: _step, ...known } = job;
    return normalizeJob(event.job, known);
  }
  if (event.stage < job.stage) return job; // a late tile of a finished stage
  const newStage = event.stage > job.stage;
  const tileWorkers = newStage ? {} : { ...job.tileWorkers };
  const key = String(event.tile);
  const fresh = !(key in tileWorkers);
  tileWorkers[key] = event.worker;
  const stages = job.stages.map((s, i) => {
    if (i === event.stage && fresh) return { done: Math.min(s.total, s.done + 1), total: s.total };
    if (i < event.stage && newStage) return { done: s.total, total: s.total };
    return s;
  });
  const done = stages.length > 0 ? stages.reduce((n, s) => n + s.done, 0) : job.progress.done + (fresh ? 1 : 0);
  return {
    ...job,
    status: job.status === "queued" ? "running" : job.status,
    stage: event.stage,
    stages,
    tileWorkers,
    progress: { done: Math.min(done, job.progress.total), total: job.progress.total },
  };
}

/** "~5 s", "~2 min 10 s", "~1 h 4 min"; an em dash when unknown. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `~${s} s`;
  if (s < 3600) return `~${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const m = Math.round((s % 3600) / 60);
  return `~${Math.floor(s / 3600)} h${m ? ` ${m} min` : ""}`;
}

export function percent(p: { done: number; total: number }): number {
  return p.total > 0 ? Math.round((100 * p.done) / p.total) : 0;
}

/** "3 s ago", "5 min ago", or a date for old jobs. */
export function formatAge(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}
