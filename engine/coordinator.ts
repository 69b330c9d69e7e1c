/**
 * The coordinator owns jobs: it records them, starts a driver per job (job-driver.ts: the
 * stages' bands on the `tiles` queue, their events, the reductions, the result), and ends
 * them: succeeded, failed or canceled, each once. All I/O goes through the ports, so the same
 * code runs embedded (`tessera process`, `tessera serve`) and against Azure.
 */

import type { Kernels, Pipeline, RgbaImage } from "@tessera/kernels";
import { formatPipeline } from "@tessera/kernels";
import { writeBandWindow } from "./band-store.js";
import { type DeadLetteredBand, DeadLetterWatch } from "./dead-letters.js";
import { EventSession } from "./event-session.js";
import {
  canMove,
  type JobError,
  type JobManifest,
  type JobStatus,
  jobPrefix,
  manifestName,
  newJobId,
  overallProgress,
  sourceLayer,
  sourceName,
  stoppedMarker,
  TERMINAL,
} from "./job.js";
import { driveJob } from "./job-driver.js";
import { JobListeners, type Listener } from "./job-listeners.js";
import type { BandEvent } from "./messages.js";
import { isOutage, OutageBudget } from "./outage.js";
import { atPhase } from "./phase-probe.js";
import { planPipeline } from "./plan.js";
import type { BlobStore } from "./ports/blob-store.js";
import { type Clock, systemClock } from "./ports/clock.js";
import type { Codec, OutputFormat, PieceCutter } from "./ports/codec.js";
import { type Logger, silentLogger } from "./ports/logger.js";
import type { Queue } from "./ports/queue.js";
import { DEFAULT_RESULT_TTL_MS, type SweepReport, sweepJobs } from "./retention.js";
import { bandCount, DEFAULT_TILE_SIZE, MAX_TILES, makeGrid, minTileSizeFor, tileCount } from "./tiling.js";

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

export interface SubmitOptions {
  format: OutputFormat;
  tileSize?: number;
  /** Who the job belongs to (an opaque id the gateway derives from the caller's token). */
  owner?: string;
}

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
  private readonly jobs = new Map<string, JobManifest>();
  private readonly listeners = new JobListeners();
  private readonly drivers = new Map<string, Promise<void>>();
  /** Cutters made at submit, so the first stage does not read the source a second time. */
  private readonly cutters = new Map<string, PieceCutter>();
  /** Each job's manifest writes, one after another, so the last one stored is the newest. */
  private readonly writes = new Map<string, Promise<void>>();
  /** Each ended job's recording of its ending (see finish). */
  private readonly endings = new Map<string, Promise<void>>();
  private readonly resultTtlMs: number;
  private readonly sweepEveryMs: number;
  private readonly outageBudgetMs: number;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private sweeping: Promise<SweepReport> | undefined;
  private closed = false;
  /** Resolves when close() is called: ends the waits between retries at once. */
  private readonly closing: Promise<void>;
  private markClosing: () => void = () => undefined;

  constructor(options: CoordinatorOptions) {
    this.queue = options.queue;
    this.blobs = options.blobs;
    this.codec = options.codec;
    this.kernels = options.kernels;
    this.clock = options.clock ?? systemClock;
    this.pollMs = options.pollMs ?? 500;
    this.log = options.log ?? silentLogger;
    this.resultTtlMs = options.resultTtlMs ?? DEFAULT_RESULT_TTL_MS;
    this.sweepEveryMs = options.sweepEveryMs ?? 60_000;
    this.outageBudgetMs = options.outageBudgetMs ?? 120_000;
    this.closing = new Promise((resolve) => {
      this.markClosing = resolve;
    });
    this.deadLetterWatch = new DeadLetterWatch(this.queue, this.clock, this.log, async (jobId, error) => {
      const job = this.jobs.get(jobId);
      if (job) await this.fail(job, error);
    });
  }

  /**
   * Records a job and starts it; resolves once it is recorded. `source` is the encoded image
   * (its header already checked against the limits) or its decoded pixels. An encoding the
   * codec can cut without decoding (a baseline JPEG) is stored as it came, and the first stage
   * cuts it band by band: each worker decodes only its own band. Anything else is decoded
   * here and written as the first stage's windows. Either way the whole entropy-coded image
   * is read before this resolves, so a corrupt file rejects here (a CodecError), not later.
   */
  async submit(source: Uint8Array | RgbaImage, steps: Pipeline, options: SubmitOptions): Promise<JobManifest> {
    if (this.closed) throw new Error("coordinator is closed");
    let pixels = source instanceof Uint8Array ? undefined : source;
    let cutter: PieceCutter | undefined;
    if (source instanceof Uint8Array) {
      cutter = await this.codec.cutter(source);
      if (!cutter) pixels = await this.codec.decode(source);
    }
    // Pixels or a cutter: the size is known without reading the header again.
    const { width, height } = (pixels ?? cutter) as { width: number; height: number };
    const floor = minTileSizeFor(width, height);
    if (options.tileSize !== undefined && options.tileSize < floor) {
      throw new RangeError(
        `tile size ${options.tileSize} would cut ${width}×${height} into more than ${MAX_TILES} tiles; use at least ${floor}`,
      );
    }
    const grid = makeGrid(width, height, options.tileSize ?? Math.max(DEFAULT_TILE_SIZE, floor));
    const plan = planPipeline(steps);
    const id = newJobId();
    const now = this.clock.now();
    const job: JobManifest = {
      id,
      status: "queued",
      createdAt: now,
      updatedAt: now,
      steps: [...steps],
      pipeline: formatPipeline(steps),
      width,
      height,
      tileSize: grid.tileSize,
      format: options.format,
      ...(options.owner !== undefined && { owner: options.owner }),
      stage: 0,
      stages: plan.stages.map(() => ({ done: 0, total: tileCount(grid) })),
      input: pixels ? { kind: "windows", prefix: sourceLayer(id) } : { kind: "source" },
      stored: false,
    };
    this.jobs.set(id, job);
    try {
      // Recorded before its first blob: a restart finds the manifest and knows whose blobs they are.
      await this.persist(job);
      if (pixels) await this.split(job, pixels, grid, plan.stages[0]?.halo ?? 0);
      else {
        await atPhase(id, "split");
        await this.blobs.put(sourceName(id), source as Uint8Array);
        if (cutter) this.cutters.set(id, cutter);
      }
      job.stored = true;
      await this.persist(job);
    } catch (err) {
      // A submission that failed leaves nothing behind: not in memory, not in storage (what
      // cannot be deleted now, storage being down, the sweeper deletes later).
      this.jobs.delete(id);
      this.cutters.delete(id);
      await this.blobs.deletePrefix(`${jobPrefix(id)}/`).catch(() => undefined);
      throw err;
    }
    this.log.info(
      {
        jobId: id,
        width,
        height,
        pipeline: job.pipeline,
        tiles: tileCount(grid),
        bands: bandCount(grid),
        stages: plan.stages.length,
      },
      "job submitted",
    );
    // Canceled while its source was stored: what was written after the cancel goes too.
    if (TERMINAL.has(job.status)) await this.dropLeftovers(job);
    else this.start(job);
    return structuredClone(job);
  }

  /** Writes the decoded source as the first stage's windows; stops early when the job is canceled meanwhile. */
  private async split(job: JobManifest, pixels: RgbaImage, grid: ReturnType<typeof makeGrid>, halo: number): Promise<void> {
    const splitStart = this.clock.now();
    await atPhase(job.id, "split");
    for (let band = 0; band < bandCount(grid) && !TERMINAL.has(job.status); band++) {
      await writeBandWindow(this.blobs, sourceLayer(job.id), grid, pixels, band, halo);
    }
    job.timings = { split: this.clock.now() - splitStart };
  }

  get(id: string): JobManifest | undefined {
    const job = this.jobs.get(id);
    return job && structuredClone(job);
  }

  list(): JobManifest[] {
    return [...this.jobs.values()].map((j) => structuredClone(j));
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
      const job = this.jobs.get(id);
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
    const job = this.jobs.get(id);
    if (!job) return undefined;
    await this.finish(job, "canceled");
    return structuredClone(job);
  }

  /**
   * Deletes an ended job: its result, manifest and every other blob, and forgets it. False
   * (and nothing changes) when the job is still queued or running: cancel it first.
   */
  async remove(id: string): Promise<boolean> {
    const job = this.jobs.get(id);
    if (!job || !TERMINAL.has(job.status)) return false;
    // Its ending and last manifest write must not land after the delete.
    await this.endings.get(id);
    await this.writes.get(id)?.catch(() => undefined);
    await this.blobs.deletePrefix(`${jobPrefix(id)}/`);
    this.jobs.delete(id);
    this.writes.delete(id);
    this.endings.delete(id);
    return true;
  }

  /**
   * Reloads jobs from their manifests (after a restart) and carries the unfinished ones on.
   * A job whose upload was still being stored is removed (its 202 never went out), then the
   * store is swept (expired jobs, orphan blobs), and swept again every sweepEveryMs until close.
   */
  async resume(): Promise<JobManifest[]> {
    const resumed: JobManifest[] = [];
    for (const blob of await this.blobs.list("jobs/")) {
      if (!blob.name.endsWith("/manifest.json")) continue;
      const bytes = await this.blobs.get(blob.name);
      let job: JobManifest;
      try {
        job = JSON.parse(new TextDecoder().decode(bytes)) as JobManifest;
      } catch (err) {
        // Puts are atomic, so this is damage from outside; its blobs stay for someone to look at.
        this.log.error({ blob: blob.name, err: (err as Error).message }, "unreadable job manifest; the job is skipped");
        continue;
      }
      if (this.jobs.has(job.id)) continue;
      if (job.stored === false) {
        this.log.warn(
          { jobId: job.id },
          "job was being stored when the coordinator stopped; its upload was never acknowledged: removed",
        );
        await this.blobs.deletePrefix(`${jobPrefix(job.id)}/`);
        continue;
      }
      this.jobs.set(job.id, job);
      if (!TERMINAL.has(job.status)) {
        this.start(job);
        resumed.push(structuredClone(job));
      }
    }
    await this.sweep();
    if (this.sweepEveryMs > 0 && !this.closed && this.sweeper === undefined) {
      this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), this.sweepEveryMs);
      this.sweeper.unref?.();
    }
    return resumed;
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
      jobs: this.jobs,
      now: this.clock.now(),
      ttlMs: this.resultTtlMs,
      remove: (id) => this.remove(id),
      keep: (job) => this.keep(job),
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
    if (!this.closed) await this.deadLetterWatch.look();
    return this.deadLetterWatch.snapshot();
  }

  /** Stops following jobs (they stay persisted and can be resumed). */
  async close(): Promise<void> {
    this.closed = true;
    this.markClosing();
    clearInterval(this.sweeper);
    await Promise.allSettled(this.drivers.values());
    await this.sweeping?.catch(() => undefined);
  }

  // ─── one job ────────────────────────────────────────────────────────────────────────────

  private start(job: JobManifest): void {
    const driver = this.drive(job)
      .catch((err: unknown) => this.fail(job, { code: "INTERNAL", message: (err as Error).message ?? String(err) }))
      .catch((err: unknown) => this.log.error({ jobId: job.id, err: (err as Error).message }, "job could not be ended"))
      .finally(() => this.drivers.delete(job.id));
    this.drivers.set(job.id, driver);
  }

  /**
   * Drives the job to its end. An outage of the queue or the blob store does not end it: the
   * driver starts again from what is stored (done bands are not run again) after a back-off,
   * until the outage has lasted longer than the budget; then the job fails with the reason.
   */
  private async drive(job: JobManifest): Promise<void> {
    const budget = new OutageBudget(this.outageBudgetMs, this.clock);
    for (;;) {
      const events = new EventSession(this.queue, job.id);
      const doneBefore = overallProgress(job).done;
      try {
        await driveJob(this.driverContext(), job, events);
        return;
      } catch (err) {
        if (!isOutage(err) || TERMINAL.has(job.status) || this.closed) throw err;
        const waitMs = budget.next(overallProgress(job).done > doneBefore);
        if (waitMs === undefined) {
          await this.fail(job, {
            code: "DEPENDENCY_UNAVAILABLE",
            message: `${(err as Error).message} (unreachable for over ${Math.round(this.outageBudgetMs / 1000)} s)`,
          });
          return;
        }
        job.warning = { code: "DEPENDENCY_UNAVAILABLE", message: `${(err as Error).message}; retrying` };
        this.notify(job);
        this.log.warn({ jobId: job.id, err: (err as Error).message, retryInMs: waitMs }, "job waits out an outage");
        await Promise.race([this.closing, new Promise((r) => setTimeout(r, waitMs))]);
      } finally {
        await events.close();
      }
    }
  }

  private driverContext() {
    return {
      queue: this.queue,
      blobs: this.blobs,
      codec: this.codec,
      kernels: this.kernels,
      clock: this.clock,
      pollMs: this.pollMs,
      log: this.log,
      deadLetters: this.deadLetterWatch,
      closed: () => this.closed,
      cutter: async (j: JobManifest) => {
        const made = this.cutters.get(j.id) ?? (await this.codec.cutter(await this.blobs.get(sourceName(j.id))));
        this.cutters.delete(j.id);
        return made;
      },
      persist: (j: JobManifest) => this.persist(j),
      notify: (j: JobManifest, event?: BandEvent) => this.notify(j, event),
      fail: (j: JobManifest, error: JobError) => this.fail(j, error),
      succeed: async (j: JobManifest, result: string) => {
        // Canceled while the result was written: the ending stands, the result goes.
        if (TERMINAL.has(j.status)) return this.blobs.delete(result);
        j.result = result;
        await this.finish(j, "succeeded");
      },
    };
  }

  private async fail(job: JobManifest, error: JobError): Promise<void> {
    if (!canMove(job.status, "failed")) return;
    job.error = error;
    await this.finish(job, "failed");
  }

  /**
   * Ends a job, once: the state machine refuses any move out of an ending, so whichever of
   * cancel, failure and success comes first stands. Listeners hear the ending at once (with
   * `ended`, exactly once per job); it is then recorded, retried through a storage outage,
   * and the intermediate blobs are dropped (the manifest, result and stopped marker stay).
   */
  private async finish(job: JobManifest, status: "succeeded" | "failed" | "canceled"): Promise<void> {
    if (!canMove(job.status, status)) return;
    job.status = status;
    delete job.warning;
    const fields = { jobId: job.id, status, seconds: (this.clock.now() - job.createdAt) / 1000 };
    if (status === "failed") this.log.warn({ ...fields, error: job.error }, "job failed");
    else this.log.info(fields, `job ${status}`);
    job.updatedAt = this.clock.now();
    this.listeners.notify(job, undefined, true);
    // Held until the ending is stored, so remove() cannot delete ahead of it.
    const recording = this.recordEnding(job, status);
    this.endings.set(job.id, recording);
    await recording;
  }

  /** Stores an ending (through a storage outage, within the budget), then drops the job's intermediate blobs. */
  private async recordEnding(job: JobManifest, status: JobStatus): Promise<void> {
    if (status === "succeeded") await atPhase(job.id, "finish");
    const budget = new OutageBudget(this.outageBudgetMs, this.clock);
    for (;;) {
      try {
        // The marker first: workers stop taking the job's bands as soon as it is there.
        if (status !== "succeeded") await this.blobs.put(stoppedMarker(job.id), new Uint8Array(0));
        await this.persist(job, false);
        break;
      } catch (err) {
        const waitMs = isOutage(err) && !this.closed ? budget.next(false) : undefined;
        if (waitMs === undefined) {
          this.log.error({ jobId: job.id, status, err: (err as Error).message }, "job ending could not be recorded");
          return;
        }
        await Promise.race([this.closing, new Promise((r) => setTimeout(r, waitMs))]);
      }
    }
    await this.dropLeftovers(job).catch((err: unknown) =>
      this.log.warn({ jobId: job.id, err: (err as Error).message }, "leftovers stay until the next sweep"),
    );
  }

  /** The blobs an ended job keeps until it expires. */
  private keep(job: JobManifest): Set<string> {
    const keep = new Set([manifestName(job.id), stoppedMarker(job.id)]);
    if (job.result) keep.add(job.result);
    return keep;
  }

  /** Deletes an ended job's intermediate blobs, all at once rather than one round trip after another. */
  private async dropLeftovers(job: JobManifest): Promise<void> {
    const keep = this.keep(job);
    const leftovers = (await this.blobs.list(`${jobPrefix(job.id)}/`)).filter((blob) => !keep.has(blob.name));
    await Promise.all(leftovers.map((blob) => this.blobs.delete(blob.name)));
  }

  /** Stores the manifest (after the previous write of the same job) and tells listeners. */
  private async persist(job: JobManifest, notify = true): Promise<void> {
    job.updatedAt = Math.max(job.updatedAt, this.clock.now());
    const bytes = new TextEncoder().encode(JSON.stringify(job));
    const previous = this.writes.get(job.id) ?? Promise.resolve();
    const write = previous.catch(() => undefined).then(() => this.blobs.put(manifestName(job.id), bytes));
    this.writes.set(job.id, write);
    await write;
    if (notify) this.notify(job);
  }

  private notify(job: JobManifest, event?: BandEvent): void {
    this.listeners.notify(job, event);
  }
}
