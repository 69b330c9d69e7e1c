/**
 * One worker: a kernel pool and the worker loops that feed it from the `tiles` queue, with a
 * heartbeat in the blob store. `tessera worker` runs one per process against Azure (or the
 * local stand-ins); the embedded runtime runs one beside its coordinator.
 */

import { availableParallelism, hostname } from "node:os";
import { compileKernels } from "@tessera/kernels";
import { DEFAULTS } from "../engine/defaults.js";
import { dependencyOf, type HealthReport, HealthTracker, logChanges } from "../engine/health.js";
import { dependencyProbe, withTimeout } from "../engine/health-probe.js";
import { DEFAULT_HEARTBEAT_MS, type WorkerHeartbeat, writeHeartbeat } from "../engine/heartbeats.js";
import type { BandEvent, BandMessage } from "../engine/messages.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import { type Clock, systemClock } from "../engine/ports/clock.js";
import type { Codec } from "../engine/ports/codec.js";
import { type Logger, silentLogger } from "../engine/ports/logger.js";
import type { Queue } from "../engine/ports/queue.js";
import { BandBudget } from "./band-budget.js";
import { KernelPool } from "./pool.js";
import { runWorkerLoop, type TileRunner } from "./worker-loop.js";

export interface WorkerOptions {
  queue: Queue;
  blobs: BlobStore;
  /** Decodes source pieces and encodes result pieces (sharp). */
  codec: Codec;
  /** Kernel threads; default the number of cores. */
  threads?: number;
  /**
   * Worker loops, each holding one band at a time; default defaultLoops(threads). A band's
   * tiles spread over every thread, so loops are not tied to threads: more loops overlap more
   * reading, decoding and encoding with kernels, and hold more bands in memory.
   */
  loops?: number;
  /** This worker's id in heartbeats and progress events; default `<host>-<pid>`. */
  id?: string;
  /** Names loop `i` in progress events; default `<id>/<i>`. */
  loopId?: (i: number) => string;
  /** Heartbeat interval; 0 turns heartbeats off (the embedded runtime has no one to tell). */
  heartbeatMs?: number;
  /** Wait for a free session per accept; default 2000 ms. */
  acceptTimeoutMs?: number;
  onBand?: (event: BandEvent, band: BandMessage) => void;
  /** The compiled kernels, when the caller has them already. */
  module?: WebAssembly.Module;
  /**
   * A pool the caller started already (its threads boot while the caller does other start-up
   * work); `threads` and `module` are then the pool's. Closed by stop().
   */
  pool?: KernelPool;
  /** Where the worker logs; silent by default. */
  log?: Logger;
  /** Time for heartbeats and health; default the system clock (tests pass a manual one). */
  clock?: Clock;
  /** Wraps the pool the loops use (tests inject failures and delays here). */
  wrapPool?: (pool: KernelPool) => TileRunner;
}

export interface Worker {
  readonly id: string;
  readonly pool: KernelPool;
  /** Bands it holds at once: one per loop (options.loops, default defaultLoops). */
  readonly loops: number;
  readonly tilesDone: number;
  /** Whether a band is in hand right now. */
  readonly busy: boolean;
  /** This worker's heartbeat as of now (what it writes to the blob store every interval). */
  heartbeat(): WorkerHeartbeat;
  /**
   * How the queue and blob storage answer: what the loops and heartbeats saw, refreshed by a
   * probe with a timeout (shared by callers within a second). For the worker's /healthz.
   */
  health(): Promise<HealthReport>;
  /** Kills loop `i` as if its process died: its band is aborted and nothing is settled or released. */
  kill(i: number): void;
  /**
   * Graceful stop: every loop finishes the band in hand and releases its session; then the
   * last heartbeat says "stopped" and the pool closes. `beforeDrain` runs once the loops were
   * told to stop (the embedded runtime closes its queue there to end pending accepts).
   */
  stop(beforeDrain?: () => Promise<void>): Promise<void>;
  /**
   * Resolves when every loop has ended (after stop, or when the queue was closed under them);
   * rejects with the error of a loop that failed.
   */
  readonly done: Promise<void>;
}

/** This process's resident memory and CPU time, for heartbeats and the cluster panel. */
function processUsage(): { rssBytes: number; cpuSeconds: number } {
  const cpu = process.cpuUsage();
  return { rssBytes: process.memoryUsage.rss(), cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** How long a heartbeat write may take before blob storage counts as down (it may still land later). */
const BEAT_ANSWER_MS = 2_000;
/** Heartbeat writes left without an answer before the worker stops starting new ones. */
const MAX_HANGING_BEATS = 16;

/**
 * Bands in hand at once: two, so one band's reading and writing overlaps another's kernels,
 * plus one per two threads, since decoding and encoding a band each run on one thread and a
 * wide pool needs several going to stay busy (24 MP in 512-row bands is 8 bands: 10 loops on
 * 16 threads take them all at once). Each band in hand holds its window and its result.
 */
export const defaultLoops = (threads: number): number => 2 + Math.ceil(threads / 2);

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const id = options.id ?? `${hostname()}-${process.pid}`;
  let pool = options.pool;
  if (!pool) {
    pool = await KernelPool.create({
      threads: options.threads ?? availableParallelism(),
      module: options.module ?? (await compileKernels()),
    });
    // A long-running worker fails at start, not on its first message, if a thread cannot load.
    const created = pool;
    await created.ready().catch(async (err: unknown) => {
      await created.close();
      throw err;
    });
  }
  const kernelPool = pool;
  const threads = pool.threads;
  const runner = options.wrapPool?.(pool) ?? pool;
  const stop = new AbortController();
  let tilesDone = 0;
  let inHand = 0;

  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const beat = (stoppedAt?: number): WorkerHeartbeat => ({
    id,
    pid: process.pid,
    host: hostname(),
    threads,
    tilesDone,
    busy: inHand > 0 || pool.queued > 0,
    startedAt,
    lastSeen: clock.now(),
    // A beat taken on demand (heartbeats off) is fresh whenever it is read.
    intervalMs: heartbeatMs > 0 ? heartbeatMs : DEFAULT_HEARTBEAT_MS,
    ...processUsage(),
    ...(stoppedAt !== undefined && { stoppedAt }),
  });
  const log = options.log ?? silentLogger;
  // One tracker for the process, fed by every loop and by the heartbeats: each outage is logged
  // once when it starts and once when it ends, however many loops retry in between.
  const health = new HealthTracker({ onChange: logChanges(log) });
  // The probe asks blob storage only: the loops ask the queue every few seconds anyway (each
  // accept is an answer or a failure), and a probe of the queue would open links of its own, a
  // risk during an outage (see roles/gateway.ts).
  const probe = dependencyProbe(health, { blobs: options.blobs });
  // A missed beat is not fatal (the blob store may hiccup); the next one catches up. It is
  // the worker's regular look at storage, so it says how storage answers: a write that fails,
  // or that has no answer within BEAT_ANSWER_MS, marks blob storage down. A write left hanging
  // (Azure's SDK retries a refused call for many seconds) finishes on its own while the next
  // beat starts afresh (at most one per BEAT_ANSWER_MS), which answers at once when storage
  // is back; at most MAX_HANGING_BEATS hang at once, so an outage does not pile up writes.
  const hanging = new Set<Promise<void>>();
  let lastAsked = 0;
  const sendBeat = async (stoppedAt?: number): Promise<void> => {
    // While writes hang, a fresh one starts only every BEAT_ANSWER_MS (heartbeats may come faster).
    if (hanging.size >= MAX_HANGING_BEATS || (hanging.size > 0 && clock.now() - lastAsked < BEAT_ANSWER_MS)) return;
    const asked = clock.now();
    lastAsked = asked;
    const write: Promise<void> = writeHeartbeat(options.blobs, beat(stoppedAt))
      .then(
        () => health.ok("blobs"),
        (err: unknown) => {
          if (dependencyOf(err) === "blobs") health.failed("blobs", err, asked);
        },
      )
      .finally(() => hanging.delete(write));
    hanging.add(write);
    await withTimeout(write, BEAT_ANSWER_MS, "heartbeat write").catch((err: unknown) => health.failed("blobs", err, asked));
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  if (heartbeatMs > 0) {
    await sendBeat();
    timer = setInterval(() => void sendBeat(), heartbeatMs);
  }

  const counting: TileRunner = {
    async run(task, signal) {
      inHand++;
      try {
        return await runner.run(task, signal);
      } finally {
        inHand--;
      }
    },
  };
  const bandBudget = new BandBudget(DEFAULTS.bandBudgetBytes);
  const kills = Array.from({ length: options.loops ?? defaultLoops(threads) }, () => new AbortController());
  const loops = kills.map((kill, i) =>
    runWorkerLoop({
      queue: options.queue,
      blobs: options.blobs,
      codec: options.codec,
      pool: counting,
      // Straight to the pool: a wrapper (tests') sees tile tasks only.
      touch: (buffer) => void kernelPool.run({ kind: "touch", buffer }).catch(() => undefined),
      bandBudget,
      workerId: options.loopId?.(i) ?? `${id}/${i}`,
      stop: stop.signal,
      kill: kill.signal,
      acceptTimeoutMs: options.acceptTimeoutMs ?? DEFAULTS.acceptTimeoutMs,
      health,
      clock,
      ...(options.log && { log: options.log.child({ loop: i }) }),
      onBand: (event, band) => {
        tilesDone += event.tiles.length;
        options.onBand?.(event, band);
      },
    }),
  );
  const settled = Promise.allSettled(loops);
  // A loop ends by itself only on a bug: that must not look like a clean stop.
  const done = settled.then((results) => {
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  });
  done.catch(() => undefined); // observed by whoever awaits `done`; never unhandled

  return {
    id,
    pool,
    loops: loops.length,
    get tilesDone() {
      return tilesDone;
    },
    get busy() {
      return inHand > 0;
    },
    heartbeat: () => beat(),
    health: probe,
    kill: (i) => kills[i]?.abort(),
    done,
    async stop(beforeDrain) {
      stop.abort();
      await beforeDrain?.();
      await settled;
      clearInterval(timer);
      if (heartbeatMs > 0) {
        // The last beat says "stopped". Bounded: a worker stopping during a storage outage must
        // not hang on it (its missed beats say it is gone, only later).
        const last = (async () => {
          await Promise.allSettled(hanging); // so that no older beat lands after it
          await sendBeat(clock.now());
        })();
        await withTimeout(last, 2 * BEAT_ANSWER_MS, "last heartbeat").catch(() => undefined);
      }
      await pool.close();
    },
  };
}
