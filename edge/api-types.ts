/**
 * The JSON the HTTP API speaks (version 1). Shared by the gateway (edge/app) and the web UI
 * (edge/web): change a shape here and both sides see it.
 */

import type { DeadLetteredBand } from "../engine/dead-letters.js";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";

export interface ApiError {
  error: {
    /**
     * A stable code: INVALID_PIPELINE, BAD_REQUEST, UNAUTHORIZED, LISTING_DISABLED, NOT_FOUND,
     * NOT_READY, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, TOO_MANY_PIXELS, JOB_TOO_LARGE,
     * QUEUE_FULL (with a Retry-After header), DEPENDENCY_UNAVAILABLE, INTERNAL.
     */
    code: string;
    message: string;
  };
}

export interface Progress {
  done: number;
  total: number;
}

/** GET /v1/jobs/:id, and each item of GET /v1/jobs. */
export interface JobView {
  id: string;
  status: JobStatus;
  /** The pipeline's text form. */
  pipeline: string;
  width: number;
  height: number;
  format: "png" | "jpeg" | "webp" | "tiff" | "avif";
  createdAt: string;
  updatedAt: string;
  progress: Progress;
  /** The stage running now (0-based) and each stage's progress. */
  stage: number;
  stages: Progress[];
  /** The tile grid of the job, for drawing it over the image. */
  grid: { tileSize: number; cols: number; rows: number };
  /** Worker id per finished tile of the current stage (tile index → worker). */
  tileWorkers: Record<string, string>;
  /** Seconds left at the current rate; null until known. */
  etaSeconds: number | null;
  /** Relative URL of the result, once succeeded. */
  resultUrl?: string;
  error?: { code: string; message: string };
  /**
   * While it runs: DEPENDENCY_UNAVAILABLE (the job waits out a queue or storage outage) or
   * STALLED (no band has finished for longer than a lock lasts; no worker may be running).
   */
  warning?: { code: string; message: string };
}

/** Messages on GET /v1/jobs/:id/events (SSE, event names as `type`) and the WebSocket /v1/jobs/:id/ws. */
export type JobEvent =
  | { type: "job"; job: JobView }
  | { type: "tile"; stage: number; tile: number; worker: string }
  | { type: "end"; job: JobView };

/** GET /v1/cluster */
export interface ClusterView {
  workers: {
    id: string;
    pid: number;
    host: string;
    threads: number;
    tilesDone: number;
    lastSeen: string;
    alive: boolean;
    busy: boolean;
    /** Resident memory of the worker process, from its last heartbeat. */
    rssBytes?: number;
    /** CPU time the worker process has used, from its last heartbeat. */
    cpuSeconds?: number;
  }[];
  queues: Record<string, { active: number; deadLetter: number }>;
  /** Tiles finished per second over the last minute. */
  throughput: number;
  /** The most recent tiles the cluster gave up on, newest first, with the reason. */
  deadLetters: (Omit<DeadLetteredBand, "at"> & { at: string })[];
}

/** GET /v1/ops: the op registry (see @tessera/kernels ops). */
export interface OpView {
  name: string;
  category: string;
  kind: "point" | "local" | "global";
  description: string;
  params: {
    name: string;
    type: "int" | "number" | "enum" | "kernel" | "number?";
    min?: number;
    max?: number;
    values?: string[];
    maxSide?: number;
    default: number | string | number[] | null;
    description: string;
  }[];
}
