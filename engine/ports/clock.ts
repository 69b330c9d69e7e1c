/**
 * Time, injectable so that lock expiry and redelivery can be tested without waiting.
 * Production uses `systemClock`; tests use a manual clock they advance.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once `ms` from now (on this clock); returns a function that cancels it. */
  schedule(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    // Not unref'd: a pending wait (a receiver waiting for a session) is real work in progress
    // and must keep the process alive; closing the queue cancels it.
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};
