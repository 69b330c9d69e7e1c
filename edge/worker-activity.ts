/**
 * What GET /v1/cluster says about activity: the tiles per second over the last RATE_WINDOW_MS,
 * and each worker's state. Both come from the bands the coordinator sees finish (each names the
 * worker loop that did it, `<worker id>/<loop>`) and the heartbeats, on an injectable clock.
 *
 * A worker's state agrees with the queue: a worker is `busy` while its heartbeat says a tile is
 * running or it finished a band in the last RECENT_WORK_MS (heartbeats are seconds old, and a
 * band spends part of its time reading, decoding and encoding); when the tiles queue holds work
 * that a worker takes none of, it is `starting` (new, no tile done yet) or `waiting` (for a
 * band: the others hold them, or its loops are between receives), never `idle`.
 */

import type { Clock } from "../engine/ports/clock.js";

/** The window throughput is measured over. */
export const RATE_WINDOW_MS = 10_000;
/** A worker that finished a band this recently is busy, whatever its last heartbeat said. */
export const RECENT_WORK_MS = 5_000;
/** A worker this new that has done no tile yet is starting. */
export const STARTING_MS = 15_000;

export const WORKER_STATES = ["busy", "waiting", "starting", "idle", "gone"] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** What the state of one worker is decided from. */
export interface WorkerFacts {
  alive: boolean;
  /** The heartbeat's `busy`: a tile was running when it was written. */
  busy: boolean;
  startedAt: number;
  tilesDone: number;
  /** When a band of this worker last finished, if one did in memory. */
  lastWork: number | undefined;
  /** Messages waiting in the tiles queue. */
  queued: number;
  now: number;
}

export function workerState(f: WorkerFacts): WorkerState {
  if (!f.alive) return "gone";
  if (f.busy || (f.lastWork !== undefined && f.now - f.lastWork <= RECENT_WORK_MS)) return "busy";
  if (f.queued === 0) return "idle";
  return f.tilesDone === 0 && f.now - f.startedAt <= STARTING_MS ? "starting" : "waiting";
}

/** Whether worker loop `loop` (a band-done event's `worker`) belongs to the worker process `worker`. */
export function loopOf(loop: string, worker: string): boolean {
  return loop === worker || loop.startsWith(`${worker}/`);
}

/** Finished bands, as the coordinator reports them: the rate of tiles and who worked when. */
export class TileActivity {
  private readonly bands: { at: number; tiles: number }[] = [];
  /** The last band each worker loop finished. */
  private readonly lastBand = new Map<string, number>();
  private readonly since: number;

  constructor(private readonly clock: Clock) {
    this.since = clock.now();
  }

  /** A band of `tiles` tiles finished on worker loop `loop`. */
  band(loop: string, tiles: number): void {
    const now = this.clock.now();
    this.bands.push({ at: now, tiles });
    this.lastBand.set(loop, now);
  }

  /**
   * Tiles per second over the last RATE_WINDOW_MS; over the time since this tracker started when
   * that is shorter (at least a second), so a gateway started 3 s ago does not report a third.
   */
  rate(): number {
    const now = this.clock.now();
    this.forget(now);
    const tiles = this.bands.reduce((n, b) => n + b.tiles, 0);
    const span = Math.max(1_000, Math.min(RATE_WINDOW_MS, now - this.since));
    return tiles / (span / 1000);
  }

  /** When a loop of worker process `worker` last finished a band (within the window), if one did. */
  lastWork(worker: string): number | undefined {
    let last: number | undefined;
    for (const [loop, at] of this.lastBand) if (loopOf(loop, worker) && (last === undefined || at > last)) last = at;
    return last;
  }

  private forget(now: number): void {
    while (this.bands.length > 0 && (this.bands[0]?.at ?? 0) <= now - RATE_WINDOW_MS) this.bands.shift();
    for (const [loop, at] of this.lastBand) if (at <= now - RATE_WINDOW_MS) this.lastBand.delete(loop);
  }
}
