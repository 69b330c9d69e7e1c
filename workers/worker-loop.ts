/**
 * A worker loop: take the next free session of the `tiles` queue, run its bands one after
 * another, and repeat. Several loops run per process so that one loop's blob I/O, decoding
 * and encoding overlap the kernels of another's band on the pool. Everything goes through
 * the Queue, BlobStore and Codec ports: the same loop serves `tessera process` (embedded)
 * and `tessera worker` (Azure).
 *
 * Per band: read input → the band's tiles on the pool → write output (a deterministic name:
 * a redelivered band rewrites the same bytes) → progress event → complete.
 */

import { setMaxListeners } from "node:events";
import { Backoff, type BackoffOptions, pause } from "../engine/backoff.js";
import { dependencyOf, HealthTracker, logChanges, PROBE_BLOB, TimeoutError, withTimeout } from "../engine/health.js";
import { stoppedMarker } from "../engine/job.js";
import { asBody, type BandEvent, type BandMessage, EVENTS_QUEUE, isBandMessage, TILES_QUEUE } from "../engine/messages.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import type { Codec } from "../engine/ports/codec.js";
import { type Logger, silentLogger } from "../engine/ports/logger.js";
import type { Queue, ReceivedMessage, SessionReceiver } from "../engine/ports/queue.js";
import { bandTiles } from "../engine/tiling.js";
import {
  BandBuffer,
  gridOf,
  outputOf,
  privateInputOf,
  runBand,
  type TileBuffers,
  TileFailure,
  type TileRunner,
  writeBandResult,
} from "./band-runner.js";

export type { TileRunner } from "./band-runner.js";

export interface WorkerLoopOptions {
  queue: Queue;
  blobs: BlobStore;
  /** Decodes source pieces and encodes result pieces. */
  codec: Codec;
  pool: TileRunner;
  /** The worker's tile window buffers, shared by its loops. */
  tileBuffers: TileBuffers;
  /** Reported with every band, for the UI's tile map and /v1/cluster. */
  workerId: string;
  /** Stops the loop after the band in hand (graceful: SIGTERM). */
  stop?: AbortSignal;
  /**
   * Kills the loop at once, as if its process died: the band in hand is aborted and nothing
   * is settled or released, so its session comes back only when the lock expires.
   */
  kill?: AbortSignal;
  /** Wait for a free session per attempt. Default 2000 ms. */
  acceptTimeoutMs?: number;
  /**
   * Wait for the next message of a session before releasing it. Default 0: the coordinator
   * sends a session's messages in one batch, so an empty session is a finished one, and
   * waiting would only idle the loop (at 100 ms a 24 MP job lost ~40% of its time here).
   */
  receiveTimeoutMs?: number;
  /** Called after every finished band, with the message it ran (for per-op metrics). */
  onBand?: (event: BandEvent, band: BandMessage) => void;
  /** Band-level logs (each line with jobId, stage and band); silent by default. */
  log?: Logger;
  /**
   * Where the loop says how the queue and blob storage answer (one tracker per worker
   * process, shared by its loops); default a tracker of its own that logs changes to `log`.
   */
  health?: HealthTracker;
  /** Delays between retries while a dependency fails; defaults in engine/backoff.ts. */
  backoff?: BackoffOptions;
}

class Killed extends Error {}

/**
 * How long the loop waits for storage to answer its probe, or for the broker to take back a
 * band or a session during an outage (those calls' failure changes nothing the loop does).
 */
const PROBE_ANSWER_MS = 2_000;

export async function runWorkerLoop(options: WorkerLoopOptions): Promise<void> {
  const { queue, stop, kill } = options;
  const halted = (): boolean => Boolean(stop?.aborted || kill?.aborted);
  const log = options.log ?? silentLogger;
  const health = options.health ?? new HealthTracker({ onChange: logChanges(log) });
  // Jittered, so that the loops of every worker do not retry a dependency that comes back in lockstep.
  const backoff = new Backoff(options.backoff);
  const buffers = new BandBuffer();
  while (!halted()) {
    // While blob storage is down, take no band: each one taken would only be given back, and
    // every give-back spends one of the band's deliveries (enough of them and a band is
    // dead-lettered, failing its job, for an outage it had no part in). Instead the loop asks
    // storage itself, with backoff, until it answers (or a heartbeat or probe saw it answer).
    if (!health.isOk("blobs")) {
      const asked = Date.now();
      try {
        // Bounded: Azure's SDK retries a refused call for many seconds, and a fresh call answers
        // at once when storage is back, while one made during the outage may still be retrying.
        await withTimeout(options.blobs.exists(PROBE_BLOB), PROBE_ANSWER_MS, "blob storage");
        health.ok("blobs");
        backoff.reset();
      } catch (err) {
        if (dependencyOf(err) === undefined && !(err instanceof TimeoutError)) throw err;
        health.failed("blobs", err, asked);
        await pause(backoff.next(), stop, kill);
        continue;
      }
    }
    let receiver: SessionReceiver | null;
    const asked = Date.now();
    try {
      receiver = await queue.acceptSession(TILES_QUEUE, undefined, { timeoutMs: options.acceptTimeoutMs ?? 2000 });
      // Even an accept that found no session heard from the broker.
      health.ok("queue");
      backoff.reset();
    } catch (err) {
      if (isQueueError(err, "QUEUE_CLOSED")) return;
      const dependency = dependencyOf(err);
      // Anything but an outage or a lost race for a session is a bug (a TypeError, a queue
      // that is not configured): end the loop loudly rather than spin on it.
      if (dependency === undefined && !isQueueError(err, "QUEUE_SESSION_LOCKED")) throw err;
      if (dependency) health.failed(dependency, err, asked);
      await pause(backoff.next(), stop, kill);
      continue;
    }
    if (!receiver) continue;
    try {
      await drainSession(receiver, options, buffers, health);
    } catch (err) {
      if (err instanceof Killed) return; // a dead process settles nothing and releases nothing
      if (isQueueError(err, "QUEUE_CLOSED")) return;
      // A lost lock or an outage (of the broker or of storage) ends this session, not the
      // loop: what was not settled is redelivered. Anything else is a bug and ends the loop loudly.
      const dependency = dependencyOf(err);
      if (dependency === undefined && !isQueueError(err, "QUEUE_LOCK_LOST")) throw err;
      const fields = { session: receiver.sessionId, code: (err as { code?: string }).code, err: (err as Error).message };
      if (dependency === undefined) {
        log.warn(fields, "session ended early; its unsettled bands will be redelivered");
      } else {
        // Said once per outage by the tracker (logChanges), which the failed call told already
        // (as of when it was made); every retry would flood the log.
        log.debug(fields, "session ended by an outage; its unsettled bands will be redelivered");
        await release(receiver);
        await pause(backoff.next(), stop, kill);
        continue;
      }
    }
    await release(receiver);
  }
}

async function drainSession(
  receiver: SessionReceiver,
  options: WorkerLoopOptions,
  buffers: BandBuffer,
  health: HealthTracker,
): Promise<void> {
  while (!options.stop?.aborted) {
    if (options.kill?.aborted) throw new Killed();
    const asked = Date.now();
    const [message] = await receiver.receive(1, { timeoutMs: options.receiveTimeoutMs ?? 0 }).catch((err: unknown) => {
      const dependency = dependencyOf(err);
      if (dependency) health.failed(dependency, err, asked);
      throw err;
    });
    if (!message) return;
    const completed = await runMessage(receiver, message, options, buffers, health);
    if (completed && (message.body as Partial<BandMessage>).last === true) return;
  }
}

/**
 * Runs one band message; true when it was processed and completed. Every blob and queue call
 * is inside the try: a failing dependency gives the band back (abandoned, or, with the broker
 * gone, left for its lock to expire) and rejects with the dependency's error, so that the
 * loop backs off instead of burning the band's deliveries while the outage lasts.
 */
async function runMessage(
  receiver: SessionReceiver,
  message: ReceivedMessage,
  options: WorkerLoopOptions,
  buffers: BandBuffer,
  health: HealthTracker,
): Promise<boolean> {
  const { blobs, queue } = options;
  if (!isBandMessage(message.body)) {
    await receiver.deadLetter(message, "InvalidMessage", "not a band message");
    return false;
  }
  const band = message.body as BandMessage;
  const stopped = () => blobs.exists(stoppedMarker(band.jobId));
  // Locked from the first blob call: against a storage that hangs, even a check can outlast a lock.
  const renew = keepLocked(receiver, queue);
  const abort = new AbortController();
  // Every tile of the band listens on it while it waits for a thread.
  setMaxListeners(0, abort.signal);
  const onKill = (): void => abort.abort();
  options.kill?.addEventListener("abort", onKill);
  const started = performance.now();
  // What the band's calls report to the health tracker is as of its start (see HealthTracker.failed).
  const asked = Date.now();
  let completed = false;
  try {
    if (await stopped()) {
      await receiver.complete(message); // canceled or failed job: drop the band
      return false;
    }
    if (await blobs.exists(outputOf(band))) {
      // Done already: a duplicate (a coordinator that restarted re-sends bands it cannot see in
      // the queue) or a redelivery after the result was written. Its private input may be gone,
      // so do not run it again; report it so the coordinator counts it.
      await report(band, options, { ms: 0 });
      await receiver.complete(message);
      return true;
    }
    const result = await runBand(band, options, buffers, abort.signal);
    if (options.kill?.aborted) throw new Killed();
    // The job may have ended while the kernels ran: then write nothing it would leave behind.
    if (await stopped()) {
      await receiver.complete(message);
      return false;
    }
    const writeMs = await writeBandResult(band, result, options);
    health.ok("blobs");
    const { kernelMs, readMs } = result;
    // Tell the job before settling: a worker that dies after settling but before telling would
    // leave the job one band short forever, while one that dies before settling only gets its
    // message redelivered, found done, and reported again (the coordinator counts it once).
    await report(band, options, { ms: Math.round(performance.now() - started), kernelMs, readMs, writeMs });
    await receiver.complete(message);
    completed = true;
    health.ok("queue");
    // A private input is spent once its band is complete (not before: a redelivery may run it).
    const input = privateInputOf(band);
    if (input) await blobs.delete(input);
    return true;
  } catch (err) {
    if (options.kill?.aborted) throw new Killed();
    // A lost lock is the broker's to resolve; a closed queue is a shutdown in progress (Ctrl-C
    // on `tessera serve`): nothing can be settled or given back, and the band is not at fault.
    if (isQueueError(err, "QUEUE_LOCK_LOST") || isQueueError(err, "QUEUE_CLOSED")) throw err;
    const dependency = dependencyOf(err);
    if (dependency !== undefined) {
      health.failed(dependency, err, asked);
      // The band is done and settled; only its spent input stays behind (the job's own cleanup
      // removes it). Nothing to give back: the outage is the loop's to wait out.
      if (completed) return true;
      // Not the band's fault: back it goes, and never to the dead letters from here (on its
      // last delivery the broker dead-letters it itself). With the broker gone the abandon
      // fails too (or hangs: bounded), and the lock's expiry brings the band back instead.
      await withTimeout(receiver.abandon(message), PROBE_ANSWER_MS, "abandon the band").catch(() => undefined);
      throw err;
    }
    await giveBack(receiver, message, band, err as Error, options);
    return false;
  } finally {
    renew();
    options.kill?.removeEventListener("abort", onKill);
  }
}

async function report(
  band: BandMessage,
  options: WorkerLoopOptions,
  time: Pick<BandEvent, "ms" | "kernelMs" | "readMs" | "writeMs">,
): Promise<void> {
  (options.log ?? silentLogger).debug(
    { jobId: band.jobId, stage: band.stage, band: band.band, ...time, duplicate: time.ms === 0 },
    "band done",
  );
  const event = await tellJob(band, options, { kind: "band-done", ...time });
  options.onBand?.(event, band);
}

/** Sends the band's event on its job's session of the `events` queue. */
async function tellJob(
  band: BandMessage,
  options: WorkerLoopOptions,
  what: Pick<BandEvent, "kind" | "ms" | "kernelMs" | "readMs" | "writeMs" | "tile" | "error">,
): Promise<BandEvent> {
  const event: BandEvent = {
    jobId: band.jobId,
    stage: band.stage,
    band: band.band,
    tiles: bandTiles(gridOf(band), band.band),
    worker: options.workerId,
    ...what,
  };
  await options.queue.send(EVENTS_QUEUE, [{ sessionId: band.jobId, body: asBody(event) }]);
  return event;
}

/**
 * A band that failed goes back for another try, unless this was its last allowed delivery:
 * then it is dead-lettered with the reason, and the job hears it at once.
 */
async function giveBack(
  receiver: SessionReceiver,
  message: ReceivedMessage,
  band: BandMessage,
  err: Error,
  options: WorkerLoopOptions,
): Promise<void> {
  const max = options.queue.config[TILES_QUEUE]?.maxDeliveryCount ?? 10;
  const tile = err instanceof TileFailure ? err.tile : undefined;
  const log = (options.log ?? silentLogger).child({ jobId: band.jobId, stage: band.stage, band: band.band, tile });
  if (message.deliveryCount < max) {
    log.warn(
      { err: err.message, delivery: message.deliveryCount, maxDeliveries: max },
      "band failed; it goes back for another try",
    );
    await receiver.abandon(message);
    return;
  }
  log.error({ err: err.message, delivery: message.deliveryCount }, "band failed on its last delivery; dead-lettered");
  await receiver.deadLetter(message, "BandFailed", err.message);
  await tellJob(band, options, {
    kind: "band-failed",
    ms: 0,
    ...(tile !== undefined && { tile }),
    error: err.message,
  });
}

/** Renews the session lock at a third of its duration while a band runs; returns the stopper. */
function keepLocked(receiver: SessionReceiver, queue: Queue): () => void {
  const lockMs = queue.config[TILES_QUEUE]?.lockDurationMs ?? 60_000;
  const timer = setInterval(() => void receiver.renewLock().catch(() => undefined), Math.max(50, lockMs / 3));
  timer.unref?.();
  return () => clearInterval(timer);
}

/**
 * Closes a session, bounded: a broker that died mid-call can leave the SDK waiting a minute
 * or more, and the loop has other sessions to take (an unreleased lock expires by itself).
 */
async function release(receiver: SessionReceiver): Promise<void> {
  await withTimeout(receiver.close(), PROBE_ANSWER_MS, "close the session").catch(() => undefined);
}

function isQueueError(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === code;
}
