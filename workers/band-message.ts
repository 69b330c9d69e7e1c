/**
 * One band message of a `tiles` session, from receipt to settlement: check that its job still
 * runs, run its tiles (band-runner.ts; a band whose input is gone is checked for being done
 * already), write the result (band-writer.ts), tell the job, complete the message. The session lock is kept meanwhile (lock-keeper.ts); a lost
 * lock stops the band's tiles. The session loop around it (worker-loop.ts) decides what an
 * error thrown from here means for the session and for the loop.
 */

import { setMaxListeners } from "node:events";
import { stoppedMarker } from "../engine/blob-names.js";
import { DEFAULTS } from "../engine/defaults.js";
import { dependencyOf, type HealthTracker } from "../engine/health.js";
import { withTimeout } from "../engine/health-probe.js";
import { asBody, type BandEvent, type BandMessage, bandMessageProblem, EVENTS_QUEUE, TILES_QUEUE } from "../engine/messages.js";
import { BlobError } from "../engine/ports/blob-store.js";
import { systemClock } from "../engine/ports/clock.js";
import { silentLogger } from "../engine/ports/logger.js";
import type { ReceivedMessage, SessionReceiver } from "../engine/ports/queue.js";
import { bandTiles } from "../engine/tiling.js";
import { bandShare, gridOf, type LoopBuffers, outputOf, privateInputOf, runBand, TileFailure } from "./band-runner.js";
import { writeBandResult } from "./band-writer.js";
import { LockKeeper } from "./lock-keeper.js";
import type { WorkerLoopOptions } from "./worker-loop.js";

/** The loop was killed (its process "died"): settle nothing, release nothing. */
export class Killed extends Error {}

/**
 * How long the loop waits for storage to answer its probe, or for the broker to take back a
 * band or a session during an outage (those calls' failure changes nothing the loop does).
 */
export const PROBE_ANSWER_MS = 2_000;

export function isQueueError(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === code;
}

const isBlobNotFound = (err: unknown): boolean => err instanceof BlobError && err.code === "BLOB_NOT_FOUND";

/** What a band's run gives when the band turned out to be done already. */
const DONE = Symbol("done already");

/**
 * Runs one band message; true when it was processed and completed. Every blob and queue call
 * is inside the try: a failing dependency gives the band back (abandoned, or, with the broker
 * gone, left for its lock to expire) and rejects with the dependency's error, so that the
 * loop backs off instead of burning the band's deliveries while the outage lasts.
 */
export async function runBandMessage(
  receiver: SessionReceiver,
  message: ReceivedMessage,
  options: WorkerLoopOptions,
  buffers: LoopBuffers & { release(): void },
  health: HealthTracker,
): Promise<boolean> {
  const { blobs, queue } = options;
  // Parsed where it is read: a malformed message is dead-lettered with what is wrong with it.
  const problem = bandMessageProblem(message.body);
  if (problem !== undefined) {
    await receiver.deadLetter(message, "InvalidMessage", problem);
    return false;
  }
  const band = message.body as unknown as BandMessage; // checked above
  const stopped = () => blobs.exists(stoppedMarker(band.jobId));
  const abort = new AbortController();
  // Every tile of the band listens on it while it waits for a thread.
  setMaxListeners(0, abort.signal);
  // Locked from the first blob call: against a storage that hangs, even a check can outlast a
  // lock. A lock lost meanwhile aborts the band: its tiles stop rather than run to a settle that fails.
  const lock = new LockKeeper({
    receiver,
    lockMs: queue.config[TILES_QUEUE]?.lockDurationMs ?? DEFAULTS.queue.lockDurationMs,
    abort,
    band,
    log: options.log ?? silentLogger,
  });
  const onKill = (): void => abort.abort();
  options.kill?.addEventListener("abort", onKill);
  const started = performance.now();
  // When each step ended, in ms since receipt: logged at debug level once the band is settled,
  // the per-band breakdown docs/performance.md shows ("One band in the cluster").
  const steps: Record<string, number> = {};
  const step = (name: string): void => {
    steps[name] = Math.round(performance.now() - started);
  };
  // What the band's calls report to the health tracker is as of its start (see HealthTracker.failed).
  const asked = (options.clock ?? systemClock).now();
  let completed = false;
  let held = 0;
  try {
    // A piece input (an encoded JPEG piece: small) is fetched while the job is checked: one
    // round trip to storage fewer before the band can start. Its failure is the read's, below.
    const fetched = band.input.kind === "piece" ? blobs.get(band.input.name) : undefined;
    fetched?.catch(() => undefined);
    if (await stopped()) {
      await receiver.complete(message); // canceled or failed job: drop the band
      return false;
    }
    step("checked");
    // A wide band waits here for room (band-budget.ts), its lock kept alive meanwhile.
    await options.bandBudget?.take(bandShare(band), abort.signal);
    held = bandShare(band);
    const result = await runBand(band, options, buffers, abort.signal, fetched).catch(
      async (err: unknown): Promise<typeof DONE> => {
        // Done already? A duplicate (a coordinator that restarted re-sends bands it cannot see in
        // the queue) whose input was spent or cleaned up. Asked only then, not before every band
        // (a blob round trip each): a band whose input is still there runs, and if it was done
        // (a redelivery after its write), it writes the same bytes again.
        if (isBlobNotFound(err) && (await blobs.exists(outputOf(band)))) return DONE;
        throw err;
      },
    );
    if (result === DONE) {
      await report(band, options, { ms: 0 }); // so the coordinator counts it
      await receiver.complete(message);
      return true;
    }
    step("computed");
    if (options.kill?.aborted) throw new Killed();
    // The job may have ended while the kernels ran: then write nothing it would leave behind.
    // Asked while the band encodes.
    const mayWrite = stopped().then((s) => !s);
    mayWrite.catch(() => undefined); // awaited by the write, or its failure is the write's
    const writeMs = await writeBandResult(band, result, {
      blobs,
      codec: options.codec,
      handedOver: () => buffers.result.discard(),
      mayWrite,
    });
    if (writeMs === undefined) {
      await receiver.complete(message);
      return false;
    }
    health.ok("blobs");
    step("written");
    const { kernelMs, readMs } = result;
    // Tell the job before settling: a worker that dies after settling but before telling would
    // leave the job one band short forever, while one that dies before settling only gets its
    // message redelivered, run (or found done) and reported again (the coordinator counts it once).
    await report(band, options, { ms: Math.round(performance.now() - started), kernelMs, readMs, writeMs });
    step("reported");
    await receiver.complete(message);
    completed = true;
    health.ok("queue");
    step("completed");
    (options.log ?? silentLogger).debug(
      { jobId: band.jobId, stage: band.stage, band: band.band, readMs, kernelMs, writeMs, steps },
      "band settled",
    );
    // A private input is spent once its band is complete (not before: a redelivery may run it).
    const input = privateInputOf(band);
    if (input) await blobs.delete(input);
    return true;
  } catch (err) {
    if (options.kill?.aborted) throw new Killed();
    // Whatever the aborted band threw (the pool's AbortError, a settle under the lost lock),
    // the cause is the lock: the session loop drops the session, and the band is redelivered.
    if (lock.lost && !completed) throw lock.lost;
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
    lock.stop();
    options.kill?.removeEventListener("abort", onKill);
    buffers.release();
    options.bandBudget?.give(held);
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
  const max = options.queue.config[TILES_QUEUE]?.maxDeliveryCount ?? DEFAULTS.queue.maxDeliveryCount;
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
