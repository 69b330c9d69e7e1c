/**
 * Keeps a session lock while a band runs, and says at once when it is gone.
 *
 * The lock is renewed at a third of its duration, so two renewals can fail before it lapses.
 * What a failed renewal means depends on its code:
 * - QUEUE_LOCK_LOST: the broker says the lock is gone (it expired, or the session went to
 *   another receiver). The band's results could no longer be settled, and its message is
 *   redelivered elsewhere: the band's signal is aborted, so its tiles stop now instead of
 *   running to a settle that fails.
 * - anything else (QUEUE_UNAVAILABLE, a renewal that hangs): the broker may still hold the
 *   lock, so the next tick tries again; only once the lock's deadline (the last renewal's
 *   lockedUntil) has passed unrenewed is the lock taken as lost.
 * - QUEUE_CLOSED: a shutdown in progress; renewing stops and the band is left to the caller,
 *   whose own settle reports the closed queue.
 * Either way of losing the lock is logged once, as a warning with the band's jobId, stage and band.
 */

import { reasonOf } from "../engine/health.js";
import type { BandMessage } from "../engine/messages.js";
import { type Clock, systemClock } from "../engine/ports/clock.js";
import type { Logger } from "../engine/ports/logger.js";
import { QueueError, type SessionReceiver } from "../engine/ports/queue.js";

export interface LockKeeperOptions {
  receiver: SessionReceiver;
  /** The queue's lock duration; renewals run at a third of it (at least every 50 ms apart). */
  lockMs: number;
  /** Aborted when the lock is lost: the band's tiles listen on its signal. */
  abort: AbortController;
  /** The band the lock is kept for: the warning about a lost lock names it. */
  band: Pick<BandMessage, "jobId" | "stage" | "band">;
  /** Where the lost lock is warned about, once. */
  log: Logger;
  /**
   * The queue's clock: the lock's deadline (receiver.lockedUntil) is on it. Default the
   * system clock, with timers that do not keep the process alive.
   */
  clock?: Clock;
}

/** The system clock with unref'd timers: renewing a lock is no reason for a process to stay up. */
const unrefClock: Clock = {
  now: () => systemClock.now(),
  schedule(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};

/**
 * Renews a session lock from construction until stop(); `lost` says whether, and why, the lock
 * was lost meanwhile (then the band's AbortController is aborted with that error).
 */
export class LockKeeper {
  private readonly clock: Clock;
  private readonly everyMs: number;
  /** When the lock lapses unless renewed: the last renewal's lockedUntil. */
  private deadline: number;
  private renewing = false;
  private stopped = false;
  private cancel: (() => void) | undefined;
  /** Why the last renewal failed, while renewals fail without saying the lock is lost. */
  private lastError: unknown;
  private lostError: QueueError | undefined;

  constructor(private readonly options: LockKeeperOptions) {
    this.clock = options.clock ?? unrefClock;
    this.everyMs = Math.max(50, options.lockMs / 3);
    this.deadline = options.receiver.lockedUntil;
    this.schedule();
  }

  /** The QUEUE_LOCK_LOST error once the lock is lost, else undefined. */
  get lost(): QueueError | undefined {
    return this.lostError;
  }

  /** Stops renewing (the band is settled or given up). Idempotent. */
  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  private schedule(): void {
    // The next renewal, or the deadline if that comes first: a lock lost to a hanging broker
    // is noticed when it lapses, not up to a renewal period later.
    const untilDeadline = this.deadline - this.clock.now();
    this.cancel = this.clock.schedule(Math.max(0, Math.min(this.everyMs, untilDeadline)), () => this.tick());
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.clock.now() >= this.deadline) {
      // Not renewed in time (renewals failing, or one still hanging): the broker has let it go.
      this.lose(this.lastError ?? "no renewal answered in time");
      return;
    }
    this.schedule();
    if (this.renewing) return; // one renewal at a time: the last one still waits for the broker
    this.renewing = true;
    this.options.receiver.renewLock().then(
      (until) => {
        this.renewing = false;
        this.lastError = undefined;
        this.deadline = Math.max(this.deadline, until);
      },
      (err: unknown) => {
        this.renewing = false;
        const code = (err as { code?: unknown } | null)?.code;
        if (code === "QUEUE_LOCK_LOST") this.lose(err);
        else if (code === "QUEUE_CLOSED") this.stop();
        else this.lastError = err; // transient (QUEUE_UNAVAILABLE, a timeout): the next tick tries again
      },
    );
  }

  private lose(cause: unknown): void {
    if (this.stopped) return;
    this.stop();
    const { receiver, abort, log } = this.options;
    const lost =
      cause instanceof QueueError && cause.code === "QUEUE_LOCK_LOST"
        ? cause
        : new QueueError("QUEUE_LOCK_LOST", `the session lock could not be renewed before it expired: ${reasonOf(cause)}`, {
            cause,
          });
    this.lostError = lost;
    const { jobId, stage, band } = this.options.band;
    log.warn(
      { jobId, stage, band, session: receiver.sessionId, err: lost.message },
      "session lock lost while the band ran; the band stops and will be redelivered",
    );
    abort.abort(lost);
  }
}
