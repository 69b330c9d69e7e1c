/**
 * Everything on one machine in one process: the in-memory queue with Service Bus semantics,
 * a blob store, the coordinator, and worker loops over one kernel pool. The code path is the
 * cluster's: tiles still go through the queue as messages and through blobs as bytes.
 */

import { availableParallelism, hostname } from "node:os";
import { compileKernels, loadKernels } from "@tessera/kernels";
import { Coordinator } from "../engine/coordinator.js";
import { MemoryBlobStore } from "../engine/embedded/memory-blob-store.js";
import { MemoryQueue } from "../engine/embedded/memory-queue.js";
import { EVENTS_QUEUE, TILES_QUEUE, type TileEvent } from "../engine/messages.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import type { Codec } from "../engine/ports/codec.js";
import type { QueueConfig } from "../engine/ports/queue.js";
import { KernelPool } from "./pool.js";
import { runWorkerLoop } from "./worker-loop.js";

export interface EmbeddedOptions {
  codec: Codec;
  /** Kernel threads; default the number of cores. */
  threads?: number;
  /** Blob store; default in memory. */
  blobs?: BlobStore;
  /** Queue settings for both queues; defaults: 30 s locks, 3 deliveries. */
  queue?: Partial<QueueConfig>;
  /** Called after every tile a loop finishes. */
  onTile?: (event: TileEvent) => void;
}

export interface Embedded {
  readonly coordinator: Coordinator;
  readonly queue: MemoryQueue;
  readonly blobs: BlobStore;
  readonly pool: KernelPool;
  /** Stops the loops after their tiles in hand, then the pool and the queue. */
  stop(): Promise<void>;
}

export async function startEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const threads = options.threads ?? availableParallelism();
  const config: QueueConfig = { lockDurationMs: 30_000, maxDeliveryCount: 3, ...options.queue };
  const queue = new MemoryQueue({ [TILES_QUEUE]: config, [EVENTS_QUEUE]: config });
  const blobs = options.blobs ?? new MemoryBlobStore();
  const module = await compileKernels();
  const pool = await KernelPool.create({ threads, module });
  const coordinator = new Coordinator({ queue, blobs, codec: options.codec, kernels: await loadKernels(module) });
  const stop = new AbortController();
  // Two loops per thread: while one loop reads or writes blobs, the other's tile can run.
  const loops = Array.from({ length: threads * 2 }, (_, i) =>
    runWorkerLoop({
      queue,
      blobs,
      pool,
      workerId: `${hostname()}/${process.pid}/${i}`,
      stop: stop.signal,
      acceptTimeoutMs: 200,
      ...(options.onTile && { onTile: options.onTile }),
    }),
  );
  return {
    coordinator,
    queue,
    blobs,
    pool,
    async stop() {
      stop.abort();
      await coordinator.close();
      // Closing the queue ends the loops' pending waits at once (QUEUE_CLOSED) instead of
      // letting each sit out its accept timeout.
      await queue.close();
      await Promise.allSettled(loops);
      await pool.close();
    },
  };
}
