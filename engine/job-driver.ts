/**
 * Driving one job through its stages: dispatch each stage's bands (the first stage's straight
 * from the source, band by band as it is cut or decoded, so workers start on the first band
 * while the coordinator prepares the rest), follow their events, reduce between stages, and
 * hand the last stage to job-finish.ts for the result. The coordinator (coordinator.ts) owns the jobs and their endings;
 * this module only moves one job forward and tells it what happened.
 */

import type { Kernels } from "@tessera/kernels";
import { doneBands } from "./band-store.js";
import { BandsAhead } from "./bands-ahead.js";
import { pieceName, sourceLayer, sourceName, stageLayer } from "./blob-names.js";
import type { DeadLetterWatch } from "./dead-letters.js";
import { DEFAULTS } from "./defaults.js";
import { dispatchStage } from "./dispatch.js";
import { EdgeMap } from "./edge-map.js";
import type { EventSession } from "./event-session.js";
import { FinishEstimates } from "./finish-estimates.js";
import { addTime, type JobError, type JobManifest, keepsSource, TERMINAL } from "./job.js";
import { finalize, joinedOutput, setStep } from "./job-finish.js";
import { type BandEvent, TILES_QUEUE } from "./messages.js";
import { atPhase } from "./phase-probe.js";
import { greyLayer, planPipeline, type Stage } from "./plan.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { Clock } from "./ports/clock.js";
import type { Codec, SourceReader } from "./ports/codec.js";
import type { Logger } from "./ports/logger.js";
import type { Queue } from "./ports/queue.js";
import { reduceStage } from "./reductions.js";
import { streamsPieces } from "./result-pieces.js";
import { bandCount, type Grid, makeGrid } from "./tiling.js";

/** Quiet polls (no events) between looks at the band blobs. */
const RECONCILE_POLLS = 10;

/** What a driver needs from its coordinator. */
export interface DriverContext {
  queue: Queue;
  blobs: BlobStore;
  codec: Codec;
  kernels: Kernels;
  clock: Clock;
  pollMs: number;
  log: Logger;
  /** What finishes took so far, for the ETA (shared by the coordinator's jobs). */
  finishEstimates: FinishEstimates;
  deadLetters: DeadLetterWatch;
  /** True once the coordinator is closing: stop following (the job stays persisted). */
  closed(): boolean;
  /**
   * How to read a job's encoded source band by band (made at submit, or again after a
   * restart). The caller closes a region reader when done.
   */
  reader(job: JobManifest): Promise<SourceReader>;
  persist(job: JobManifest): Promise<void>;
  notify(job: JobManifest, event?: BandEvent): void;
  fail(job: JobManifest, error: JobError): Promise<void>;
  succeed(job: JobManifest, result: string): Promise<void>;
}

export async function driveJob(ctx: DriverContext, job: JobManifest, events: EventSession): Promise<void> {
  const grid = makeGrid(job.width, job.height, job.tileSize);
  const plan = planPipeline(job.steps);
  if (TERMINAL.has(job.status)) return; // canceled before it started
  const last = plan.stages[plan.stages.length - 1] as Stage;
  const finishKind = FinishEstimates.key(job.format, last);
  const finishEstimate = ctx.finishEstimates.estimateMs(finishKind, job.width * job.height);
  if (finishEstimate !== undefined) job.finishEstimateMs = finishEstimate;
  job.status = "running";
  job.step = "stages";
  await ctx.persist(job);
  // The result's pieces, fetched as their bands finish, so the join waits on no download.
  const pieces = new Map<number, Promise<Uint8Array>>();
  let edges: EdgeMap | undefined;
  while (job.stage < plan.stages.length) {
    const stage = plan.stages[job.stage] as Stage;
    const output = stageLayer(job.id, stage.index);
    // The last stage encodes its bands as pieces of the result, unless a reduction follows it.
    const encode =
      stage.index === plan.stages.length - 1 && !stage.reduction && !stage.analysis && !stage.detection
        ? joinedOutput(ctx, job, grid)
        : undefined;
    const stageStart = ctx.clock.now();
    if (stage.index > 0) job.tileWorkers = {}; // the map shows the stage running now (the last one, at the end)
    const done = await doneBands(ctx.blobs, output);
    // A raw window of the source is RGB when it is opaque (the region reader drops its alpha).
    const windowBytes = grid.width * (grid.tileSize + 2 * stage.halo) * (job.opaque === true ? 3 : 4);
    const ahead = new BandsAhead(done, windowBytes, job);
    const layerChannels = greyLayer(plan, stage.index, job.opaque === true) ? 1 : undefined;
    // Events are followed while the first stage is still being dispatched: a 100-band source
    // is cut band by band, and the bar should move as soon as the first band is done.
    const dispatching = dispatchStage(ctx, job, stage, grid, output, done, encode, ahead, layerChannels).then((splitMs) => {
      if (splitMs !== undefined) addTime(job, "split", splitMs);
    });
    // A stage that ends in canny has its classes gathered into one map as its bands finish,
    // for the hysteresis after the last one (EdgeMap.add).
    const edgeMap = stage.reduction === "hysteresis" && EdgeMap.fits(grid) ? EdgeMap.start(ctx.kernels, grid) : undefined;
    const onDone = (band: number) => {
      ahead.finished();
      edgeMap?.add(ctx.blobs, output, band, layerChannels ?? 4).catch(() => undefined); // read again by the finish
      // A pyramid's join reads its pieces one at a time instead (result-pieces.ts).
      if (!encode || streamsPieces(encode.format)) return;
      const piece = ctx.blobs.get(pieceName(output, band, encode.format));
      piece.catch(() => undefined); // awaited (and its error reported) by finalize
      pieces.set(band, piece);
    };
    const redispatch = () =>
      dispatchStage(ctx, job, stage, grid, output, done, encode, ahead, layerChannels).then(() => undefined);
    const collected = await collect(ctx, job, stage, output, events, done, grid, dispatching, redispatch, onDone);
    if (!collected) return;
    // A last stage that ends in canny is reduced by finalize, straight into the result.
    if (stage.index === plan.stages.length - 1 && stage.reduction === "hysteresis") {
      addTime(job, "stages", ctx.clock.now() - stageStart);
      edges = edgeMap;
      break;
    }
    await atPhase(job.id, "reduce");
    setStep(ctx, job, "reduce");
    const reduceStart = ctx.clock.now();
    const consumed = job.input;
    const nextHalo = plan.stages[job.stage + 1]?.halo ?? 0;
    const reduced = await reduceStage(
      ctx.blobs,
      ctx.kernels,
      job.id,
      stage,
      grid,
      output,
      nextHalo,
      job.opaque === true,
      layerChannels,
      edgeMap,
    );
    job.input = reduced.input;
    job.carried = reduced.carried;
    // The stage's input is no longer needed by anyone: free it now, not at the end.
    if (consumed.kind === "source") {
      // An analysis result's overlay is drawn on the source: its job keeps it (keepsSource).
      if (!keepsSource(job)) await ctx.blobs.delete(sourceName(job.id));
      await ctx.blobs.deletePrefix(`${sourceLayer(job.id)}/`);
    } else if (consumed.prefix !== output) {
      await ctx.blobs.deletePrefix(`${consumed.prefix}/`);
    }
    addTime(job, "stages", reduceStart - stageStart);
    addTime(job, "reduce", ctx.clock.now() - reduceStart);
    job.stage++;
    job.step = "stages";
    await ctx.persist(job);
  }
  await finalize(ctx, job, grid, last, pieces, greyLayer(plan, last.index, job.opaque === true) ? 1 : 4, edges);
  // (A result is set only when the job succeeded: a job canceled meanwhile has none.)
  if (job.result !== undefined && job.finishStartedAt !== undefined) {
    ctx.finishEstimates.record(finishKind, job.width * job.height, ctx.clock.now() - job.finishStartedAt);
  }
}

/**
 * Follows events until every band of the stage is done, starting from the bands found done
 * at dispatch (a band finished since then reports itself); false if the job ended meanwhile.
 * A dispatch that fails throws (the coordinator decides whether to retry). When no band has
 * finished for longer than a lock lasts, no worker may be running, or the broker may have
 * lost the messages (an emulator restarted): the job shows a STALLED warning and its missing
 * bands are sent again (a band that turns out done already is only reported, not rerun).
 */
async function collect(
  ctx: DriverContext,
  job: JobManifest,
  stage: Stage,
  output: string,
  events: EventSession,
  done: Set<number>,
  grid: Grid,
  dispatching: Promise<void>,
  redispatch: () => Promise<void>,
  onDone?: (band: number) => void,
): Promise<boolean> {
  let dispatchError: unknown;
  let dispatched = false;
  const watchDispatch = (sending: Promise<void>) =>
    sending.then(
      () => {
        dispatched = true;
      },
      (err: unknown) => {
        dispatchError = err ?? new Error("dispatch failed");
      },
    );
  void watchDispatch(dispatching);
  const stallMs = ctx.queue.config[TILES_QUEUE]?.lockDurationMs ?? DEFAULTS.queue.lockDurationMs;
  let lastProgress = ctx.clock.now();
  const progress = job.stages[stage.index] as { done: number; total: number };
  const total = bandCount(grid);
  progress.done = done.size * grid.cols;
  let lastLook = ctx.clock.now();
  for (;;) {
    if (dispatchError !== undefined) throw dispatchError;
    // Every band done means every band was sent: the dispatch is at most finishing up.
    if (done.size >= total) {
      await dispatching;
      break;
    }
    if (TERMINAL.has(job.status) || ctx.closed()) {
      await dispatching.catch(() => undefined);
      return false;
    }
    const received = await events.receive(64, ctx.pollMs);
    for (const event of received) {
      if (event.stage !== stage.index) continue;
      if (event.kind === "band-failed") {
        const where = event.tile !== undefined ? `tile ${event.tile}` : `band ${event.band}`;
        await ctx.fail(job, { code: "TILE_FAILED", message: `${where} of stage ${event.stage} failed: ${event.error}` });
        await dispatching.catch(() => undefined);
        return false;
      }
      if (done.has(event.band)) continue; // a redelivered band reports twice
      done.add(event.band);
      if (done.size === 1) await atPhase(job.id, "stages");
      lastProgress = ctx.clock.now();
      delete job.warning;
      onDone?.(event.band);
      progress.done = done.size * grid.cols;
      const workers = { ...job.tileWorkers };
      for (const tile of event.tiles) workers[tile] = event.worker;
      job.tileWorkers = workers;
      addTime(job, "read", event.readMs ?? 0);
      addTime(job, "kernels", event.kernelMs ?? 0);
      addTime(job, "write", event.writeMs ?? 0);
      job.updatedAt = ctx.clock.now();
      ctx.notify(job, event);
    }
    if (received.length > 0) continue;
    await ctx.deadLetters.look();
    // Events are hints: when they go quiet, the band blobs say what is done. A band whose
    // event never came (its worker died between writing and telling) is counted here.
    if (ctx.clock.now() - lastLook >= RECONCILE_POLLS * ctx.pollMs) {
      lastLook = ctx.clock.now();
      for (const band of await doneBands(ctx.blobs, output)) done.add(band);
      if (progress.done !== done.size * grid.cols) {
        progress.done = done.size * grid.cols;
        lastProgress = ctx.clock.now();
        delete job.warning;
        job.updatedAt = ctx.clock.now();
        ctx.notify(job);
      }
    }
    if (dispatched && done.size < total && ctx.clock.now() - lastProgress >= stallMs) {
      const seconds = Math.round((ctx.clock.now() - lastProgress) / 1000);
      job.warning = {
        code: "STALLED",
        message: `no band has finished for ${seconds} s: no worker may be running; ${plural(total - done.size, "band")} left, sent again`,
      };
      ctx.log.warn({ jobId: job.id, stage: stage.index, bandsLeft: total - done.size, seconds }, "job stalled; bands sent again");
      ctx.notify(job);
      lastProgress = ctx.clock.now();
      dispatched = false;
      void watchDispatch(redispatch());
    }
  }
  return !TERMINAL.has(job.status);
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;
