/**
 * The health of what a process depends on: the queue (Service Bus) and blob storage. A
 * HealthTracker keeps one check per dependency, fed two ways: passively, by the code that
 * uses the dependency (a worker loop whose accept failed says so, one whose accept answered
 * says so), and actively, by a probe that asks each dependency something cheap with a
 * timeout, so that a dependency that hangs rather than refuses is reported too.
 *
 * The gateway serves the report at /healthz and /readyz, a worker at /healthz on its metrics
 * port: a load balancer or an orchestrator learns that a process cannot work, and why.
 */

import { EVENTS_QUEUE } from "./messages.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { Logger } from "./ports/logger.js";
import type { Queue } from "./ports/queue.js";

export type Dependency = "queue" | "blobs";
export const DEPENDENCIES: readonly Dependency[] = ["queue", "blobs"];

/** How a dependency is named in messages. */
export const DEPENDENCY_NAMES: Readonly<Record<Dependency, string>> = { queue: "the queue", blobs: "blob storage" };

export interface DependencyCheck {
  ok: boolean;
  /** Why it failed (the last error seen); only while failing. */
  reason?: string;
  /** Since when it has been in this state (ISO 8601). */
  since: string;
}

/**
 * ok: every dependency answers. degraded: every dependency answers, but one came back less
 * than `settleMs` ago (it may be flapping; traffic may flow). down: a dependency fails.
 */
export type HealthStatus = "ok" | "degraded" | "down";

export interface HealthReport {
  status: HealthStatus;
  checks: Record<Dependency, DependencyCheck>;
}

export interface HealthTrackerOptions {
  /** How long a dependency that came back keeps the report "degraded". Default 30 s. */
  settleMs?: number;
  /**
   * Called on every change between ok and failing (not on every failure), with the check
   * before the change: for logs that say once that a dependency went down and once that it came back.
   */
  onChange?: (dependency: Dependency, check: DependencyCheck, before: DependencyCheck) => void;
  now?: () => number;
}

interface State {
  ok: boolean;
  reason?: string;
  since: number;
  /** When it last came back from failing. */
  recoveredAt?: number;
}

export class HealthTracker {
  private readonly states = new Map<Dependency, State>();
  /** When each dependency last answered: a failure of a call made before that is old news. */
  private readonly lastOk = new Map<Dependency, number>();
  private readonly settleMs: number;
  private readonly now: () => number;

  constructor(private readonly options: HealthTrackerOptions = {}) {
    this.settleMs = options.settleMs ?? 30_000;
    this.now = options.now ?? Date.now;
    // Presumed up until something says otherwise: a process starts only once it has connected.
    for (const dependency of DEPENDENCIES) this.states.set(dependency, { ok: true, since: this.now() });
  }

  /** `dependency` answered. */
  ok(dependency: Dependency): void {
    const state = this.state(dependency);
    const now = this.now();
    this.lastOk.set(dependency, now);
    if (state.ok) return;
    const before = this.check(dependency);
    this.states.set(dependency, { ok: true, since: now, recoveredAt: now });
    this.options.onChange?.(dependency, this.check(dependency), before);
  }

  /**
   * `dependency` failed; `reason` (an error or a sentence) is reported until it answers again.
   * `startedAt` is when the failed call was made (on the tracker's clock, Date.now by default),
   * if known: a call made before the dependency last answered is old news and changes nothing.
   * (Azure's SDKs retry a call for many seconds before they give up on it, so a call made
   * during an outage can fail after the outage has ended.)
   */
  failed(dependency: Dependency, reason: unknown, startedAt?: number): void {
    const state = this.state(dependency);
    if (startedAt !== undefined && startedAt < (this.lastOk.get(dependency) ?? Number.NEGATIVE_INFINITY)) return;
    const text = reasonOf(reason);
    if (!state.ok) {
      state.reason = text; // the latest error says most; `since` stays when it went down
      return;
    }
    const before = this.check(dependency);
    this.states.set(dependency, { ok: false, reason: text, since: this.now() });
    this.options.onChange?.(dependency, this.check(dependency), before);
  }

  isOk(dependency: Dependency): boolean {
    return this.state(dependency).ok;
  }

  report(): HealthReport {
    const checks = Object.fromEntries(DEPENDENCIES.map((d) => [d, this.check(d)])) as Record<Dependency, DependencyCheck>;
    const states = DEPENDENCIES.map((d) => this.state(d));
    const now = this.now();
    const status: HealthStatus = states.some((s) => !s.ok)
      ? "down"
      : states.some((s) => s.recoveredAt !== undefined && now - s.recoveredAt < this.settleMs)
        ? "degraded"
        : "ok";
    return { status, checks };
  }

  /** One line naming what fails and why, for messages ("" when nothing fails). */
  problems(): string {
    return DEPENDENCIES.filter((d) => !this.state(d).ok)
      .map((d) => `${DEPENDENCY_NAMES[d]} is unavailable: ${this.state(d).reason ?? "unknown"}`)
      .join("; ");
  }

  private check(dependency: Dependency): DependencyCheck {
    const state = this.state(dependency);
    return {
      ok: state.ok,
      ...(state.reason !== undefined && { reason: state.reason }),
      since: new Date(state.since).toISOString(),
    };
  }

  private state(dependency: Dependency): State {
    const state = this.states.get(dependency);
    if (!state) throw new RangeError(`unknown dependency ${JSON.stringify(dependency)}; known: ${DEPENDENCIES.join(", ")}`);
    return state;
  }
}

/**
 * Logs each change once: a warning when a dependency goes down (with the reason), a line when
 * it comes back (with how long it was down). Retries in between log nothing at this level.
 */
export function logChanges(log: Logger): NonNullable<HealthTrackerOptions["onChange"]> {
  return (dependency, check, before) => {
    const name = DEPENDENCY_NAMES[dependency];
    if (check.ok) {
      const downMs = Date.parse(check.since) - Date.parse(before.since);
      log.info({ event: "dependency-up", dependency, downMs }, `${name} is back after ${downMs} ms`);
    } else {
      log.warn(
        { event: "dependency-down", dependency, reason: check.reason },
        `${name} is unavailable; work waits and retries with backoff until it is back`,
      );
    }
  };
}

/**
 * A dependency that failed, named, for callers above the ports (the gateway answers 503
 * DEPENDENCY_UNAVAILABLE with it instead of a 500).
 */
export class DependencyError extends Error {
  readonly code = "DEPENDENCY_UNAVAILABLE";
  constructor(
    readonly dependency: Dependency,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DependencyError";
  }
}

/**
 * Which dependency an error says is unavailable: QUEUE_UNAVAILABLE (the broker could not be
 * reached or failed), BLOB_UNAVAILABLE (storage failed), or a DependencyError. Undefined for
 * everything else: a lost lock, a missing blob or a bug is not an outage.
 */
export function dependencyOf(err: unknown): Dependency | undefined {
  if (err instanceof DependencyError) return err.dependency;
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === "QUEUE_UNAVAILABLE") return "queue";
  if (code === "BLOB_UNAVAILABLE") return "blobs";
  return undefined;
}

export function reasonOf(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return typeof reason === "string" ? reason : String(reason);
}

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

/** The blob a probe asks about: it need not exist (asking is what tells whether storage answers). */
export const PROBE_BLOB = "health/probe";

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
