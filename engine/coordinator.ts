/**
 * The coordinator owns jobs and is their public API: it takes a submission (stored before it
 * is acknowledged), starts a run per job (job-run.ts around job-driver.ts: the stages' bands
 * on the `tiles` queue, their events, the reductions, the result, through outages), cancels,
 * removes, resumes after a restart and sweeps. Its record of the jobs, their stored manifests
 * and their endings (each once) is job-records.ts. All I/O goes through the ports, so the same
 * code runs embedded (`tessera process`, `tessera serve`) and against Azure.
 */

import type { Kernels, Pipeline } from "@tessera/kernels";
import { jobPrefix, sourceName } from "./blob-names.js";
import { type DeadLetteredBand, DeadLetterWatch } from "./dead-letters.js";
import { DEFAULTS } from "./defaults.js";
import { FinishEstimates } from "./finish-estimates.js";
import { type JobManifest, TERMINAL } from "./job.js";
import type { DriverContext } from "./job-driver.js";
import { type JobSource, releaseSource, type SubmitOptions, storeSource, takeIn } from "./job-intake.js";
import { JobListeners, type Listener } from "./job-listeners.js";
import { JobRecords } from "./job-records.js";
import { runJob } from "./job-run.js";
import type { BlobStore } from "./ports/blob-store.js";
import { type Clock, systemClock } from "./ports/clock.js";
import type { Codec, SourceReader } from "./ports/codec.js";
import { type Logger, silentLogger } from "./ports/logger.js";
import type { Queue } from "./ports/queue.js";
import { type SweepReport, sweepJobs } from "./retention.js";
import { bandCount, tileCount } from "./tiling.js";

export interface CoordinatorOptions {
  queue: Queue;
  blobs: BlobStore;
  codec: Codec;
  /** Used for reductions (histogram tables, canny hysteresis) in this process. */
  kernels: Kernels;
  clock?: Clock;
  /** How long one wait for progress events lasts before dead letters are checked. Default 500 ms. */
  pollMs?: number;
  /** Job-level logs (each line with jobId); silent by default. */
  log?: Logger;
  /** How long an ended job (its result and manifest) is kept before it is deleted. Default 24 h. */
  resultTtlMs?: number;
  /** How often, after resume(), expired jobs and orphan blobs are swept. Default 60 s. */
  sweepEveryMs?: number;
  /**
   * How long a job waits out an unreachable queue or blob store (retrying with back-off and
   * carrying on where it was) before it fails with DEPENDENCY_UNAVAILABLE. Default 120 s.
   */
  outageBudgetMs?: number;
}

export type { SubmitOptions } from "./job-intake.js";

export type { JobUpdate } from "./job-listeners.js";

export class Coordinator {
  private readonly queue: Queue;
  private readonly blobs: BlobStore;
  private readonly codec: Codec;
  private readonly kernels: Kernels;
  private readonly clock: Clock;
  private readonly pollMs: number;
  private readonly log: Logger;
  private readonly deadLetterWatch: DeadLetterWatch;
  private readonly listeners = new JobListeners();
  private readonly records: JobRecords;
  private readonly drivers = new Map<string, Promise<void>>();
  private readonly finishEstimates = new FinishEstimates();
  /** Source readers made at submit, so the first stage does not read the source a second time. */
  private readonly readers = new Map<string, SourceReader>();
  private readonly resultTtlMs: number;
  private readonly sweepEveryMs: number;
  private readonly outageBudgetMs: number;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private sweeping: Promise<SweepReport> | undefined;
  /** Aborted by close(): runs stop following their jobs, and waits between retries end at once. */
  private readonly closing = new AbortController();

  constructor(options: CoordinatorOptions) {
    this.queue = options.queue;
    this.blobs = options.blobs;
    this.codec = options.codec;
    this.kernels = options.kernels;
    this.clock = options.clock ?? systemClock;
    this.pollMs = options.pollMs ?? DEFAULTS.pollMs;
    this.log = options.log ?? silentLogger;
    this.resultTtlMs = options.resultTtlMs ?? DEFAULTS.resultTtlMs;
    this.sweepEveryMs = options.sweepEveryMs ?? DEFAULTS.sweepEveryMs;
    this.outageBudgetMs = options.outageBudgetMs ?? DEFAULTS.outageBudgetMs;
    this.records = new JobRecords({
      blobs: this.blobs,
      clock: this.clock,
      log: this.log,
      listeners: this.listeners,
      outageBudgetMs: this.outageBudgetMs,
      closing: this.closing.signal,
    });
    this.deadLetterWatch = new DeadLetterWatch(this.queue, this.clock, this.log, async (jobId, error) => {
      const job = this.records.get(jobId);
      if (job) await this.records.fail(job, error);
    });
  }

  /**
   * Records a job and starts it; resolves once it is recorded. `source` is the encoded image
   * (bytes, or a SourceFile read where it lies) or its decoded pixels. A baseline JPEG is
   * stored as it came and cut band by band (each worker decodes only its own band); anything
   * else is read a band's window at a time as the first stage dispatches. Either way a corrupt
   * file rejects here (a CodecError), not later. A SourceFile is released once the job no
   * longer reads it (its reader closed; a JPEG's once stored), or when the submission fails.
   */
  async submit(source: JobSource, steps: Pipeline, options: SubmitOptions): Promise<JobManifest> {
    if (this.closing.signal.aborted) throw await releaseSource(source).then(() => new Error("coordinator is closed"));
    const intake = await takeIn(this.codec, this.clock, source, steps, options);
    const { job, grid } = intake;
    this.records.add(job);
    try {
      // Recorded before its first blob: a restart finds the manifest and knows whose blobs they are.
      await this.records.persist(job);
      await storeSource(this.blobs, this.clock, intake, source);
      if (intake.reader) this.readers.set(job.id, intake.reader);
      job.stored = true;
      await this.records.persist(job);
    } catch (err) {
      // A submission that failed leaves nothing behind: not in memory, not in storage (what
      // cannot be deleted now, storage being down, the sweeper deletes later).
      this.records.forget(job.id);
      this.readers.delete(job.id);
      if (intake.reader && "regions" in intake.reader) await intake.reader.regions.close();
      else await releaseSource(source);
      await this.blobs.deletePrefix(`${jobPrefix(job.id)}/`).catch(() => undefined);
      throw err;
    }
    // A JPEG is cut from the bytes its cutter holds: the file is done with.
    if (intake.reader && "cutter" in intake.reader) await releaseSource(source);
    const { width, height, pipeline, stages } = job;
    this.log.info(
      { jobId: job.id, width, height, pipeline, tiles: tileCount(grid), bands: bandCount(grid), stages: stages.length },
      "job submitted",
    );
    // Canceled while its source was stored: what was written after the cancel goes too.
    if (TERMINAL.has(job.status)) await this.records.dropLeftovers(job);
    else this.start(job);
    return structuredClone(job);
  }

  get(id: string): JobManifest | undefined {
    const job = this.records.get(id);
    return job && structuredClone(job);
  }

  list(): JobManifest[] {
    return [...this.records.all().values()].map((j) => structuredClone(j));
  }

  /** Calls `listener` after every change to the job; returns the unsubscribe function. */
  subscribe(id: string, listener: Listener): () => void {
    return this.listeners.subscribe(id, listener);
  }

  /** Calls `listener` after every change to any job (metrics, logs); returns the unsubscribe function. */
  subscribeAll(listener: Listener): () => void {
    return this.listeners.subscribeAll(listener);
  }

  /** Resolves with the job once it has succeeded, failed or been canceled. */
  wait(id: string): Promise<JobManifest> {
    return new Promise((resolve, reject) => {
      const job = this.records.get(id);
      if (!job) return reject(new Error(`no job ${id}`));
      if (TERMINAL.has(job.status)) return resolve(structuredClone(job));
      const off = this.subscribe(id, ({ job: j }) => {
        if (TERMINAL.has(j.status)) {
          off();
          resolve(j);
        }
      });
    });
  }

  /** Cancels a job: workers drop its queued bands (they check the stopped marker), the job ends canceled. */
  async cancel(id: string): Promise<JobManifest | undefined> {
    const job = this.records.get(id);
    if (!job) return undefined;
    await this.records.finish(job, "canceled");
    return structuredClone(job);
  }

  /**
   * Deletes an ended job: its result, manifest and every other blob, and forgets it. False
   * (and nothing changes) when the job is still queued or running: cancel it first.
   */
  remove(id: string): Promise<boolean> {
    return this.records.remove(id);
  }

  /**
   * Reloads jobs from their manifests (after a restart) and carries the unfinished ones on.
   * A job whose upload was still being stored is removed (its 202 never went out), then the
   * store is swept (expired jobs, orphan blobs), and swept again every sweepEveryMs until close.
   */
  async resume(): Promise<JobManifest[]> {
    const resumed = await this.records.reload();
    for (const job of resumed) this.start(job);
    await this.sweep();
    if (this.sweepEveryMs > 0 && !this.closing.signal.aborted && this.sweeper === undefined) {
      this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), this.sweepEveryMs);
      this.sweeper.unref?.();
    }
    return resumed.map((job) => structuredClone(job));
  }

  /**
   * Deletes ended jobs older than the result TTL, and blobs nobody owns: those of jobs this
   * coordinator does not know (a submission that failed while storage was down, a job removed
   * halfway), and those written into an ended job after its ending (a band that finished as
   * it was canceled). One sweep at a time; a sweep already running is shared.
   */
  sweep(): Promise<SweepReport> {
    this.sweeping ??= sweepJobs({
      blobs: this.blobs,
      jobs: this.records.all(),
      now: this.clock.now(),
      ttlMs: this.resultTtlMs,
      remove: (id) => this.records.remove(id),
      keeps: (job) => this.records.keeps(job),
      log: this.log,
    }).finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  /**
   * The most recent bands found dead-lettered, newest first, with their reasons, and how many
   * were found since this coordinator started, by reason. Reads the
   * dead-letter queue first: running jobs look at it only while their events are quiet, and
   * with no job running nobody else would.
   */
  async deadLetters(): Promise<{ recent: DeadLetteredBand[]; totals: Map<string, number> }> {
    if (!this.closing.signal.aborted) await this.deadLetterWatch.look();
    return this.deadLetterWatch.snapshot();
  }

  /** Stops following jobs (they stay persisted and can be resumed). */
  async close(): Promise<void> {
    this.closing.abort();
    clearInterval(this.sweeper);
    await Promise.allSettled(this.drivers.values());
    // Readers no stage took (their jobs were stopped first) hold temporary copies: let go.
    for (const reader of this.readers.values()) if ("regions" in reader) await reader.regions.close().catch(() => undefined);
    this.readers.clear();
    await this.sweeping?.catch(() => undefined);
  }

  // ─── one job ────────────────────────────────────────────────────────────────────────────

  private start(job: JobManifest): void {
    const run = runJob(this.driverContext(), job, {
      records: this.records,
      outageBudgetMs: this.outageBudgetMs,
      closing: this.closing.signal,
    }).finally(() => this.drivers.delete(job.id));
    this.drivers.set(job.id, run);
  }

  private driverContext(): DriverContext {
    const { records } = this;
    return {
      queue: this.queue,
      blobs: this.blobs,
      codec: this.codec,
      kernels: this.kernels,
      clock: this.clock,
      pollMs: this.pollMs,
      log: this.log,
      finishEstimates: this.finishEstimates,
      deadLetters: this.deadLetterWatch,
      closed: () => this.closing.signal.aborted,
      reader: async (j) => {
        const kept = this.readers.get(j.id);
        this.readers.delete(j.id);
        if (kept) return kept;
        const bytes = await this.blobs.get(sourceName(j.id));
        const cutter = await this.codec.cutter(bytes);
        return cutter ? { cutter } : { regions: await this.codec.regions(bytes) };
      },
      persist: (j) => records.persist(j),
      notify: (j, event) => records.notify(j, event),
      fail: (j, error) => records.fail(j, error),
      succeed: async (j, result) => {
        // Canceled while the result was written: the ending stands, the result goes.
        if (TERMINAL.has(j.status)) return this.blobs.delete(result);
        j.result = result;
        await records.finish(j, "succeeded");
      },
    };
  }
}
