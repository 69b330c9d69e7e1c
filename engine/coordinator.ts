/**
 * The coordinator owns jobs: it cuts the source into tiles, dispatches each stage's tiles on
 * the `tiles` queue, follows progress on the job's `events` session, runs the reductions
 * between stages, and stitches and encodes the result. All I/O goes through the ports, so the
 * same code runs embedded (`tessera process`, `tessera serve`) and against Azure.
 */

import type { Kernels, Pipeline, RgbaImage } from "@tessera/kernels";
import { formatPipeline } from "@tessera/kernels";
import { type DeadLetteredTile, DeadLetterWatch } from "./dead-letters.js";
import { stageBatches } from "./dispatch.js";
import { EventSession } from "./event-session.js";
import {
  type JobError,
  type JobManifest,
  jobPrefix,
  manifestName,
  newJobId,
  resultName,
  sourceLayer,
  stageLayer,
  stoppedMarker,
  TERMINAL,
} from "./job.js";
import { JobListeners, type Listener } from "./job-listeners.js";
import { TILES_QUEUE, type TileEvent } from "./messages.js";
import { planPipeline, type Stage } from "./plan.js";
import type { BlobStore } from "./ports/blob-store.js";
import { type Clock, systemClock } from "./ports/clock.js";
import type { Codec, OutputFormat } from "./ports/codec.js";
import { type Logger, silentLogger } from "./ports/logger.js";
import type { Queue } from "./ports/queue.js";
import { reduceStage } from "./reductions.js";
import { stitchLayer, writeLayer } from "./tile-store.js";
import { DEFAULT_TILE_SIZE, defaultBandSize, type Grid, makeGrid, tileCount } from "./tiling.js";

/** Quiet polls (no events) between looks at the tile blobs. */
const RECONCILE_POLLS = 10;

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
  /** Tiles per session; default grows with the tile count (see defaultBandSize). */
  bandSize?: number;
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

  /** Stores the source as tiles, writes the manifest and starts the job. Resolves once queued. */
  async submit(image: RgbaImage, steps: Pipeline, options: SubmitOptions): Promise<JobManifest> {
    if (this.closed) throw new Error("coordinator is closed");
    const grid = makeGrid(image.width, image.height, options.tileSize ?? DEFAULT_TILE_SIZE);
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
      width: image.width,
      height: image.height,
      tileSize: grid.tileSize,
      bandSize: options.bandSize ?? defaultBandSize(grid),
      format: options.format,
      stage: 0,
      stages: plan.stages.map(() => ({ done: 0, total: tileCount(grid) })),
      input: sourceLayer(id),
      inputWindows: true,
    };
    this.jobs.set(id, job);
    const splitStart = this.clock.now();
    // The source is written as stage 0's windows: one read per tile, deleted as it is used.
    await writeLayer(this.blobs, job.input, grid, image, plan.stages[0]?.halo ?? 0);
    this.time(job, "split", this.clock.now() - splitStart);
    await this.persist(job);
    this.log.info(
      {
        jobId: id,
        width: job.width,
        height: job.height,
        pipeline: job.pipeline,
        tiles: tileCount(grid),
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

  /** Cancels a job: workers drop its queued tiles (they check the stopped marker), the job ends canceled. */
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
   * The most recent tiles found dead-lettered, newest first, with their reasons, and how many
   * were found since this coordinator started, by reason. Reads the
   * dead-letter queue first: running jobs look at it only while their events are quiet, and
   * with no job running nobody else would.
   */
  async deadLetters(): Promise<{ recent: DeadLetteredTile[]; totals: Map<string, number> }> {
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
    const driver = this.drive(job)
      .catch((err: unknown) => this.fail(job, { code: "INTERNAL", message: (err as Error).message ?? String(err) }))
      .finally(() => this.drivers.delete(job.id));
    this.drivers.set(job.id, driver);
  }

  private async drive(job: JobManifest): Promise<void> {
    const grid = makeGrid(job.width, job.height, job.tileSize);
    const plan = planPipeline(job.steps);
    job.status = "running";
    await this.persist(job);
    const events = new EventSession(this.queue, job.id);
    try {
      while (job.stage < plan.stages.length) {
        const stage = plan.stages[job.stage] as Stage;
        const output = stageLayer(job.id, stage.index);
        const stageStart = this.clock.now();
        if (stage.index > 0) job.tileWorkers = {}; // the map shows the stage running now (the last one, at the end)
        const done = await this.dispatch(job, stage, grid, output);
        if (!(await this.collect(job, stage, output, events, done))) return;
        const reduceStart = this.clock.now();
        const consumed = job.input;
        await reduceStage(this.blobs, this.kernels, job, stage, grid, output, plan.stages[job.stage + 1]?.halo ?? 0);
        // The stage's input is no longer needed by anyone: free it now, not at the end.
        await this.blobs.deletePrefix(`${consumed}/`);
        this.time(job, "stages", reduceStart - stageStart);
        this.time(job, "reduce", this.clock.now() - reduceStart);
        job.stage++;
        await this.persist(job);
      }
      await this.finalize(job, grid);
    } finally {
      await events.close();
    }
  }

  /** Sends the stage's tiles that are not done yet, one session per band; returns the done ones. */
  private async dispatch(job: JobManifest, stage: Stage, grid: Grid, output: string): Promise<Set<number>> {
    const done = await this.doneTiles(output);
    for (const batch of stageBatches(job, stage, grid, output, done)) await this.queue.send(TILES_QUEUE, batch);
    return done;
  }

  /**
   * Follows events until every tile of the stage is done, starting from the tiles found done at
   * dispatch (a tile finished since then reports itself); false if the job ended meanwhile.
   */
  private async collect(
    job: JobManifest,
    stage: Stage,
    output: string,
    events: EventSession,
    done: Set<number>,
  ): Promise<boolean> {
    const progress = job.stages[stage.index] as { done: number; total: number };
    progress.done = done.size;
    let lastLook = this.clock.now();
    while (done.size < progress.total) {
      if (TERMINAL.has(job.status) || this.closed) return false;
      const received = await events.receive(64, this.pollMs);
      for (const event of received) {
        if (event.stage !== stage.index) continue;
        if (event.kind === "tile-failed") {
          await this.fail(job, {
            code: "TILE_FAILED",
            message: `tile ${event.tile} of stage ${event.stage} failed: ${event.error}`,
          });
          return false;
        }
        if (done.has(event.tile)) continue; // a redelivered tile reports twice
        done.add(event.tile);
        progress.done = done.size;
        job.tileWorkers = { ...job.tileWorkers, [event.tile]: event.worker };
        this.time(job, "kernels", event.ms);
        job.updatedAt = this.clock.now();
        this.notify(job, event);
      }
      if (received.length > 0) continue;
      await this.deadLetterWatch.look();
      // Events are hints: when they go quiet, the tile blobs say what is done. A tile whose
      // event never came (its worker died between writing and telling) is counted here.
      if (this.clock.now() - lastLook >= RECONCILE_POLLS * this.pollMs) {
        lastLook = this.clock.now();
        for (const tile of await this.doneTiles(output)) done.add(tile);
        if (progress.done !== done.size) {
          progress.done = done.size;
          job.updatedAt = this.clock.now();
          this.notify(job);
        }
      }
    }
    return !TERMINAL.has(job.status);
  }

  /** The tiles of a layer whose result blobs exist. */
  private async doneTiles(output: string): Promise<Set<number>> {
    return new Set((await this.blobs.list(`${output}/t`)).map((b) => Number(b.name.slice(output.length + 2))));
  }

  private async finalize(job: JobManifest, grid: Grid): Promise<void> {
    const stitchStart = this.clock.now();
    const image = await stitchLayer(this.blobs, job.input, grid);
    const encodeStart = this.clock.now();
    this.time(job, "stitch", encodeStart - stitchStart);
    let encoded: Uint8Array;
    try {
      encoded = await this.codec.encode(image, job.format);
      this.time(job, "encode", this.clock.now() - encodeStart);
    } catch (err) {
      await this.fail(job, { code: "ENCODE_FAILED", message: `encoding ${job.format} failed: ${(err as Error).message}` });
      return;
    }
    job.result = resultName(job.id, job.format);
    await this.blobs.put(job.result, encoded);
    await this.finish(job, "succeeded");
  }

  private async fail(job: JobManifest, error: JobError): Promise<void> {
    if (TERMINAL.has(job.status)) return;
    job.error = error;
    await this.finish(job, "failed");
  }

  /** Ends a job and drops its intermediate tiles (the manifest, result and cancel marker stay). */
  private async finish(job: JobManifest, status: "succeeded" | "failed" | "canceled"): Promise<void> {
    job.status = status;
    const fields = { jobId: job.id, status, seconds: (this.clock.now() - job.createdAt) / 1000 };
    if (status === "failed") this.log.warn({ ...fields, error: job.error }, "job failed");
    else this.log.info(fields, `job ${status}`);
    if (status !== "succeeded") await this.blobs.put(stoppedMarker(job.id), new Uint8Array(0));
    await this.persist(job);
    const keep = new Set([manifestName(job.id), job.result, stoppedMarker(job.id)]);
    for (const blob of await this.blobs.list(`${jobPrefix(job.id)}/`))
      if (!keep.has(blob.name)) await this.blobs.delete(blob.name);
  }

  private time(job: JobManifest, phase: keyof NonNullable<JobManifest["timings"]>, ms: number): void {
    job.timings = { ...job.timings, [phase]: (job.timings?.[phase] ?? 0) + ms };
  }

  private async persist(job: JobManifest): Promise<void> {
    job.updatedAt = this.clock.now();
    await this.blobs.put(manifestName(job.id), new TextEncoder().encode(JSON.stringify(job)));
    this.notify(job);
  }

  private notify(job: JobManifest, event?: TileEvent): void {
    this.listeners.notify(job, event);
  }
}
