/**
 * The health of what a process depends on: the queue (Service Bus) and blob storage. A
 * HealthTracker keeps one check per dependency, fed two ways: passively, by the code that
 * uses the dependency (a worker loop whose accept failed says so, one whose accept answered
 * says so), and actively, by a probe that asks each dependency something cheap with a
 * timeout, so that a dependency that hangs rather than refuses is reported too (that probe,
 * and the timeouts it is built on, are in health-probe.ts).
 *
 * The gateway serves the report at /healthz and /readyz, a worker at /healthz on its metrics
 * port: a load balancer or an orchestrator learns that a process cannot work, and why.
 */

import type { Logger } from "./ports/logger.js";

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
