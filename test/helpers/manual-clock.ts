import type { Clock } from "../../engine/ports/clock.js";

interface Task {
  readonly at: number;
  /** Breaks ties between tasks due at the same time: first scheduled runs first. */
  readonly order: number;
  readonly fn: () => void;
}

/** Lets promise chains resolved by a callback run to the end (a macrotask drains every microtask). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A Clock that moves only when told to, so tests of lock expiry and timeouts run instantly
 * and deterministically.
 */
export class ManualClock implements Clock {
  private time: number;
  private readonly tasks = new Map<number, Task>();
  private nextOrder = 0;

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(ms: number, fn: () => void): () => void {
    const order = this.nextOrder++;
    this.tasks.set(order, { at: this.time + Math.max(0, ms), order, fn });
    return () => {
      this.tasks.delete(order);
    };
  }

  /** Callbacks scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.tasks.size;
  }

  /**
   * Moves time forward by `ms`, running every callback that falls due on the way in time
   * order, each at its own time, with microtasks settled after each (so code awaiting what
   * a callback resolved runs before the next callback, and may schedule more).
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance(ms) needs a non-negative number, got ${ms}`);
    const end = this.time + ms;
    await settle();
    for (;;) {
      const next = this.nextDue(end);
      if (next === undefined) break;
      this.tasks.delete(next.order);
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }

  private nextDue(end: number): Task | undefined {
    let best: Task | undefined;
    for (const task of this.tasks.values()) {
      if (task.at <= end && (best === undefined || task.at < best.at || (task.at === best.at && task.order < best.order))) {
        best = task;
      }
    }
    return best;
  }
}
