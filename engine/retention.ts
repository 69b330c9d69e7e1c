/**
 * What the coordinator sweeps out of the blob store: ended jobs past their time to live
 * (TESSERA_RESULT_TTL), the blobs of jobs nobody knows, and blobs written into an ended job
 * after its ending. One coordinator owns the `jobs/` prefix (one gateway per cluster): a job
 * it does not hold in memory after resume() has no owner, so its blobs are orphans.
 */

import { type JobManifest, TERMINAL } from "./job.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { Logger } from "./ports/logger.js";

export interface SweepReport {
  /** Ended jobs deleted because their time to live was over. */
  expired: number;
  /** Blobs deleted because no known job owns them, or their job had ended. */
  orphans: number;
}

export interface SweepDeps {
  blobs: BlobStore;
  jobs: ReadonlyMap<string, JobManifest>;
  now: number;
  ttlMs: number;
  /** Deletes an ended job entirely (the coordinator's remove). */
  remove(id: string): Promise<boolean>;
  /** Whether an ended job keeps a blob until it expires. */
  keeps(job: JobManifest): (name: string) => boolean;
  log: Logger;
}

export async function sweepJobs(deps: SweepDeps): Promise<SweepReport> {
  const report: SweepReport = { expired: 0, orphans: 0 };
  for (const job of [...deps.jobs.values()]) {
    if (TERMINAL.has(job.status) && job.updatedAt + deps.ttlMs <= deps.now && (await deps.remove(job.id))) report.expired++;
  }
  const strays: string[] = [];
  for (const blob of await deps.blobs.list("jobs/")) {
    const id = blob.name.split("/")[1] ?? "";
    const job = deps.jobs.get(id);
    if (!job) strays.push(blob.name);
    else if (TERMINAL.has(job.status) && !deps.keeps(job)(blob.name)) strays.push(blob.name);
  }
  // Listed before deleting: a job submitted meanwhile is in `jobs` before its first blob exists.
  await Promise.all(strays.map((name) => deps.blobs.delete(name)));
  report.orphans = strays.length;
  if (report.expired > 0 || report.orphans > 0) deps.log.info({ ...report }, "swept the blob store");
  return report;
}
