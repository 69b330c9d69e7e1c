/**
 * What GET /v1/cluster reports, built the same way for every runtime: workers (from
 * heartbeats, or the one in-process worker), queue depths from the Queue port, and throughput
 * and each worker's state from the tile events the coordinator sees (edge/worker-activity.ts). A queue or blob store that fails makes a look
 * reject with a DependencyError naming it (503 on the API), after the gauges of the parts that
 * did answer are set: /metrics serves what is known.
 */

import type { Coordinator } from "../engine/coordinator.js";
import {
  DEPENDENCIES,
  DEPENDENCY_NAMES,
  type Dependency,
  DependencyError,
  dependencyOf,
  type HealthReport,
  type HealthTracker,
  reasonOf,
} from "../engine/health.js";
import { dependencyProbe, TimeoutError, withTimeout } from "../engine/health-probe.js";
import { isAlive, type WorkerHeartbeat } from "../engine/heartbeats.js";
import { TILES_QUEUE } from "../engine/messages.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import { type Clock, systemClock } from "../engine/ports/clock.js";
import type { Queue } from "../engine/ports/queue.js";
import type { ClusterView } from "./api-types.js";
import type { Metrics } from "./metrics.js";
import { TileActivity, workerState } from "./worker-activity.js";

/** How long one look at the cluster serves every caller. */
const FRESH_MS = 1_000;
/**
 * The longest one part of a look (the heartbeats, a queue's depth, the dead letters) may take:
 * a dependency that hangs must not hang /v1/cluster or a scrape (Azure's SDK retries a refused
 * connection for about 16 s before it gives up).
 */
const ANSWER_MS = 3_000;

/** Follows the coordinator's jobs for metrics and throughput; builds cluster views. */
export class ClusterTracker {
  private readonly activity: TileActivity;
  /** The last look, shared while in flight and for FRESH_MS after. */
  private last: { view: Promise<ClusterView>; at: number | undefined } | undefined;
  /** Dead letters already added to the counter, by reason. */
  private readonly counted = new Map<string, number>();

  constructor(
    private readonly coordinator: Coordinator,
    private readonly queue: Queue,
    private readonly metrics: Metrics,
    /** Told what each look finds about the queue and blob storage (the gateway's /healthz reports it). */
    private readonly health?: HealthTracker,
    /** Time for the throughput window, the freshness of a look and liveness; tests pass a manual one. */
    private readonly clock: Clock = systemClock,
  ) {
    this.activity = new TileActivity(clock);
    coordinator.subscribeAll(({ job, event, ended }) => {
      if (event?.kind === "band-done") {
        this.activity.band(event.worker, event.tiles.length);
        metrics.tiles.inc({ worker: event.worker }, event.tiles.length);
      }
      // `ended` comes once per job, however often an ended job is heard of again.
      if (ended) {
        metrics.jobs.inc({ status: job.status });
        metrics.jobDuration.observe({ status: job.status }, (job.updatedAt - job.createdAt) / 1000);
      }
    });
  }

  /**
   * The cluster as of at most FRESH_MS ago. Counting a queue peeks every message in it and the
   * heartbeats are one read per worker, so every open UI tab (polling every 2 s) and every
   * scrape share one look instead of each paying for its own.
   */
  view(beats: () => Promise<readonly WorkerHeartbeat[]> | readonly WorkerHeartbeat[]): Promise<ClusterView> {
    const cached = this.last;
    if (cached && (cached.at === undefined || this.clock.now() - cached.at < FRESH_MS)) return cached.view;
    const look = { view: this.look(beats), at: undefined as number | undefined };
    this.last = look;
    look.view.then(
      () => {
        look.at = this.clock.now();
      },
      () => {
        if (this.last === look) this.last = undefined; // a failed look is not cached
      },
    );
    return look.view;
  }

  private async look(beats: () => Promise<readonly WorkerHeartbeat[]> | readonly WorkerHeartbeat[]): Promise<ClusterView> {
    // Each part asks its dependency under a timeout, and the parts that answer update their
    // gauges even when another part fails: a scrape during an outage still sees what is known.
    const [beatsLook, queuesLook, lettersLook] = await Promise.allSettled([
      this.answer("blobs", "read the worker heartbeats", beats),
      this.depths(),
      this.answer("queue", "receive the dead letters", () => this.coordinator.deadLetters()),
    ]);
    const now = this.clock.now();
    const queued = queuesLook.status === "fulfilled" ? (queuesLook.value[TILES_QUEUE]?.active ?? 0) : 0;
    const workers =
      beatsLook.status === "fulfilled"
        ? beatsLook.value.map((b) => ({
            id: b.id,
            pid: b.pid,
            host: b.host,
            threads: b.threads,
            tilesDone: b.tilesDone,
            lastSeen: new Date(b.lastSeen).toISOString(),
            alive: isAlive(b, now),
            busy: b.busy,
            state: workerState({ ...b, alive: isAlive(b, now), lastWork: this.activity.lastWork(b.id), queued, now }),
            ...(b.rssBytes !== undefined && { rssBytes: b.rssBytes }),
            ...(b.cpuSeconds !== undefined && { cpuSeconds: b.cpuSeconds }),
          }))
        : [];
    if (beatsLook.status === "fulfilled") this.metrics.workersAlive.set(workers.filter((w) => w.alive).length);
    if (lettersLook.status === "fulfilled") {
      // The gateway drains the dead-letter queue into its record, so the queue's own count
      // stays near 0: the counter is what to alert on.
      for (const [reason, total] of lettersLook.value.totals) {
        this.metrics.deadLettered.inc({ reason }, total - (this.counted.get(reason) ?? 0));
        this.counted.set(reason, total);
      }
    }
    const failed = [beatsLook, queuesLook, lettersLook].find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    return {
      workers,
      queues: (queuesLook as PromiseFulfilledResult<ClusterView["queues"]>).value,
      throughput: this.activity.rate(),
      deadLetters: (lettersLook as PromiseFulfilledResult<Awaited<ReturnType<Coordinator["deadLetters"]>>>).value.recent.map(
        (d) => ({ ...d, at: new Date(d.at).toISOString() }),
      ),
    };
  }

  /** Every queue's depth, each set on its gauges as it comes. */
  private async depths(): Promise<ClusterView["queues"]> {
    const queues: ClusterView["queues"] = {};
    for (const name of Object.keys(this.queue.config)) {
      const depth = await this.answer("queue", `count the "${name}" queue`, () => this.queue.depth(name));
      queues[name] = depth;
      this.metrics.queueDepth.set({ queue: name, state: "active" }, depth.active);
      this.metrics.queueDepth.set({ queue: name, state: "dead-letter" }, depth.deadLetter);
    }
    return queues;
  }

  /**
   * `call` under ANSWER_MS. An outage (an unavailable or closed queue, failing storage, no
   * answer in time) rejects with a DependencyError naming the dependency, which the API
   * answers with 503 DEPENDENCY_UNAVAILABLE, and is told to the health tracker; anything
   * else is a bug and rejects as it is.
   */
  private async answer<T>(dependency: Dependency, what: string, call: () => Promise<T> | T): Promise<T> {
    const asked = this.clock.now();
    try {
      const value = await withTimeout(Promise.resolve().then(call), ANSWER_MS, what);
      this.health?.ok(dependency);
      return value;
    } catch (err) {
      const failing =
        err instanceof TimeoutError || (err as { code?: unknown }).code === "QUEUE_CLOSED" ? dependency : dependencyOf(err);
      if (failing === undefined) throw err;
      this.health?.failed(failing, err, asked);
      throw new DependencyError(failing, `${DEPENDENCY_NAMES[failing]} is unavailable (${what}): ${reasonOf(err)}`, {
        cause: err,
      });
    }
  }
}

/**
 * The gateway's health(): the probe of engine/health-probe.ts over its queue and blob store, with
 * the result on the `tessera_dependency_up` gauge, so a scrape sees outages too.
 */
export function gatewayHealth(
  health: HealthTracker,
  targets: { queue: Queue; blobs: BlobStore },
  metrics: Metrics,
): () => Promise<HealthReport> {
  const probe = dependencyProbe(health, targets);
  return async () => {
    const report = await probe();
    for (const dependency of DEPENDENCIES) {
      metrics.dependencyUp.set({ dependency }, report.checks[dependency].ok ? 1 : 0);
    }
    return report;
  };
}
