/**
 * A gateway assembled from its parts, two ways:
 * - embedded (`tessera serve`, tests): the in-memory queue, a filesystem blob store and worker
 *   loops in this process (roles/embedded.ts);
 * - Azure (`tessera gateway`): the coordinator over a Service Bus queue and a blob container;
 *   workers are other processes, known by their heartbeats.
 * Either way, on start it reloads unfinished job manifests and carries them on, so a gateway
 * that died mid-job loses nothing but the time it was down. The HTTP app (edge/app.ts) sees
 * only the Gateway port.
 */

import { tmpdir } from "node:os";
import { compileKernels, loadKernels } from "@tessera/kernels";
import { ClusterTracker, gatewayHealth } from "../edge/cluster-view.js";
import { type Limits, limitsFromEnv, resultTtlFromEnv } from "../edge/config.js";
import type { Gateway } from "../edge/gateway.js";
import { Metrics } from "../edge/metrics.js";
import { UPLOAD_TEMP_PREFIX } from "../edge/upload.js";
import { Coordinator } from "../engine/coordinator.js";
import { HealthTracker, logChanges } from "../engine/health.js";
import { currentHeartbeats, type WorkerHeartbeat } from "../engine/heartbeats.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import type { Logger } from "../engine/ports/logger.js";
import type { Queue } from "../engine/ports/queue.js";
import { FsBlobStore } from "../infra/adapters/fs-blob-store.js";
import { JpegScanPool } from "../infra/adapters/jpeg/scan-pool.js";
import { SharpCodec } from "../infra/adapters/sharp-codec.js";
import { removeStaleTempFiles } from "../infra/adapters/temp-files.js";
import { type Embedded, startEmbedded } from "./embedded.js";

interface GatewaySettings {
  limits?: Limits;
  /** How long ended jobs are kept; default TESSERA_RESULT_TTL (24 h). */
  resultTtlMs?: number;
  token?: string;
  log?: Logger;
}

export interface EmbeddedGatewayOptions extends GatewaySettings {
  /** Where jobs, tiles and results live; unfinished jobs found here are resumed. */
  dataDir: string;
  threads?: number;
}

export interface AzureGatewayOptions extends GatewaySettings {
  queue: Queue;
  blobs: BlobStore;
}

export interface RunningGateway extends Gateway {
  /** Unfinished jobs found at start and carried on. */
  readonly resumed: number;
  stop(): Promise<void>;
}

export interface EmbeddedGateway extends RunningGateway {
  embedded: Embedded;
}

/** What differs between the two: where the coordinator and the workers come from. */
interface Parts {
  coordinator: Coordinator;
  queue: Queue;
  blobs: BlobStore;
  codec: SharpCodec;
  limits: Limits;
  heartbeats(): Promise<readonly WorkerHeartbeat[]> | readonly WorkerHeartbeat[];
  close(): Promise<void>;
}

/** The rest, the same for both: metrics, the cluster view, health, resuming, stopping. */
async function assemble(parts: Parts, settings: GatewaySettings): Promise<RunningGateway> {
  const { coordinator, queue, blobs, codec, limits } = parts;
  const metrics = new Metrics();
  // Each outage is logged once when it starts and once when it ends.
  const dependencies = new HealthTracker({ ...(settings.log && { onChange: logChanges(settings.log) }) });
  const tracker = new ClusterTracker(coordinator, queue, metrics, dependencies);
  const resumed = await coordinator.resume();
  // Uploads a gateway killed mid-request left spooled (best effort: a leftover costs disk only).
  await removeStaleTempFiles(tmpdir(), UPLOAD_TEMP_PREFIX).catch(() => undefined);
  const health = gatewayHealth(dependencies, { queue, blobs }, metrics);
  const cluster = () => tracker.view(parts.heartbeats);
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
    ...(settings.token && { token: settings.token }),
    async stop() {
      stopping = true;
      await parts.close();
    },
  };
}

/** `tessera serve`: everything in this process, jobs kept in `dataDir`. */
export async function startEmbeddedGateway(options: EmbeddedGatewayOptions): Promise<EmbeddedGateway> {
  const limits = options.limits ?? limitsFromEnv();
  const codec = new SharpCodec({ maxPixels: limits.maxPixels, scans: new JpegScanPool() });
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
  const gateway = await assemble(
    {
      coordinator,
      queue,
      blobs,
      codec,
      limits,
      // The one worker is this process: its heartbeat is taken on demand.
      heartbeats: () => [embedded.heartbeat()],
      close: () => embedded.stop(),
    },
    options,
  );
  return { ...gateway, embedded };
}

/** `tessera gateway`: the coordinator over Service Bus and Blob Storage; workers elsewhere. */
export async function startAzureGateway(options: AzureGatewayOptions): Promise<RunningGateway> {
  const limits = options.limits ?? limitsFromEnv();
  const codec = new SharpCodec({ maxPixels: limits.maxPixels, scans: new JpegScanPool() });
  const { queue, blobs } = options;
  const coordinator = new Coordinator({
    queue,
    blobs,
    codec,
    kernels: await loadKernels(await compileKernels()),
    resultTtlMs: options.resultTtlMs ?? resultTtlFromEnv(),
    ...(options.log && { log: options.log }),
  });
  return assemble(
    {
      coordinator,
      queue,
      blobs,
      codec,
      limits,
      heartbeats: () => currentHeartbeats(blobs),
      async close() {
        await coordinator.close();
        await queue.close();
      },
    },
    options,
  );
}
