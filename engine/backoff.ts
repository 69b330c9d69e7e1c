/**
 * Retry delays for callers that wait out a failing dependency (the broker, blob storage):
 * exponential growth with full jitter (a uniformly random delay between 0 and the current
 * ceiling), capped, and reset by the first success. Jitter matters more than the curve: every
 * worker loop of every process sees an outage at the same instant, and without it they would
 * all retry in lockstep and hit the dependency together the moment it comes back.
 */

export interface BackoffOptions {
  /** The ceiling of the first delay; it doubles with every failure. Default 100 ms. */
  baseMs?: number;
  /** The largest ceiling. Default 5 000 ms: an outage is retried a few times a minute per loop. */
  capMs?: number;
  /** A number in [0, 1); injectable so tests can pin the jitter. Default Math.random. */
  random?: () => number;
}

export class Backoff {
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 100;
    this.capMs = options.capMs ?? 5_000;
    this.random = options.random ?? Math.random;
    if (!(this.baseMs > 0) || !(this.capMs >= this.baseMs)) {
      throw new RangeError(`backoff needs 0 < baseMs <= capMs, got baseMs ${this.baseMs}, capMs ${this.capMs}`);
    }
  }

  /** Failures since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** The ceiling the next delay is drawn under. */
  get ceilingMs(): number {
    // 2 ** 30 is far past any cap; stopping the exponent there keeps it finite however long an outage lasts.
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.failures, 30));
  }

  /** Records a failure and returns how long to wait before the next try (0 ≤ delay < ceiling). */
  next(): number {
    const delay = Math.floor(this.random() * this.ceilingMs);
    this.failures++;
    return delay;
  }

  /** Records a success: the next failure starts again from the smallest delay. */
  reset(): void {
    this.failures = 0;
  }
}

/** Waits `ms`, or less when `signals` abort (a stopping worker does not sit out its backoff). */
export function pause(ms: number, ...signals: (AbortSignal | undefined)[]): Promise<void> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  if (ms <= 0 || live.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      for (const s of live) s.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of live) s.addEventListener("abort", done, { once: true });
  });
}
