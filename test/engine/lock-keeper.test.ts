// The worker's session-lock keeper (workers/lock-keeper.ts): renewals at a third of the lock
// duration, a lost lock aborting the band at once (warned once), transient renewal failures
// retried until the lock's deadline, all on the embedded queue and a manual clock.

import { describe, expect, it, vi } from "vitest";
import { TILES_QUEUE } from "../../engine/messages.js";
import type { LogFields, Logger } from "../../engine/ports/logger.js";
import { QueueError, type SessionReceiver } from "../../engine/ports/queue.js";
import { MemoryQueue } from "../../infra/memory/memory-queue.js";
import { LockKeeper } from "../../workers/lock-keeper.js";
import { ManualClock } from "../helpers/manual-clock.js";

const LOCK_MS = 300;
const BAND = { jobId: "job-1", stage: 0, band: 3 };

function recordingLogger(): { log: Logger; warnings: { fields: LogFields; message: string }[] } {
  const warnings: { fields: LogFields; message: string }[] = [];
  const ignore = (): void => undefined;
  const log: Logger = {
    debug: ignore,
    info: ignore,
    warn: (fields, message) => warnings.push({ fields, message }),
    error: ignore,
    child: () => log,
  };
  return { log, warnings };
}

/** A session of the tiles queue, locked, with a keeper renewing it on the queue's manual clock. */
async function keptSession() {
  const clock = new ManualClock();
  const queue = new MemoryQueue({ [TILES_QUEUE]: { lockDurationMs: LOCK_MS, maxDeliveryCount: 5 } }, { clock });
  await queue.send(TILES_QUEUE, [{ sessionId: BAND.jobId, body: { band: BAND.band } }]);
  const receiver = (await queue.acceptSession(TILES_QUEUE, undefined, { timeoutMs: 0 })) as SessionReceiver;
  expect(receiver).not.toBeNull();
  const [message] = await receiver.receive(1, { timeoutMs: 0 });
  const renewals = vi.spyOn(receiver, "renewLock");
  const abort = new AbortController();
  const { log, warnings } = recordingLogger();
  const start = () => new LockKeeper({ receiver, lockMs: LOCK_MS, abort, band: BAND, log, clock });
  return { clock, queue, receiver, message, renewals, abort, warnings, start };
}

const unavailable = () => new QueueError("QUEUE_UNAVAILABLE", "the broker could not be reached");

describe("LockKeeper", () => {
  it("renews at a third of the lock duration, so a band that outlasts the lock keeps it", async () => {
    const { clock, receiver, message, renewals, abort, warnings, start } = await keptSession();
    const keeper = start();
    await clock.advance(LOCK_MS / 3);
    expect(renewals).toHaveBeenCalledTimes(1);
    await clock.advance(10 * LOCK_MS - LOCK_MS / 3);
    expect(renewals).toHaveBeenCalledTimes(30);
    expect(receiver.lockedUntil).toBeGreaterThan(clock.now());
    expect(abort.signal.aborted).toBe(false);
    expect(keeper.lost).toBeUndefined();
    expect(warnings).toEqual([]);
    await receiver.complete(message as NonNullable<typeof message>); // still held: settles
    keeper.stop();
  });

  it("stops renewing once stopped: the lock then lapses", async () => {
    const { clock, receiver, message, renewals, abort, start } = await keptSession();
    const keeper = start();
    await clock.advance(LOCK_MS);
    const renewed = renewals.mock.calls.length;
    keeper.stop();
    keeper.stop(); // idempotent
    await clock.advance(2 * LOCK_MS);
    expect(renewals).toHaveBeenCalledTimes(renewed);
    expect(abort.signal.aborted).toBe(false);
    await expect(receiver.complete(message as NonNullable<typeof message>)).rejects.toMatchObject({ code: "QUEUE_LOCK_LOST" });
  });

  it("aborts the band at the first renewal that finds the lock lost, and warns once with the band", async () => {
    const { clock, receiver, renewals, abort, warnings, start } = await keptSession();
    const keeper = start();
    await clock.advance(LOCK_MS / 3);
    // The session goes (here: released; in production, expired while the process stalled).
    await receiver.close();
    await clock.advance(LOCK_MS / 3);
    expect(abort.signal.aborted).toBe(true);
    expect(keeper.lost).toMatchObject({ code: "QUEUE_LOCK_LOST" });
    expect(abort.signal.reason).toBe(keeper.lost);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ jobId: "job-1", stage: 0, band: 3, session: "job-1" });
    // Nothing more: no renewals of a lock that is gone, no second warning.
    await clock.advance(5 * LOCK_MS);
    expect(renewals).toHaveBeenCalledTimes(2);
    expect(warnings).toHaveLength(1);
  });

  it("retries a transient renewal failure at the next tick and keeps the lock", async () => {
    const { clock, receiver, renewals, abort, warnings, start } = await keptSession();
    renewals.mockRejectedValueOnce(unavailable());
    const keeper = start();
    await clock.advance(LOCK_MS / 3); // fails: the broker did not answer
    expect(abort.signal.aborted).toBe(false);
    await clock.advance(LOCK_MS / 3); // renewed
    expect(renewals).toHaveBeenCalledTimes(2);
    expect(receiver.lockedUntil).toBe(clock.now() + LOCK_MS);
    await clock.advance(5 * LOCK_MS);
    expect(abort.signal.aborted).toBe(false);
    expect(keeper.lost).toBeUndefined();
    expect(warnings).toEqual([]);
    keeper.stop();
  });

  it("takes the lock as lost when transient failures last past its deadline, not before", async () => {
    const { clock, receiver, renewals, abort, warnings, start } = await keptSession();
    renewals.mockRejectedValue(unavailable());
    const deadline = receiver.lockedUntil;
    const keeper = start();
    await clock.advance(deadline - clock.now() - 1);
    expect(renewals).toHaveBeenCalledTimes(2); // at a third and two thirds
    expect(abort.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(abort.signal.aborted).toBe(true);
    expect(keeper.lost).toMatchObject({ code: "QUEUE_LOCK_LOST" });
    expect(keeper.lost?.message).toContain("the broker could not be reached");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject(BAND);
  });

  it("counts a renewal that hangs as failing: lost at the deadline, with one renewal in flight at a time", async () => {
    const { clock, receiver, renewals, abort, warnings, start } = await keptSession();
    renewals.mockReturnValue(new Promise<number>(() => undefined));
    const deadline = receiver.lockedUntil;
    const keeper = start();
    await clock.advance(deadline - clock.now());
    expect(renewals).toHaveBeenCalledTimes(1);
    expect(abort.signal.aborted).toBe(true);
    expect(keeper.lost).toMatchObject({ code: "QUEUE_LOCK_LOST" });
    expect(warnings).toHaveLength(1);
  });

  it("stops quietly when the queue is closed (a shutdown, not a lost lock)", async () => {
    const { clock, queue, renewals, abort, warnings, start } = await keptSession();
    const keeper = start();
    await queue.close();
    await clock.advance(LOCK_MS / 3);
    await clock.advance(3 * LOCK_MS);
    expect(renewals).toHaveBeenCalledTimes(1);
    expect(abort.signal.aborted).toBe(false);
    expect(keeper.lost).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});
