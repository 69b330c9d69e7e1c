/**
 * A worker loop: take the next free session of the `tiles` queue, run its bands one after
 * another, and repeat. Several loops run per process so that one loop's blob I/O, decoding
 * and encoding overlap the kernels of another's band on the pool. Everything goes through
 * the Queue, BlobStore and Codec ports: the same loop serves `tessera process` (embedded)
 * and `tessera worker` (Azure).
 *
 * Per band (band-message.ts): read input → the band's tiles on the pool → write output (a
 * deterministic name: a redelivered band rewrites the same bytes) → progress event → complete,
 * with the session lock renewed meanwhile (lock-keeper.ts). This module is the session loop
 * around it: wait out outages, accept a session, drain it, release it.
 */

import { Backoff, type BackoffOptions, pause } from "../engine/backoff.js";
import { PROBE_BLOB } from "../engine/blob-names.js";
import { DEFAULTS } from "../engine/defaults.js";
import { dependencyOf, HealthTracker, logChanges } from "../engine/health.js";
import { TimeoutError, withTimeout } from "../engine/health-probe.js";
import { type BandEvent, type BandMessage, TILES_QUEUE } from "../engine/messages.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import { type Clock, systemClock } from "../engine/ports/clock.js";
import type { Codec } from "../engine/ports/codec.js";
import { type Logger, silentLogger } from "../engine/ports/logger.js";
import type { Queue, SessionReceiver } from "../engine/ports/queue.js";
import type { BandBudget } from "./band-budget.js";
import { isQueueError, Killed, PROBE_ANSWER_MS, runBandMessage } from "./band-message.js";
import { type LoopBuffers, loopBuffers, type TileRunner } from "./band-runner.js";

export type { TileRunner } from "./band-runner.js";

export interface WorkerLoopOptions {
  queue: Queue;
  blobs: BlobStore;
  /** Decodes source pieces and encodes result pieces. */
  codec: Codec;
  pool: TileRunner;
  /** Touches a fresh window buffer's pages off the main thread (a TouchTask on the pool); optional. */
  touch?: (buffer: SharedArrayBuffer) => void;
  /** The band rows the worker's loops may hold at once (band-budget.ts); unbounded without. */
  bandBudget?: BandBudget;
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
  /** Time for health reports; default the system clock. */
  clock?: Clock;
  /**
   * Where the loop says how the queue and blob storage answer (one tracker per worker
   * process, shared by its loops); default a tracker of its own that logs changes to `log`.
   */
  health?: HealthTracker;
  /** Delays between retries while a dependency fails; defaults in engine/backoff.ts. */
  backoff?: BackoffOptions;
}

export async function runWorkerLoop(options: WorkerLoopOptions): Promise<void> {
  const { queue, stop, kill } = options;
  const halted = (): boolean => Boolean(stop?.aborted || kill?.aborted);
  const log = options.log ?? silentLogger;
  const health = options.health ?? new HealthTracker({ onChange: logChanges(log) });
  // Jittered, so that the loops of every worker do not retry a dependency that comes back in lockstep.
  const backoff = new Backoff(options.backoff);
  const buffers = loopBuffers(options.bandBudget, options.touch);
  while (!halted()) {
    // While blob storage is down, take no band: each one taken would only be given back, and
    // every give-back spends one of the band's deliveries (enough of them and a band is
    // dead-lettered, failing its job, for an outage it had no part in). Instead the loop asks
    // storage itself, with backoff, until it answers (or a heartbeat or probe saw it answer).
    if (!health.isOk("blobs")) {
      const asked = (options.clock ?? systemClock).now();
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
    const asked = (options.clock ?? systemClock).now();
    try {
      receiver = await queue.acceptSession(TILES_QUEUE, undefined, {
        timeoutMs: options.acceptTimeoutMs ?? DEFAULTS.acceptTimeoutMs,
      });
      // Even an accept that found no session heard from the broker.
      health.ok("queue");
      if (receiver)
        log.debug({ session: receiver.sessionId, acceptMs: (options.clock ?? systemClock).now() - asked }, "session accepted");
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
  buffers: LoopBuffers & { release(): void },
  health: HealthTracker,
): Promise<void> {
  while (!options.stop?.aborted) {
    if (options.kill?.aborted) throw new Killed();
    const asked = (options.clock ?? systemClock).now();
    const [message] = await receiver.receive(1, { timeoutMs: options.receiveTimeoutMs ?? 0 }).catch((err: unknown) => {
      const dependency = dependencyOf(err);
      if (dependency) health.failed(dependency, err, asked);
      throw err;
    });
    if (!message) return;
    const completed = await runBandMessage(receiver, message, options, buffers, health);
    if (completed && (message.body as Partial<BandMessage>).last === true) return;
  }
}

/**
 * Closes a session, bounded: a broker that died mid-call can leave the SDK waiting a minute
 * or more, and the loop has other sessions to take (an unreleased lock expires by itself).
 */
async function release(receiver: SessionReceiver): Promise<void> {
  await withTimeout(receiver.close(), PROBE_ANSWER_MS, "close the session").catch(() => undefined);
}
