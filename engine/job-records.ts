/**
 * The coordinator's record of its jobs: the manifests in memory, their stored copies and their
 * endings. Manifest writes of one job go one after another, so the stored manifest is never
 * older than one written before it. An ending happens once (the state machine in job.ts
 * refuses any move out of one), is heard at once by listeners (with `ended`, exactly once per
 * job), and is then stored, through a storage outage if need be, before the job's
 * intermediate blobs are dropped.
 */

import { pause } from "./backoff.js";
import { jobPrefix, manifestName, resultFolder, sourceName, stoppedMarker } from "./blob-names.js";
import { canMove, type JobError, type JobManifest, type JobStatus, keepsSource, TERMINAL } from "./job.js";
import type { JobListeners } from "./job-listeners.js";
import type { BandEvent } from "./messages.js";
import { isOutage, OutageBudget } from "./outage.js";
import { atPhase } from "./phase-probe.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { Clock } from "./ports/clock.js";
import type { Logger } from "./ports/logger.js";

export type Ending = "succeeded" | "failed" | "canceled";

export interface JobRecordsOptions {
  blobs: BlobStore;
  clock: Clock;
  log: Logger;
  listeners: JobListeners;
  outageBudgetMs: number;
  /** Aborted when the coordinator closes: retries stop waiting. */
  closing: AbortSignal;
}

export class JobRecords {
  private readonly jobs = new Map<string, JobManifest>();
  /** Each job's manifest writes, chained. */
  private readonly writes = new Map<string, Promise<void>>();
  /** Each ended job's recording of its ending. */
  private readonly endings = new Map<string, Promise<void>>();
  constructor(private readonly options: JobRecordsOptions) {}

  /** The live manifest (not a copy): the coordinator and the job's driver change it. */
  get(id: string): JobManifest | undefined {
    return this.jobs.get(id);
  }

  /** Every job held, live. */
  all(): ReadonlyMap<string, JobManifest> {
    return this.jobs;
  }

  add(job: JobManifest): void {
    this.jobs.set(job.id, job);
  }

  /** Forgets a job that was never acknowledged (its submission failed). */
  forget(id: string): void {
    this.jobs.delete(id);
    this.writes.delete(id);
  }

  /**
   * Loads the stored manifests this record does not hold yet (after a restart) and returns the
   * unfinished ones, live, to be carried on. A job still `stored: false` is deleted: its upload
   * was never acknowledged, so nobody knows its id.
   */
  async reload(): Promise<JobManifest[]> {
    const { blobs, log } = this.options;
    const unfinished: JobManifest[] = [];
    for (const blob of await blobs.list("jobs/")) {
      if (!blob.name.endsWith("/manifest.json")) continue;
      // Imported here, where a stored manifest is first read: its schema is zod's, which a
      // one-shot `tessera process` (nothing stored to resume) should not pay to load.
      const { parseManifest } = await import("./manifest-schema.js");
      const parsed = parseManifest(await blobs.get(blob.name));
      if (!parsed.ok) {
        // Puts are atomic, so this is damage from outside; its blobs stay for someone to look at.
        log.error({ blob: blob.name, err: parsed.reason }, "unreadable job manifest; the job is skipped");
        continue;
      }
      const job = parsed.job;
      if (this.jobs.has(job.id)) continue;
      if (job.stored === false) {
        log.warn(
          { jobId: job.id },
          "job was being stored when the coordinator stopped; its upload was never acknowledged: removed",
        );
        await blobs.deletePrefix(`${jobPrefix(job.id)}/`);
        continue;
      }
      this.jobs.set(job.id, job);
      if (!TERMINAL.has(job.status)) unfinished.push(job);
    }
    return unfinished;
  }

  /** Stores the manifest (after the previous write of the same job) and, by default, tells listeners. */
  async persist(job: JobManifest, notify = true): Promise<void> {
    job.updatedAt = Math.max(job.updatedAt, this.options.clock.now());
    const bytes = new TextEncoder().encode(JSON.stringify(job));
    const previous = this.writes.get(job.id) ?? Promise.resolve();
    const write = previous.catch(() => undefined).then(() => this.options.blobs.put(manifestName(job.id), bytes));
    this.writes.set(job.id, write);
    await write;
    if (notify) this.notify(job);
  }

  notify(job: JobManifest, event?: BandEvent): void {
    this.options.listeners.notify(job, event);
  }

  async fail(job: JobManifest, error: JobError): Promise<void> {
    if (!canMove(job.status, "failed")) return;
    job.error = error;
    await this.finish(job, "failed");
  }

  /** Ends a job, once: whichever of cancel, failure and success comes first stands. */
  async finish(job: JobManifest, status: Ending): Promise<void> {
    if (!canMove(job.status, status)) return;
    job.status = status;
    delete job.warning;
    const { clock, log, listeners } = this.options;
    const fields = { jobId: job.id, status, seconds: (clock.now() - job.createdAt) / 1000 };
    if (status === "failed") log.warn({ ...fields, error: job.error }, "job failed");
    else log.info(fields, `job ${status}`);
    job.updatedAt = clock.now();
    listeners.notify(job, undefined, true);
    // Held until the ending is stored, so remove() cannot delete ahead of it.
    const recording = this.recordEnding(job, status);
    this.endings.set(job.id, recording);
    await recording;
  }

  /**
   * Deletes an ended job: its result, manifest and every other blob, and forgets it. False
   * (and nothing changes) when the job is still queued or running.
   */
  async remove(id: string): Promise<boolean> {
    const job = this.jobs.get(id);
    if (!job || !TERMINAL.has(job.status)) return false;
    // Its ending and last manifest write must not land after the delete.
    await this.endings.get(id);
    await this.writes.get(id)?.catch(() => undefined);
    await this.options.blobs.deletePrefix(`${jobPrefix(id)}/`);
    this.jobs.delete(id);
    this.writes.delete(id);
    this.endings.delete(id);
    return true;
  }

  /** Whether an ended job keeps the blob until it expires: its manifest, marker and result (and an analysis job's source). */
  keeps(job: JobManifest): (name: string) => boolean {
    const keep = new Set([manifestName(job.id), stoppedMarker(job.id)]);
    if (job.result) keep.add(job.result);
    if (job.result && keepsSource(job)) keep.add(sourceName(job.id));
    // A tile-set result is its folder: the descriptor the manifest names, and every tile.
    const folder = job.result?.startsWith(resultFolder(job.id)) ? resultFolder(job.id) : undefined;
    return (name) => keep.has(name) || (folder !== undefined && name.startsWith(folder));
  }

  /** Deletes an ended job's intermediate blobs, all at once rather than one round trip after another. */
  async dropLeftovers(job: JobManifest): Promise<void> {
    const kept = this.keeps(job);
    const { blobs } = this.options;
    const leftovers = (await blobs.list(`${jobPrefix(job.id)}/`)).filter((blob) => !kept(blob.name));
    await Promise.all(leftovers.map((blob) => blobs.delete(blob.name)));
  }

  /** Stores an ending (through a storage outage, within the budget), then drops the job's intermediate blobs. */
  private async recordEnding(job: JobManifest, status: JobStatus): Promise<void> {
    const { blobs, clock, log, outageBudgetMs, closing } = this.options;
    if (status === "succeeded") await atPhase(job.id, "finish");
    const budget = new OutageBudget(outageBudgetMs, clock);
    for (;;) {
      try {
        // The marker first: workers stop taking the job's bands as soon as it is there.
        if (status !== "succeeded") await blobs.put(stoppedMarker(job.id), new Uint8Array(0));
        await this.persist(job, false);
        break;
      } catch (err) {
        const waitMs = isOutage(err) && !closing.aborted ? budget.next(false) : undefined;
        if (waitMs === undefined) {
          log.error({ jobId: job.id, status, err: (err as Error).message }, "job ending could not be recorded");
          return;
        }
        await pause(waitMs, closing);
      }
    }
    await this.dropLeftovers(job).catch((err: unknown) =>
      log.warn({ jobId: job.id, err: (err as Error).message }, "leftovers stay until the next sweep"),
    );
  }
}
