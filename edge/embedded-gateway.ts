/**
 * The gateway wired to the embedded runtime: in-memory queue, filesystem blob store, worker
 * loops in this process. `tessera serve` runs this; tests build it on a temporary directory.
 */

import type { Logger } from "../engine/ports/logger.js";
import { FsBlobStore } from "../infra/adapters/fs-blob-store.js";
import { SharpCodec } from "../infra/adapters/sharp-codec.js";
import { type Embedded, startEmbedded } from "../workers/embedded.js";
import { ClusterTracker } from "./cluster-view.js";
import { type Limits, limitsFromEnv } from "./config.js";
import type { Gateway } from "./gateway.js";
import { Metrics } from "./metrics.js";

export interface EmbeddedGatewayOptions {
  /** Where jobs, tiles and results live; unfinished jobs found here are resumed. */
  dataDir: string;
  threads?: number;
  limits?: Limits;
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
  const embedded = await startEmbedded({
    codec,
    blobs: new FsBlobStore(options.dataDir),
    ...(options.log && { log: options.log }),
    ...(options.threads !== undefined && { threads: options.threads }),
  });
  const { coordinator, queue, blobs } = embedded;
  const tracker = new ClusterTracker(coordinator, queue, metrics);
  await coordinator.resume();

  return {
    coordinator,
    blobs,
    codec,
    queue,
    limits,
    metrics,
    // The one worker is this process: its heartbeat is taken on demand.
    cluster: () => tracker.view(() => [embedded.heartbeat()]),
    embedded,
    ...(options.token && { token: options.token }),
    stop: () => embedded.stop(),
  };
}
