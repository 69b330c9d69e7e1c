/**
 * Jobs: states, progress and the manifest that is persisted after every transition, so that a
 * coordinator that restarts can reload it and carry on.
 *
 *   queued ──▶ running ──▶ succeeded
 *     │           ├──────▶ failed     (a band dead-lettered, a reduction failed, an outage outlasted, …)
 *     │           └──────▶ canceled   (DELETE /v1/jobs/:id)
 *     └──▶ failed | canceled
 *
 * The three endings are terminal: nothing leaves them (canMove says so, and the coordinator
 * asks it at every transition), so a job that was canceled stays canceled whatever a worker
 * or a restarted coordinator does next, and its ending is counted once.
 */

import type { Step } from "@tessera/kernels";
import type { OutputFormat } from "./ports/codec.js";

/** Every state a job can be in: the one list the manifest schema and the HTTP API's enum come from. */
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL: ReadonlySet<JobStatus> = new Set(["succeeded", "failed", "canceled"]);

const MOVES: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ["running", "failed", "canceled"],
  running: ["succeeded", "failed", "canceled"],
  succeeded: [],
  failed: [],
  canceled: [],
};

/** Whether a job in state `from` may move to `to`: the state machine above, in one table. */
export const canMove = (from: JobStatus, to: JobStatus): boolean => MOVES[from].includes(to);

/** Why a job failed, in the same {code, message} shape the HTTP API returns. */
export interface JobError {
  code:
    | "TILE_FAILED"
    | "TILE_DEAD_LETTERED"
    | "REDUCE_FAILED"
    | "ENCODE_FAILED"
    /** The queue or the blob store stayed unreachable longer than the outage budget. */
    | "DEPENDENCY_UNAVAILABLE"
    | "INTERNAL";
  message: string;
}

/**
 * Something the job's owner should know while it runs: it is waiting out an outage of the
 * queue or the blob store, or no band has finished for longer than a lock lasts (no worker
 * may be running). Cleared once the job moves again.
 */
export interface JobWarning {
  code: "DEPENDENCY_UNAVAILABLE" | "STALLED";
  message: string;
}

export interface Progress {
  done: number;
  total: number;
}

export interface JobManifest {
  id: string;
  status: JobStatus;
  createdAt: number;
  updatedAt: number;
  /** The validated pipeline (parsed steps) and its text form, for display. */
  steps: Step[];
  pipeline: string;
  width: number;
  height: number;
  tileSize: number;
  format: OutputFormat;
  /**
   * Every pixel of the source is opaque (it has no alpha channel), so every pixel of the result
   * is too: no op changes alpha. The result then stores no alpha where its format can omit it.
   */
  opaque?: boolean;
  /** What a running job is doing now, for progress: see JOB_STEPS. */
  step?: JobStep;
  /** When the finish step began (epoch ms), for the ETA while it runs. */
  finishStartedAt?: number;
  /** How long the finish should take, from jobs of its kind before it (finish-estimates.ts). */
  finishEstimateMs?: number;
  /** Who the job belongs to: an opaque id derived from the caller's token (never the token). */
  owner?: string;
  /** The stage running now (index into the plan); equals the stage count once all are done. */
  stage: number;
  /** Progress per stage, in tiles. */
  stages: Progress[];
  /** The resolved step the current stage's tiles run first (after a histogram reduction). */
  carried?: Step;
  /** What the current stage's bands read (see StageInput). */
  input: StageInput;
  /**
   * False from the moment the job is recorded until its source is wholly stored; the 202 goes
   * out only after that. A restarted coordinator removes a job still false: its upload was
   * never acknowledged, so nobody knows its id and nothing of it may be left behind.
   * (Manifests written before this field existed lack it, and were stored.)
   */
  stored?: boolean;
  warning?: JobWarning;
  /** Blob name of the encoded result once succeeded. */
  result?: string;
  error?: JobError;
  /**
   * Milliseconds spent per phase: preparing the source's bands (cutting or decoding it, and
   * writing them; overlapped with the first stage), stages (dispatch to last band), the
   * workers' reads (blob reads and piece decoding), kernels and writes (piece encoding and
   * blob writes), each summed over bands, so above wall time when bands run side by side,
   * reductions, joining or stitching the result, and encoding it when it was not encoded
   * band by band.
   */
  timings?: Partial<Record<"split" | "stages" | "read" | "kernels" | "write" | "reduce" | "stitch" | "encode", number>>;
  /** Who ran each finished tile of the current stage: tile → worker id (for the UI's tile map). */
  tileWorkers?: Record<number, string>;
}

/**
 * Where the current stage's bands read their input:
 * - `source`: the job's encoded image (`source` blob); the first stage cuts it into pieces
 *   (a baseline JPEG, without decoding) or decodes it into windows as it dispatches;
 * - `windows`: a window layer, one raw blob per band holding the band's rows and halo;
 * - `layer`: the previous stage's output bands, each window read by range from them.
 */
export type StageInput =
  | { kind: "source" }
  | { kind: "windows"; prefix: string; channels?: 1 | 3 }
  | { kind: "layer"; prefix: string; channels?: 1 };

export function overallProgress(m: JobManifest): Progress {
  return m.stages.reduce((acc, s) => ({ done: acc.done + s.done, total: acc.total + s.total }), { done: 0, total: 0 });
}

/** Job ids are random UUIDs: unguessable, so knowing one is the capability to read the job. */
export const newJobId = (): string => globalThis.crypto.randomUUID();

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isJobId = (id: string): boolean => JOB_ID.test(id);

export type Phase = keyof NonNullable<JobManifest["timings"]>;

/** Adds `ms` to the job's time in `phase` (phases of overlapping bands add up past wall time). */
export const addTime = (job: JobManifest, phase: Phase, ms: number): void => {
  job.timings = { ...job.timings, [phase]: (job.timings?.[phase] ?? 0) + Math.round(ms) };
};

/**
 * What a job is doing, as its progress shows it: storing its source (`ingest`), running its
 * stages' bands (`stages`), reducing between stages (`reduce`: histograms, canny's edges), or
 * building its result from the last stage (`finish`: joining pieces, a pyramid, encoding).
 */
export const JOB_STEPS = ["ingest", "stages", "reduce", "finish"] as const;
export type JobStep = (typeof JOB_STEPS)[number];

/**
 * Whether the job keeps its uploaded source with its result: an analysis result (JSON) is
 * downloaded as an overlay too, drawn on the source.
 */
export const keepsSource = (job: Pick<JobManifest, "format">): boolean => job.format === "json";
