/**
 * The gateway wired to the embedded runtime: in-memory queue, filesystem blob store, worker
 * loops in this process. `tessera serve` runs this; tests build it on a temporary directory.
 */

import { hostname } from "node:os";
import { TERMINAL } from "../engine/job.js";
import { FsBlobStore } from "../infra/adapters/fs-blob-store.js";
import { SharpCodec } from "../infra/adapters/sharp-codec.js";
import { type Embedded, startEmbedded } from "../workers/embedded.js";
import type { ClusterView } from "./api-types.js";
import { type Limits, limitsFromEnv } from "./config.js";
import type { Gateway } from "./gateway.js";
import { Metrics } from "./metrics.js";

export interface EmbeddedGatewayOptions {
  /** Where jobs, tiles and results live; unfinished jobs found here are resumed. */
  dataDir: string;
  threads?: number;
  limits?: Limits;
  token?: string;
}

export interface EmbeddedGateway extends Gateway {
  embedded: Embedded;
  stop(): Promise<void>;
}

export async function startEmbeddedGateway(options: EmbeddedGatewayOptions): Promise<EmbeddedGateway> {
  const limits = options.limits ?? limitsFromEnv();
  const codec = new SharpCodec({ maxPixels: limits.maxPixels });
  const metrics = new Metrics();
  const recent: number[] = []; // finish times of tiles in the last minute, for throughput
  let tilesDone = 0;
  const embedded = await startEmbedded({
    codec,
    blobs: new FsBlobStore(options.dataDir),
    ...(options.threads !== undefined && { threads: options.threads }),
    onTile: (event) => {
      tilesDone++;
      recent.push(Date.now());
      metrics.tiles.inc({ worker: event.worker });
    },
  });
  const { coordinator, queue, blobs, pool } = embedded;
  coordinator.subscribeAll(({ job }) => {
    if (!TERMINAL.has(job.status)) return;
    metrics.jobs.inc({ status: job.status });
    metrics.jobDuration.observe({ status: job.status }, (job.updatedAt - job.createdAt) / 1000);
  });
  await coordinator.resume();

  const cluster = async (): Promise<ClusterView> => {
    const now = Date.now();
    while (recent.length > 0 && (recent[0] ?? 0) < now - 60_000) recent.shift();
    const queues: ClusterView["queues"] = {};
    for (const name of Object.keys(queue.config)) queues[name] = await queue.depth(name);
    return {
      workers: [
        {
          id: `${hostname()}/${process.pid}`,
          pid: process.pid,
          host: hostname(),
          threads: pool.threads,
          tilesDone,
          lastSeen: new Date(now).toISOString(),
          alive: true,
          busy: pool.queued > 0 || pool.utilization > 0.05,
        },
      ],
      queues,
      throughput: recent.length / 60,
    };
  };

  return {
    coordinator,
    blobs,
    codec,
    queue,
    limits,
    metrics,
    cluster,
    embedded,
    ...(options.token && { token: options.token }),
    stop: () => embedded.stop(),
  };
}
