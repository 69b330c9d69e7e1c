// A small embedded cluster for tests: the production wiring (roles/embedded.ts) with two
// threads, named loops that can be killed one by one, and a pool wrapper for injecting faults.

import type { Logger } from "../../engine/ports/logger.js";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import type { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { startEmbedded } from "../../roles/embedded.js";
import type { KernelPool } from "../../workers/pool.js";
import type { TileRunner } from "../../workers/worker-loop.js";

export const codec = new SharpCodec();

export interface ClusterOptions {
  loops: number;
  lockDurationMs?: number;
  maxDeliveryCount?: number;
  /** Wraps the real pool, e.g. to inject failures or delays. */
  pool?: (real: KernelPool) => TileRunner;
  /** The loops' and the coordinator's logs; silent without. */
  log?: Logger;
}

export async function startCluster(options: ClusterOptions) {
  const workerTiles = new Map<string, number>();
  const embedded = await startEmbedded({
    codec,
    threads: 2,
    loops: options.loops,
    workerId: (i) => `loop-${i}`,
    queue: { lockDurationMs: options.lockDurationMs ?? 30_000, maxDeliveryCount: options.maxDeliveryCount ?? 3 },
    pollMs: 50,
    onBand: (e) => workerTiles.set(e.worker, (workerTiles.get(e.worker) ?? 0) + e.tiles.length),
    ...(options.pool && { wrapPool: options.pool }),
    ...(options.log && { log: options.log }),
  });
  const blobs = embedded.blobs as MemoryBlobStore;
  return {
    ...embedded,
    blobs,
    workerTiles,
    /** The job's encoded result, decoded back to RGBA. */
    async result(name: string | undefined): Promise<Uint8ClampedArray> {
      if (!name) throw new Error("job has no result");
      return (await codec.decode(await blobs.get(name))).data as Uint8ClampedArray;
    },
  };
}
