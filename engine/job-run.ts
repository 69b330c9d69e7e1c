/**
 * One job's run to its end, around job-driver.ts: an outage of the queue or the blob store
 * does not end it. The driver starts again from what is stored (done bands are not run again)
 * after a back-off, with a DEPENDENCY_UNAVAILABLE warning on the job meanwhile, until one
 * outage has lasted longer than the budget; then the job fails with the reason. Any other
 * error fails it at once (INTERNAL).
 */

import { pause } from "./backoff.js";
import { EventSession } from "./event-session.js";
import { type JobManifest, overallProgress, TERMINAL } from "./job.js";
import { type DriverContext, driveJob } from "./job-driver.js";
import type { JobRecords } from "./job-records.js";
import { isOutage, OutageBudget } from "./outage.js";

export interface RunOptions {
  records: JobRecords;
  outageBudgetMs: number;
  /** Aborted when the coordinator closes: a wait between tries ends at once. */
  closing: AbortSignal;
}

export async function runJob(ctx: DriverContext, job: JobManifest, options: RunOptions): Promise<void> {
  try {
    await driveThroughOutages(ctx, job, options);
  } catch (err) {
    await options.records
      .fail(job, { code: "INTERNAL", message: (err as Error).message ?? String(err) })
      .catch((failure: unknown) => ctx.log.error({ jobId: job.id, err: (failure as Error).message }, "job could not be ended"));
  }
}

async function driveThroughOutages(ctx: DriverContext, job: JobManifest, options: RunOptions): Promise<void> {
  const { records, outageBudgetMs, closing } = options;
  const budget = new OutageBudget(outageBudgetMs, ctx.clock);
  for (;;) {
    const events = new EventSession(ctx.queue, job.id);
    const doneBefore = overallProgress(job).done;
    try {
      await driveJob(ctx, job, events);
      return;
    } catch (err) {
      // Closing: stop following; the job stays as stored, for the next coordinator to resume.
      if (ctx.closed()) return;
      if (!isOutage(err) || TERMINAL.has(job.status)) throw err;
      const waitMs = budget.next(overallProgress(job).done > doneBefore);
      if (waitMs === undefined) {
        const message = `${(err as Error).message} (unreachable for over ${Math.round(outageBudgetMs / 1000)} s)`;
        await records.fail(job, { code: "DEPENDENCY_UNAVAILABLE", message });
        return;
      }
      job.warning = { code: "DEPENDENCY_UNAVAILABLE", message: `${(err as Error).message}; retrying` };
      records.notify(job);
      ctx.log.warn({ jobId: job.id, err: (err as Error).message, retryInMs: waitMs }, "job waits out an outage");
      await pause(waitMs, closing);
    } finally {
      await events.close();
    }
  }
}
