/**
 * What GET /v1/cluster reports, built the same way for every runtime: workers (from
 * heartbeats, or the one in-process worker), queue depths from the Queue port, and throughput
 * from the tile events the coordinator sees.
 */

import type { Coordinator } from "../engine/coordinator.js";
import { isAlive, type WorkerHeartbeat } from "../engine/heartbeats.js";
import { TERMINAL } from "../engine/job.js";
import type { Queue } from "../engine/ports/queue.js";
import type { ClusterView } from "./api-types.js";
import type { Metrics } from "./metrics.js";

const WINDOW_MS = 60_000;
/** How long one look at the cluster serves every caller. */
const FRESH_MS = 1_000;

/** Follows the coordinator's jobs for metrics and throughput; builds cluster views. */
export class ClusterTracker {
  private readonly recent: number[] = [];
  /** The last look, shared while in flight and for FRESH_MS after. */
  private last: { view: Promise<ClusterView>; at: number | undefined } | undefined;
  /** Dead letters already added to the counter, by reason. */
  private readonly counted = new Map<string, number>();

  constructor(
    private readonly coordinator: Coordinator,
    private readonly queue: Queue,
    private readonly metrics: Metrics,
  ) {
    coordinator.subscribeAll(({ job, event }) => {
      if (event?.kind === "band-done") {
        for (const _ of event.tiles) this.recent.push(Date.now());
        metrics.tiles.inc({ worker: event.worker }, event.tiles.length);
      }
      if (event === undefined && TERMINAL.has(job.status)) {
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
    if (cached && (cached.at === undefined || Date.now() - cached.at < FRESH_MS)) return cached.view;
    const look = { view: this.look(beats), at: undefined as number | undefined };
    this.last = look;
    look.view.then(
      () => {
        look.at = Date.now();
      },
      () => {
        if (this.last === look) this.last = undefined; // a failed look is not cached
      },
    );
    return look.view;
  }

  private async look(beats: () => Promise<readonly WorkerHeartbeat[]> | readonly WorkerHeartbeat[]): Promise<ClusterView> {
    const workerBeats = await beats();
    const now = Date.now();
    while (this.recent.length > 0 && (this.recent[0] ?? 0) < now - WINDOW_MS) this.recent.shift();
    const queues: ClusterView["queues"] = {};
    for (const name of Object.keys(this.queue.config)) {
      const depth = await this.queue.depth(name);
      queues[name] = depth;
      this.metrics.queueDepth.set({ queue: name, state: "active" }, depth.active);
      this.metrics.queueDepth.set({ queue: name, state: "dead-letter" }, depth.deadLetter);
    }
    const workers = workerBeats.map((b) => ({
      id: b.id,
      pid: b.pid,
      host: b.host,
      threads: b.threads,
      tilesDone: b.tilesDone,
      lastSeen: new Date(b.lastSeen).toISOString(),
      alive: isAlive(b, now),
      busy: b.busy,
      ...(b.rssBytes !== undefined && { rssBytes: b.rssBytes }),
      ...(b.cpuSeconds !== undefined && { cpuSeconds: b.cpuSeconds }),
    }));
    this.metrics.workersAlive.set(workers.filter((w) => w.alive).length);
    // The gateway drains the dead-letter queue into its record, so the queue's own count
    // stays near 0: the counter is what to alert on.
    const { recent: letters, totals } = await this.coordinator.deadLetters();
    for (const [reason, total] of totals) {
      this.metrics.deadLettered.inc({ reason }, total - (this.counted.get(reason) ?? 0));
      this.counted.set(reason, total);
    }
    return {
      workers,
      queues,
      throughput: this.recent.length / (WINDOW_MS / 1000),
      deadLetters: letters.map((d) => ({ ...d, at: new Date(d.at).toISOString() })),
    };
  }
}
