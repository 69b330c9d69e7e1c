/**
 * Riding out an outage of the queue or the blob store. The ports report one as
 * QUEUE_UNAVAILABLE or BLOB_UNAVAILABLE ("retry with backoff"); anything else is not an
 * outage and is not retried. A budget says how long one outage may be waited out: the waits
 * grow as engine/backoff.ts draws them (jittered, so many jobs do not retry in step) until the
 * outage has lasted the budget; progress in between starts a new outage.
 */

import { Backoff } from "./backoff.js";
import { dependencyOf } from "./health.js";
import type { Clock } from "./ports/clock.js";

/** An outage of the queue or the blob store (health.ts says which), not a bug. */
export const isOutage = (err: unknown): boolean => dependencyOf(err) !== undefined;

/** Never a busy retry, however the jitter falls. */
const SHORTEST_WAIT_MS = 50;

export class OutageBudget {
  private since: number | undefined;
  private readonly backoff: Backoff;

  constructor(
    private readonly budgetMs: number,
    private readonly clock: Clock,
    random: () => number = Math.random,
  ) {
    this.backoff = new Backoff({ baseMs: 250, capMs: 5_000, random });
  }

  /**
   * How long to wait before the next try, or undefined once the outage has outlasted the
   * budget. `progressed`: whether anything moved since the last failure (a new outage starts).
   */
  next(progressed: boolean): number | undefined {
    const now = this.clock.now();
    if (progressed || this.since === undefined) {
      this.since = now;
      this.backoff.reset();
    }
    const left = this.since + this.budgetMs - now;
    if (left <= 0) return undefined;
    return Math.min(left, Math.max(SHORTEST_WAIT_MS, this.backoff.next()));
  }
}
