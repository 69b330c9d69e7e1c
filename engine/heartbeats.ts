/**
 * Worker heartbeats: each worker process keeps one small blob, `workers/<id>.json`, rewritten
 * every few seconds. Workers and the gateway share nothing but Service Bus and Blob Storage,
 * so the blob store is where the gateway learns who is working (GET /v1/cluster); a gateway
 * that restarts finds them all again, and no extra service is needed.
 */

import { HEARTBEAT_PREFIX, heartbeatName } from "./blob-names.js";
import type { BlobStore } from "./ports/blob-store.js";
import { boolean, count, number, object, optional, shapeProblem, string } from "./shape-check.js";

/** How often a worker writes its heartbeat by default. */
export const DEFAULT_HEARTBEAT_MS = 2_000;
/** A worker is presumed dead after this many missed heartbeats. */
export const MISSED_BEATS = 3;

export interface WorkerHeartbeat {
  id: string;
  pid: number;
  host: string;
  threads: number;
  /** Tiles this process finished since it started. */
  tilesDone: number;
  /** Whether a tile was running when the beat was written. */
  busy: boolean;
  startedAt: number;
  /** When this beat was written (ms since the epoch). */
  lastSeen: number;
  /** The interval the worker promised; the gateway judges liveness by it. */
  intervalMs: number;
  /** Set by the last beat of a worker that stopped gracefully. */
  stoppedAt?: number;
  /** Resident memory and CPU time, for the cluster panel. */
  rssBytes?: number;
  cpuSeconds?: number;
}

const time = number(0, false);

/** A heartbeat as read back: the blob store is shared, so what is in it is checked, not trusted. */
const heartbeat = object({
  id: string(1),
  pid: count,
  host: string(),
  threads: count,
  tilesDone: count,
  busy: boolean,
  startedAt: time,
  lastSeen: time,
  intervalMs: number(1, false), // positive: at least 1 ms between beats
  stoppedAt: optional(time),
  rssBytes: optional(time),
  cpuSeconds: optional(time),
});

/** The heartbeat in `bytes`, or undefined when they are not one (not JSON, or not a heartbeat's shape). */
export function parseHeartbeat(bytes: Uint8Array): WorkerHeartbeat | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  return shapeProblem(heartbeat, json) === undefined ? (json as WorkerHeartbeat) : undefined;
}

export async function writeHeartbeat(blobs: BlobStore, beat: WorkerHeartbeat): Promise<void> {
  await blobs.put(heartbeatName(beat.id), new TextEncoder().encode(JSON.stringify(beat)));
}

/**
 * Every heartbeat on record; one that stays unreadable is skipped (it is rewritten within
 * seconds), and so is one that is not a heartbeat's shape (it would break the cluster view).
 */
export async function readHeartbeats(blobs: BlobStore): Promise<WorkerHeartbeat[]> {
  const beats: WorkerHeartbeat[] = [];
  const read = async (name: string) => parseHeartbeat(await blobs.get(name));
  for (const blob of await blobs.list(HEARTBEAT_PREFIX)) {
    // A beat being rewritten can be missing for a moment: look once more before skipping it.
    const beat = await read(blob.name).catch(() => read(blob.name).catch(() => undefined));
    if (beat !== undefined) beats.push(beat);
  }
  return beats.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
}

/** How long a dead or stopped worker stays listed before its heartbeat is deleted. */
export const FORGET_AFTER_MS = 10 * 60_000;

/**
 * The heartbeats worth showing: those of the last FORGET_AFTER_MS. Older ones (workers long
 * gone, or scaled in) are deleted so the list does not grow with every worker ever started.
 */
export async function currentHeartbeats(blobs: BlobStore, now = Date.now()): Promise<WorkerHeartbeat[]> {
  const beats = await readHeartbeats(blobs);
  const current: WorkerHeartbeat[] = [];
  for (const beat of beats) {
    if (now - beat.lastSeen <= FORGET_AFTER_MS) current.push(beat);
    else await blobs.delete(heartbeatName(beat.id)).catch(() => undefined);
  }
  return current;
}

/** Alive: beating on time, and not stopped. */
export function isAlive(beat: WorkerHeartbeat, now: number): boolean {
  return beat.stoppedAt === undefined && now - beat.lastSeen <= beat.intervalMs * MISSED_BEATS;
}
