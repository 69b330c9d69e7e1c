/**
 * The gateway wired to Azure (or the local stand-ins): the coordinator runs here, over the
 * Service Bus queue and the blob container; workers are other processes, known by their
 * heartbeats. On start it reloads unfinished job manifests and carries them on, so a gateway
 * that died mid-job loses nothing but the time it was down.
 */

import { compileKernels, loadKernels } from "@tessera/kernels";
import { Coordinator } from "../engine/coordinator.js";
import { currentHeartbeats } from "../engine/heartbeats.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import type { Logger } from "../engine/ports/logger.js";
import type { Queue } from "../engine/ports/queue.js";
import { SharpCodec } from "../infra/adapters/sharp-codec.js";
import { ClusterTracker } from "./cluster-view.js";
import { type Limits, limitsFromEnv } from "./config.js";
import type { Gateway } from "./gateway.js";
import { Metrics } from "./metrics.js";

export interface AzureGatewayOptions {
  queue: Queue;
  blobs: BlobStore;
  limits?: Limits;
  token?: string;
  log?: Logger;
}

export interface AzureGateway extends Gateway {
  /** Unfinished jobs found at start and carried on. */
  readonly resumed: number;
  stop(): Promise<void>;
}

export async function startAzureGateway(options: AzureGatewayOptions): Promise<AzureGateway> {
  const limits = options.limits ?? limitsFromEnv();
  const codec = new SharpCodec({ maxPixels: limits.maxPixels });
  const metrics = new Metrics();
  const { queue, blobs } = options;
  const coordinator = new Coordinator({
    queue,
    blobs,
    codec,
    kernels: await loadKernels(await compileKernels()),
    ...(options.log && { log: options.log }),
  });
  const tracker = new ClusterTracker(coordinator, queue, metrics);
  const resumed = await coordinator.resume();
  return {
    coordinator,
    blobs,
    codec,
    queue,
    limits,
    metrics,
    resumed: resumed.length,
    cluster: () => tracker.view(() => currentHeartbeats(blobs)),
    ...(options.token && { token: options.token }),
    async stop() {
      await coordinator.close();
      await queue.close();
    },
  };
}
