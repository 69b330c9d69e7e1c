// A small embedded cluster for tests: MemoryQueue, MemoryBlobStore, coordinator and worker
// loops over a real piscina pool, with loops that can be stopped or killed one by one.

import { Coordinator } from "../../engine/coordinator.js";
import { MemoryBlobStore } from "../../engine/embedded/memory-blob-store.js";
import { MemoryQueue } from "../../engine/embedded/memory-queue.js";
import { EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { KernelPool } from "../../workers/pool.js";
import { runWorkerLoop, type TileRunner } from "../../workers/worker-loop.js";
import { kernels } from "./kernels.js";

export const codec = new SharpCodec();

export interface ClusterOptions {
  loops: number;
  lockDurationMs?: number;
  maxDeliveryCount?: number;
  /** Wraps the real pool, e.g. to inject failures or delays. */
  pool?: (real: KernelPool) => TileRunner;
}

export async function startCluster(options: ClusterOptions) {
  const config = { lockDurationMs: options.lockDurationMs ?? 30_000, maxDeliveryCount: options.maxDeliveryCount ?? 3 };
  const queue = new MemoryQueue({ [TILES_QUEUE]: config, [EVENTS_QUEUE]: config });
  const blobs = new MemoryBlobStore();
  const real = await KernelPool.create({ threads: 2 });
  const pool = options.pool?.(real) ?? real;
  const coordinator = new Coordinator({ queue, blobs, codec, kernels: await kernels(), pollMs: 50 });
  const stop = new AbortController();
  const kills = Array.from({ length: options.loops }, () => new AbortController());
  const workerTiles = new Map<string, number>();
  const loops = kills.map((kill, i) =>
    runWorkerLoop({
      queue,
      blobs,
      pool,
      workerId: `loop-${i}`,
      stop: stop.signal,
      kill: kill.signal,
      acceptTimeoutMs: 50,
      receiveTimeoutMs: 20,
      onTile: (e) => workerTiles.set(e.worker, (workerTiles.get(e.worker) ?? 0) + 1),
    }),
  );
  return {
    queue,
    blobs,
    coordinator,
    kills,
    workerTiles,
    /** The job's encoded result, decoded back to RGBA. */
    async result(name: string | undefined): Promise<Uint8ClampedArray> {
      if (!name) throw new Error("job has no result");
      return (await codec.decode(await blobs.get(name))).data as Uint8ClampedArray;
    },
    async stop(): Promise<void> {
      stop.abort();
      await coordinator.close();
      await Promise.allSettled(loops);
      await real.close();
      await queue.close();
    },
  };
}
