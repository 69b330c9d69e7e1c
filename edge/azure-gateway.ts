/**
 * The gateway wired to Azure (or the local stand-ins): the coordinator runs here, over the
 * Service Bus queue and the blob container; workers are other processes, known by their
 * heartbeats. On start it reloads unfinished job manifests and carries them on, so a gateway
 * that died mid-job loses nothing but the time it was down.
 */

import { compileKernels, loadKernels } from "@tessera/kernels";
import { Coordinator } from "../engine/coordinator.js";
import { HealthTracker, logChanges } from "../engine/health.js";
import { currentHeartbeats } from "../engine/heartbeats.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import type { Logger } from "../engine/ports/logger.js";
import type { Queue } from "../engine/ports/queue.js";
import { SharpCodec } from "../infra/adapters/sharp-codec.js";
import { ClusterTracker, gatewayHealth } from "./cluster-view.js";
import { type Limits, limitsFromEnv, resultTtlFromEnv } from "./config.js";
import type { Gateway } from "./gateway.js";
import { Metrics } from "./metrics.js";

export interface AzureGatewayOptions {
  queue: Queue;
  blobs: BlobStore;
  limits?: Limits;
  /** How long ended jobs are kept; default TESSERA_RESULT_TTL (24 h). */
  resultTtlMs?: number;
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
    resultTtlMs: options.resultTtlMs ?? resultTtlFromEnv(),
    ...(options.log && { log: options.log }),
  });
  // Each outage is logged once when it starts and once when it ends.
  const dependencies = new HealthTracker({ ...(options.log && { onChange: logChanges(options.log) }) });
  const tracker = new ClusterTracker(coordinator, queue, metrics, dependencies);
  const resumed = await coordinator.resume();
  const health = gatewayHealth(dependencies, { queue, blobs }, metrics);
  const cluster = () => tracker.view(() => currentHeartbeats(blobs));
  // One probe and one look at start open the links they use (the management link of each
  // queue, over which Service Bus counts messages) while the broker is known to be up. A link
  // first opened just as the broker dies can leave the SDK's client hanging for a minute or
  // more, even after the broker is back; links opened before an outage fail fast during it
  // and work again as soon as it ends.
  await Promise.allSettled([health(), cluster()]);
  let stopping = false;
  return {
    coordinator,
    blobs,
    codec,
    queue,
    limits,
    metrics,
    resumed: resumed.length,
    cluster,
    health,
    stopping: () => stopping,
    ...(options.token && { token: options.token }),
    async stop() {
      stopping = true;
      await coordinator.close();
      await queue.close();
    },
  };
}
