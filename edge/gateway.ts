import type { Coordinator } from "../engine/coordinator.js";
import type { HealthReport } from "../engine/health.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import type { Codec } from "../engine/ports/codec.js";
import type { Queue } from "../engine/ports/queue.js";
import type { ClusterView } from "./api-types.js";
import type { Limits } from "./config.js";
import type { Metrics } from "./metrics.js";

/**
 * What the HTTP app needs. `tessera serve` wires the embedded adapters in, `tessera gateway`
 * the Azure ones; the app knows only these ports.
 */
export interface Gateway {
  coordinator: Coordinator;
  blobs: BlobStore;
  codec: Codec;
  queue: Queue;
  limits: Limits;
  metrics: Metrics;
  /**
   * Workers and queues, for GET /v1/cluster and the UI's cluster panel. Rejects with a
   * DependencyError (503 DEPENDENCY_UNAVAILABLE) naming the queue or blob storage when one fails.
   */
  cluster(): Promise<ClusterView>;
  /**
   * How the queue and blob storage answer, probed with a timeout (a hung dependency does not
   * hang the caller) and shared by the callers of one second: for /healthz and /readyz.
   */
  health(): Promise<HealthReport>;
  /** True once the gateway is stopping: /readyz answers 503 so load balancers send no new work. */
  stopping(): boolean;
  /** Where uploads are written as they arrive (default: the OS's temporary folder). */
  uploadDir?: string;
  /** When set, every /v1 request needs `Authorization: Bearer <token>` (or `?access_token=` on GETs). */
  token?: string;
}
