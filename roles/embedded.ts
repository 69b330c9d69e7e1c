/**
 * Everything on one machine in one process: the in-memory queue with Service Bus semantics,
 * a blob store, the coordinator, and worker loops over one kernel pool. The code path is the
 * cluster's: bands still go through the queue as messages and through blobs as bytes.
 */

import { hostname } from "node:os";
import { compileKernels, loadKernels } from "@tessera/kernels";
import { Coordinator } from "../engine/coordinator.js";
import { DEFAULTS } from "../engine/defaults.js";
import type { WorkerHeartbeat } from "../engine/heartbeats.js";
import { type BandEvent, EVENTS_QUEUE, TILES_QUEUE } from "../engine/messages.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import type { Codec } from "../engine/ports/codec.js";
import type { Logger } from "../engine/ports/logger.js";
import type { QueueConfig } from "../engine/ports/queue.js";
import { MemoryBlobStore } from "../infra/memory/memory-blob-store.js";
import { MemoryQueue } from "../infra/memory/memory-queue.js";
import type { KernelPool } from "../workers/pool.js";
import { startWorker } from "../workers/worker.js";
import type { TileRunner } from "../workers/worker-loop.js";

export interface EmbeddedOptions {
  codec: Codec;
  /** Kernel threads; default the number of cores. */
  threads?: number;
  /** Blob store; default in memory. */
  blobs?: BlobStore;
  /** Queue settings for both queues; defaults: 30 s locks, 3 deliveries. */
  queue?: Partial<QueueConfig>;
  /** Called after every band a loop finishes. */
  onBand?: (event: BandEvent) => void;
  /** Worker loops; default defaultLoops(threads). */
  loops?: number;
  /** Names loop `i` in progress events; default `<host>/<pid>/<i>`. */
  workerId?: (i: number) => string;
  /** Wraps the pool the loops use (tests inject failures and delays here). */
  wrapPool?: (pool: KernelPool) => TileRunner;
  /** The coordinator's wait for progress events; default 500 ms. */
  pollMs?: number;
  /** Job and tile logs; silent by default. */
  log?: Logger;
  /** A kernel pool started already (see startPool): its threads boot while the caller loads the rest. */
  pool?: KernelPool;
  /** How long ended jobs are kept (the coordinator's resultTtlMs; default 24 h). */
  resultTtlMs?: number;
}

export interface Embedded {
  readonly coordinator: Coordinator;
  readonly queue: MemoryQueue;
  readonly blobs: BlobStore;
  readonly pool: KernelPool;
  /** The in-process worker's heartbeat as of now, for the cluster view. */
  heartbeat(): WorkerHeartbeat;
  /** Kills loop `i` as if its process died: its tile is aborted and nothing is settled or released. */
  kill(i: number): void;
  /** Stops the loops after their tiles in hand, then the pool and the queue. */
  stop(): Promise<void>;
}

export async function startEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const config: QueueConfig = { ...DEFAULTS.embeddedQueue, ...options.queue };
  const queue = new MemoryQueue({ [TILES_QUEUE]: config, [EVENTS_QUEUE]: config });
  const blobs = options.blobs ?? new MemoryBlobStore();
  const module = options.pool?.module ?? (await compileKernels());
  const worker = await startWorker({
    module,
    ...(options.pool && { pool: options.pool }),
    queue,
    blobs,
    codec: options.codec,
    heartbeatMs: 0,
    acceptTimeoutMs: DEFAULTS.embeddedAcceptTimeoutMs,
    id: `${hostname()}/${process.pid}`,
    ...(options.threads !== undefined && { threads: options.threads }),
    ...(options.loops !== undefined && { loops: options.loops }),
    ...(options.workerId && { loopId: options.workerId }),
    ...(options.wrapPool && { wrapPool: options.wrapPool }),
    ...(options.onBand && { onBand: options.onBand }),
    ...(options.log && { log: options.log }),
  });
  const coordinator = new Coordinator({
    queue,
    blobs,
    codec: options.codec,
    kernels: await loadKernels(module),
    ...(options.pollMs !== undefined && { pollMs: options.pollMs }),
    ...(options.log && { log: options.log }),
    ...(options.resultTtlMs !== undefined && { resultTtlMs: options.resultTtlMs }),
  });
  return {
    coordinator,
    queue,
    blobs,
    pool: worker.pool,
    kill: (i) => worker.kill(i),
    heartbeat: () => worker.heartbeat(),
    async stop() {
      await worker.stop(async () => {
        await coordinator.close();
        // Closing the queue ends the loops' pending waits at once (QUEUE_CLOSED) instead of
        // letting each sit out its accept timeout.
        await queue.close();
      });
    },
  };
}
