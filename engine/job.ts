/**
 * Jobs: states, progress and the manifest that is persisted after every transition, so that a
 * coordinator that restarts can reload it and carry on.
 *
 *   queued ──▶ running ──▶ succeeded
 *                 │ └────▶ failed     (a tile dead-lettered, a reduction failed, …)
 *                 └──────▶ canceled   (DELETE /v1/jobs/:id, Ctrl-C)
 */

import type { Step } from "@tessera/kernels";
import type { OutputFormat } from "./ports/codec.js";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";
export const TERMINAL: ReadonlySet<JobStatus> = new Set(["succeeded", "failed", "canceled"]);

/** Why a job failed, in the same {code, message} shape the HTTP API returns. */
export interface JobError {
  code: "TILE_FAILED" | "TILE_DEAD_LETTERED" | "REDUCE_FAILED" | "ENCODE_FAILED" | "INTERNAL";
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
  /** The stage running now (index into the plan); equals the stage count once all are done. */
  stage: number;
  /** Progress per stage, in tiles. */
  stages: Progress[];
  /** The resolved step the current stage's tiles run first (after a histogram reduction). */
  carried?: Step;
  /** What the current stage's bands read (see StageInput). */
  input: StageInput;
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
export type StageInput = { kind: "source" } | { kind: "windows"; prefix: string } | { kind: "layer"; prefix: string };

export function overallProgress(m: JobManifest): Progress {
  return m.stages.reduce((acc, s) => ({ done: acc.done + s.done, total: acc.total + s.total }), { done: 0, total: 0 });
}

export const jobPrefix = (id: string): string => `jobs/${id}`;
export const manifestName = (id: string): string => `${jobPrefix(id)}/manifest.json`;
/** The image as it was uploaded (encoded): what a restarted coordinator cuts again. */
export const sourceName = (id: string): string => `${jobPrefix(id)}/source`;
/** The first stage's inputs: pieces cut from the source, or windows of the decoded source. */
export const sourceLayer = (id: string): string => `${jobPrefix(id)}/src`;
export const stageLayer = (id: string, stage: number): string => `${jobPrefix(id)}/s${stage}`;
export const edgesLayer = (id: string, stage: number): string => `${jobPrefix(id)}/s${stage}e`;
/** Written when a job is canceled or fails: workers drop its remaining tiles instead of running them. */
export const stoppedMarker = (id: string): string => `${jobPrefix(id)}/stopped`;
export const resultName = (id: string, format: OutputFormat): string => `${jobPrefix(id)}/result.${format}`;

/** Job ids are random UUIDs: unguessable, so knowing one is the capability to read the job. */
export const newJobId = (): string => globalThis.crypto.randomUUID();

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isJobId = (id: string): boolean => JOB_ID.test(id);
