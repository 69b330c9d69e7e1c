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
  type JobError,
  type JobManifest,
  jobPrefix,
  manifestName,
  newJobId,
  sourceLayer,
  sourceName,
  stoppedMarker,
  TERMINAL,
} from "./job.js";
import { driveJob } from "./job-driver.js";
import { JobListeners, type Listener } from "./job-listeners.js";
import type { BandEvent } from "./messages.js";
import { planPipeline } from "./plan.js";
import type { BlobStore } from "./ports/blob-store.js";
import { type Clock, systemClock } from "./ports/clock.js";
import type { Codec, OutputFormat, PieceCutter } from "./ports/codec.js";
import { type Logger, silentLogger } from "./ports/logger.js";
import type { Queue } from "./ports/queue.js";
import { bandCount, DEFAULT_TILE_SIZE, makeGrid, tileCount } from "./tiling.js";

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
}

export interface SubmitOptions {
  format: OutputFormat;
  tileSize?: number;
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
  private closed = false;

  constructor(options: CoordinatorOptions) {
    this.queue = options.queue;
    this.blobs = options.blobs;
    this.codec = options.codec;
    this.kernels = options.kernels;
    this.clock = options.clock ?? systemClock;
    this.pollMs = options.pollMs ?? 500;
    this.log = options.log ?? silentLogger;
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
    const grid = makeGrid(width, height, options.tileSize ?? DEFAULT_TILE_SIZE);
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
      stage: 0,
      stages: plan.stages.map(() => ({ done: 0, total: tileCount(grid) })),
      input: pixels ? { kind: "windows", prefix: sourceLayer(id) } : { kind: "source" },
    };
    this.jobs.set(id, job);
    if (pixels) {
      const splitStart = this.clock.now();
      const halo = plan.stages[0]?.halo ?? 0;
      for (let band = 0; band < bandCount(grid); band++) {
        await writeBandWindow(this.blobs, sourceLayer(id), grid, pixels, band, halo);
      }
      job.timings = { split: this.clock.now() - splitStart };
    } else {
      await this.blobs.put(sourceName(id), source as Uint8Array);
      if (cutter) this.cutters.set(id, cutter);
    }
    await this.persist(job);
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
    this.start(job);
    return structuredClone(job);
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
    if (!TERMINAL.has(job.status)) await this.finish(job, "canceled");
    return structuredClone(job);
  }

  /** Reloads unfinished jobs from their manifests (after a restart) and carries them on. */
  async resume(): Promise<JobManifest[]> {
    const resumed: JobManifest[] = [];
    for (const blob of await this.blobs.list("jobs/")) {
      if (!blob.name.endsWith("/manifest.json")) continue;
      const job = JSON.parse(new TextDecoder().decode(await this.blobs.get(blob.name))) as JobManifest;
      if (this.jobs.has(job.id)) continue;
      this.jobs.set(job.id, job);
      if (!TERMINAL.has(job.status)) {
        this.start(job);
        resumed.push(structuredClone(job));
      }
    }
    return resumed;
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
    await Promise.allSettled(this.drivers.values());
  }

  // ─── one job ────────────────────────────────────────────────────────────────────────────

  private start(job: JobManifest): void {
    const events = new EventSession(this.queue, job.id);
    const driver = driveJob(
      {
        queue: this.queue,
        blobs: this.blobs,
        codec: this.codec,
        kernels: this.kernels,
        clock: this.clock,
        pollMs: this.pollMs,
        log: this.log,
        deadLetters: this.deadLetterWatch,
        closed: () => this.closed,
        cutter: async (j) => {
          const made = this.cutters.get(j.id) ?? (await this.codec.cutter(await this.blobs.get(sourceName(j.id))));
          this.cutters.delete(j.id);
          return made;
        },
        persist: (j) => this.persist(j),
        notify: (j, event) => this.notify(j, event),
        fail: (j, error) => this.fail(j, error),
        succeed: async (j, result) => {
          // Canceled while the result was written: the ending stands, the result goes.
          if (TERMINAL.has(j.status)) return this.blobs.delete(result);
          j.result = result;
          await this.finish(j, "succeeded");
        },
      },
      job,
      events,
    )
      .catch((err: unknown) => this.fail(job, { code: "INTERNAL", message: (err as Error).message ?? String(err) }))
      .finally(() => {
        this.drivers.delete(job.id);
        return events.close();
      });
    this.drivers.set(job.id, driver);
  }

  private async fail(job: JobManifest, error: JobError): Promise<void> {
    if (TERMINAL.has(job.status)) return;
    job.error = error;
    await this.finish(job, "failed");
  }

  /** Ends a job and drops its intermediate blobs (the manifest, result and cancel marker stay). */
  private async finish(job: JobManifest, status: "succeeded" | "failed" | "canceled"): Promise<void> {
    job.status = status;
    const fields = { jobId: job.id, status, seconds: (this.clock.now() - job.createdAt) / 1000 };
    if (status === "failed") this.log.warn({ ...fields, error: job.error }, "job failed");
    else this.log.info(fields, `job ${status}`);
    if (status !== "succeeded") await this.blobs.put(stoppedMarker(job.id), new Uint8Array(0));
    await this.persist(job);
    // The ending is recorded (and heard) above; the leftovers go all at once, not one round trip after another.
    const keep = new Set([manifestName(job.id), job.result, stoppedMarker(job.id)]);
    const leftovers = (await this.blobs.list(`${jobPrefix(job.id)}/`)).filter((blob) => !keep.has(blob.name));
    await Promise.all(leftovers.map((blob) => this.blobs.delete(blob.name)));
  }

  private async persist(job: JobManifest): Promise<void> {
    job.updatedAt = this.clock.now();
    await this.blobs.put(manifestName(job.id), new TextEncoder().encode(JSON.stringify(job)));
    this.notify(job);
  }

  private notify(job: JobManifest, event?: BandEvent): void {
    this.listeners.notify(job, event);
  }
}
