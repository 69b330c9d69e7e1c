/**
 * A worker loop: take the next free session of the `tiles` queue, run its tiles one after
 * another, and repeat. Several loops run per process so the pool's threads stay busy while
 * a loop waits on I/O. Everything goes through the Queue and BlobStore ports: the same loop
 * serves `tessera process` (embedded) and `tessera worker` (Azure).
 *
 * Per tile: read window → pool → write result (deterministic name: a redelivered tile
 * rewrites the same bytes) → progress event → complete → checkpoint in session state.
 */

import { stoppedMarker } from "../engine/job.js";
import { asBody, EVENTS_QUEUE, isTileMessage, TILES_QUEUE, type TileEvent, type TileMessage } from "../engine/messages.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import { type Logger, silentLogger } from "../engine/ports/logger.js";
import type { Queue, ReceivedMessage, SessionReceiver } from "../engine/ports/queue.js";
import { histogramName, readTile, readWindow, tileName, writeTile } from "../engine/tile-store.js";
import { coreInWindow } from "../engine/tile-work.js";
import { makeGrid, windowRect } from "../engine/tiling.js";
import type { TileTask, TileTaskResult } from "./pool-messages.js";

/** What the loop needs from a pool (KernelPool, or a stand-in in tests). */
export interface TileRunner {
  run(task: TileTask, signal?: AbortSignal): Promise<TileTaskResult>;
}

export interface WorkerLoopOptions {
  queue: Queue;
  blobs: BlobStore;
  pool: TileRunner;
  /** Reported with every tile, for the UI's tile map and /v1/cluster. */
  workerId: string;
  /** Stops the loop after the tile in hand (graceful: SIGTERM). */
  stop?: AbortSignal;
  /**
   * Kills the loop at once, as if its process died: the tile in hand is aborted and nothing
   * is settled or released, so its session comes back only when the lock expires.
   */
  kill?: AbortSignal;
  /** Wait for a free session per attempt. Default 2000 ms. */
  acceptTimeoutMs?: number;
  /**
   * Wait for the next message of a session before releasing it. Default 0: the coordinator
   * sends a band's tiles in one batch, so an empty session is a finished one, and waiting
   * would only idle the loop (at 100 ms a 24 MP job lost ~40% of its time here).
   */
  receiveTimeoutMs?: number;
  /** Called after every finished tile, with the message it ran (for per-op metrics). */
  onTile?: (event: TileEvent, tile: TileMessage) => void;
  /** Tile-level logs (each line with jobId and tile); silent by default. */
  log?: Logger;
}

class Killed extends Error {}

export async function runWorkerLoop(options: WorkerLoopOptions): Promise<void> {
  const { queue, stop, kill } = options;
  const halted = (): boolean => Boolean(stop?.aborted || kill?.aborted);
  const log = options.log ?? silentLogger;
  let backoffMs = 0;
  while (!halted()) {
    let receiver: SessionReceiver | null;
    try {
      receiver = await queue.acceptSession(TILES_QUEUE, undefined, { timeoutMs: options.acceptTimeoutMs ?? 2000 });
      backoffMs = 0;
    } catch (err) {
      // Another loop won the session, or the broker is unreachable: back off (doubling up to
      // 5 s, so an outage is not hammered by every loop) and try again.
      if (isQueueError(err, "QUEUE_CLOSED")) return;
      backoffMs = Math.min(5_000, backoffMs === 0 ? 100 : backoffMs * 2);
      if (backoffMs >= 1_600) log.warn({ err: (err as Error).message, retryInMs: backoffMs }, "cannot accept sessions");
      await sleep(backoffMs);
      continue;
    }
    if (!receiver) continue;
    try {
      await drainSession(receiver, options);
    } catch (err) {
      if (err instanceof Killed) return; // a dead process settles nothing and releases nothing
      if (isQueueError(err, "QUEUE_CLOSED")) return;
      // A lost lock or a broker hiccup ends this session, not the loop: what was not settled
      // is redelivered. Anything else is a bug and ends the loop loudly.
      if (!isQueueError(err, "QUEUE_LOCK_LOST") && !isQueueError(err, "QUEUE_UNAVAILABLE")) throw err;
      log.warn(
        { session: receiver.sessionId, code: (err as { code?: string }).code, err: (err as Error).message },
        "session ended early; its unsettled tiles will be redelivered",
      );
      if (isQueueError(err, "QUEUE_UNAVAILABLE")) await sleep(500);
    }
    await receiver.close().catch(() => undefined);
  }
}

async function drainSession(receiver: SessionReceiver, options: WorkerLoopOptions): Promise<void> {
  let done = 0;
  while (!options.stop?.aborted) {
    if (options.kill?.aborted) throw new Killed();
    const [message] = await receiver.receive(1, { timeoutMs: options.receiveTimeoutMs ?? 0 });
    if (!message) return;
    if (await runTile(receiver, message, options)) {
      done++;
      await receiver.setState({ tilesDone: done, lastMessage: message.messageId });
      if ((message.body as Partial<TileMessage>).last === true) return;
    }
  }
}

/** Runs one tile message; true when it was processed and completed. */
async function runTile(receiver: SessionReceiver, message: ReceivedMessage, options: WorkerLoopOptions): Promise<boolean> {
  const { blobs, queue } = options;
  if (!isTileMessage(message.body)) {
    await receiver.deadLetter(message, "InvalidMessage", "not a tile message");
    return false;
  }
  const tile = message.body as TileMessage;
  if (await blobs.exists(stoppedMarker(tile.jobId))) {
    await receiver.complete(message); // canceled or failed job: drop the tile
    return false;
  }
  if (await blobs.exists(tileName(tile.output, tile.tile))) {
    // Done already: a duplicate (a coordinator that restarted re-sends tiles it cannot see in
    // the queue) or a redelivery after the result was written. Its private window may be gone,
    // so do not run it again; report it so the coordinator counts it.
    await reportDone(tile, options, 0);
    await receiver.complete(message);
    return true;
  }
  const renew = keepLocked(receiver, queue);
  const abort = new AbortController();
  const onKill = (): void => abort.abort();
  options.kill?.addEventListener("abort", onKill);
  try {
    const grid = makeGrid(tile.grid.width, tile.grid.height, tile.grid.tileSize);
    const window = tile.inputWindows
      ? await readTile(blobs, tile.input, grid, tile.tile, tile.halo)
      : await readWindow(blobs, tile.input, grid, windowRect(grid, tile.tile, tile.halo));
    const started = Date.now();
    const result = await options.pool.run(
      { window, core: coreInWindow(grid, tile.tile, tile.halo), steps: tile.steps, histogram: tile.histogram },
      abort.signal,
    );
    if (options.kill?.aborted) throw new Killed();
    if (result.histogram) await blobs.put(histogramName(tile.output, tile.tile), new Uint8Array(result.histogram.buffer));
    // The tile blob last: once it exists the tile counts as done (histogram included).
    await writeTile(blobs, tile.output, tile.tile, result.core);
    // Tell the job before settling: a worker that dies after settling but before telling would
    // leave the job one tile short forever, while one that dies before settling only gets its
    // message redelivered, found done, and reported again (the coordinator counts it once).
    await reportDone(tile, options, Date.now() - started);
    await receiver.complete(message);
    // A private window is spent once its tile is complete (not before: a redelivery may run it).
    if (tile.inputWindows) await blobs.delete(tileName(tile.input, tile.tile));
    return true;
  } catch (err) {
    if (options.kill?.aborted) throw new Killed();
    if (isQueueError(err, "QUEUE_LOCK_LOST")) throw err;
    await giveBack(receiver, message, tile, err as Error, options);
    return false;
  } finally {
    renew();
    options.kill?.removeEventListener("abort", onKill);
  }
}

async function reportDone(tile: TileMessage, options: WorkerLoopOptions, ms: number): Promise<void> {
  (options.log ?? silentLogger).debug(
    { jobId: tile.jobId, stage: tile.stage, tile: tile.tile, ms, duplicate: ms === 0 },
    "tile done",
  );
  const event: TileEvent = {
    kind: "tile-done",
    jobId: tile.jobId,
    stage: tile.stage,
    tile: tile.tile,
    worker: options.workerId,
    ms,
  };
  await options.queue.send(EVENTS_QUEUE, [{ sessionId: tile.jobId, body: asBody(event) }]);
  options.onTile?.(event, tile);
}

/**
 * A tile that failed goes back for another try, unless this was its last allowed delivery:
 * then it is dead-lettered with the reason, and the job hears it at once.
 */
async function giveBack(
  receiver: SessionReceiver,
  message: ReceivedMessage,
  tile: TileMessage,
  err: Error,
  options: WorkerLoopOptions,
): Promise<void> {
  const max = options.queue.config[TILES_QUEUE]?.maxDeliveryCount ?? 10;
  const log = (options.log ?? silentLogger).child({ jobId: tile.jobId, stage: tile.stage, tile: tile.tile });
  if (message.deliveryCount < max) {
    log.warn(
      { err: err.message, delivery: message.deliveryCount, maxDeliveries: max },
      "tile failed; it goes back for another try",
    );
    await receiver.abandon(message);
    return;
  }
  log.error({ err: err.message, delivery: message.deliveryCount }, "tile failed on its last delivery; dead-lettered");
  await receiver.deadLetter(message, "TileFailed", err.message);
  const event: TileEvent = {
    kind: "tile-failed",
    jobId: tile.jobId,
    stage: tile.stage,
    tile: tile.tile,
    worker: options.workerId,
    ms: 0,
    error: err.message,
  };
  await options.queue.send(EVENTS_QUEUE, [{ sessionId: tile.jobId, body: asBody(event) }]);
}

/** Renews the session lock at a third of its duration while a tile runs; returns the stopper. */
function keepLocked(receiver: SessionReceiver, queue: Queue): () => void {
  const lockMs = queue.config[TILES_QUEUE]?.lockDurationMs ?? 60_000;
  const timer = setInterval(() => void receiver.renewLock().catch(() => undefined), Math.max(50, lockMs / 3));
  timer.unref?.();
  return () => clearInterval(timer);
}

function isQueueError(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === code;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
