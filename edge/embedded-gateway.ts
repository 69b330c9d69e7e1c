/**
 * The gateway wired to the embedded runtime: in-memory queue, filesystem blob store, worker
 * loops in this process. `tessera serve` runs this; tests build it on a temporary directory.
 */

import { HealthTracker, logChanges } from "../engine/health.js";
import type { Logger } from "../engine/ports/logger.js";
import { FsBlobStore } from "../infra/adapters/fs-blob-store.js";
import { SharpCodec } from "../infra/adapters/sharp-codec.js";
import { type Embedded, startEmbedded } from "../workers/embedded.js";
import { ClusterTracker, gatewayHealth } from "./cluster-view.js";
import { type Limits, limitsFromEnv, resultTtlFromEnv } from "./config.js";
import type { Gateway } from "./gateway.js";
import { Metrics } from "./metrics.js";

export interface EmbeddedGatewayOptions {
  /** Where jobs, tiles and results live; unfinished jobs found here are resumed. */
  dataDir: string;
  threads?: number;
  limits?: Limits;
  /** How long ended jobs are kept; default TESSERA_RESULT_TTL (24 h). */
  resultTtlMs?: number;
  token?: string;
  log?: Logger;
}

export interface EmbeddedGateway extends Gateway {
  embedded: Embedded;
  stop(): Promise<void>;
}

export async function startEmbeddedGateway(options: EmbeddedGatewayOptions): Promise<EmbeddedGateway> {
  const limits = options.limits ?? limitsFromEnv();
  const codec = new SharpCodec({ maxPixels: limits.maxPixels });
  const metrics = new Metrics();
  // Nothing writes to the folder yet: the half-written files of a killed process can go.
  const fsBlobs = new FsBlobStore(options.dataDir);
  await fsBlobs.removeUnfinishedPuts();
  const embedded = await startEmbedded({
    codec,
    blobs: fsBlobs,
    resultTtlMs: options.resultTtlMs ?? resultTtlFromEnv(),
    ...(options.log && { log: options.log }),
    ...(options.threads !== undefined && { threads: options.threads }),
  });
  const { coordinator, queue, blobs } = embedded;
  const health = new HealthTracker({ ...(options.log && { onChange: logChanges(options.log) }) });
  const tracker = new ClusterTracker(coordinator, queue, metrics, health);
  await coordinator.resume();
  let stopping = false;

  return {
    coordinator,
    blobs,
    codec,
    queue,
    limits,
    metrics,
    // The one worker is this process: its heartbeat is taken on demand.
    cluster: () => tracker.view(() => [embedded.heartbeat()]),
    health: gatewayHealth(health, { queue, blobs }, metrics),
    stopping: () => stopping,
    embedded,
    ...(options.token && { token: options.token }),
    stop: () => {
      stopping = true;
      return embedded.stop();
    },
  };
}
