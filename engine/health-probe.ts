/**
 * Asking a dependency whether it answers, with a bound on the wait: the active half of
 * engine/health.ts (whose HealthTracker the passive reports of the code that uses a
 * dependency feed too). A dependency that hangs rather than refuses reports nothing by
 * itself, so every probe here is given a timeout, and withTimeout bounds the other calls a
 * caller cannot afford to wait on (closing a session, giving back a band during an outage).
 */

import { PROBE_BLOB } from "./blob-names.js";
import { DEPENDENCY_NAMES, type Dependency, type HealthReport, type HealthTracker } from "./health.js";
import { EVENTS_QUEUE } from "./messages.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { Queue } from "./ports/queue.js";

/** A call that did not answer in time. */
export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/**
 * `promise`, or a TimeoutError after `ms`. The call itself goes on (a port call cannot be
 * cancelled); only the wait for it is bounded.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export interface ProbeTargets {
  queue?: Queue;
  blobs?: BlobStore;
}

export interface ProbeOptions {
  /** The longest a dependency may take to answer before it counts as failing. Default 2 000 ms. */
  timeoutMs?: number;
  /** How long one probe's result serves every caller. Default 1 000 ms. */
  cacheMs?: number;
  /** The blob whose existence is asked (it need not exist). Default PROBE_BLOB. */
  probeBlob?: string;
}

/** The queue a probe counts: `events` when the adapter has it (the coordinator drains it, so counting it is cheap). */
function probeQueueName(queue: Queue): string | undefined {
  const names = Object.keys(queue.config);
  return names.includes(EVENTS_QUEUE) ? EVENTS_QUEUE : names[0];
}

/** The most calls a probe leaves hanging on one dependency before it stops adding more. */
const MAX_HANGING_CALLS = 8;

/**
 * An active probe of `targets` that records its findings in `tracker` and resolves with its
 * report. Callers within `cacheMs` of the last probe, or while one runs, share it: many load
 * balancers polling /healthz cost one probe a second. Each dependency is asked something
 * cheap (blob storage whether a blob exists, the queue how deep it is) and given `timeoutMs`
 * to answer.
 *
 * A call still hanging after its timeout is not waited for again: the next probe starts a new
 * one. (Service Bus's SDK can leave a call made as the connection died hanging for minutes,
 * while calls made a moment later fail at once and, once the broker is back, succeed: a probe
 * that waited on the first call would report the outage long after it ended.) Each outcome
 * counts only if no later call has answered already, and at most MAX_HANGING_CALLS hang at
 * once, so an outage cannot pile up calls without bound.
 */
export function dependencyProbe(
  tracker: HealthTracker,
  targets: ProbeTargets,
  options: ProbeOptions = {},
): () => Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const cacheMs = options.cacheMs ?? 1_000;
  const probeBlob = options.probeBlob ?? PROBE_BLOB;
  /** Per dependency: the newest call that answered, and the calls without an answer yet. */
  const calls = new Map<Dependency, { answered: number; pending: Set<Promise<void>> }>();
  let running: Promise<HealthReport> | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  let sequence = 0;

  const ask = async (dependency: Dependency, call: () => Promise<unknown>): Promise<void> => {
    let state = calls.get(dependency);
    if (state === undefined) {
      state = { answered: 0, pending: new Set() };
      calls.set(dependency, state);
    }
    const own = state;
    if (own.pending.size >= MAX_HANGING_CALLS) {
      tracker.failed(dependency, `${DEPENDENCY_NAMES[dependency]} probe: ${own.pending.size} calls still without an answer`);
      return;
    }
    const id = ++sequence;
    const asked = Date.now();
    // The outcome lands in the tracker whenever it comes, even after the wait gave up on it,
    // unless a later call has answered first (its news is newer).
    const attempt = Promise.resolve()
      .then(call)
      .then(
        () => {
          if (id < own.answered) return;
          own.answered = id;
          tracker.ok(dependency);
        },
        (err: unknown) => {
          if (id < own.answered) return;
          own.answered = id;
          tracker.failed(dependency, err, asked);
        },
      )
      .finally(() => own.pending.delete(attempt));
    own.pending.add(attempt);
    await withTimeout(attempt, timeoutMs, `${DEPENDENCY_NAMES[dependency]} probe`).catch((err: unknown) => {
      if (id >= own.answered) tracker.failed(dependency, err, asked);
    });
  };

  const probe = async (): Promise<HealthReport> => {
    const { queue, blobs } = targets;
    const name = queue ? probeQueueName(queue) : undefined;
    await Promise.all([
      queue && name !== undefined ? ask("queue", () => queue.depth(name)) : undefined,
      blobs ? ask("blobs", () => blobs.exists(probeBlob)) : undefined,
    ]);
    return tracker.report();
  };

  return () => {
    if (running) return running;
    if (Date.now() - lastAt < cacheMs) return Promise.resolve(tracker.report());
    const current = probe().finally(() => {
      lastAt = Date.now();
      running = undefined;
    });
    running = current;
    return current;
  };
}
