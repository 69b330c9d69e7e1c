/**
 * Every blob name the system writes, made here: the storage layout in one file.
 *
 *   jobs/<id>/manifest.json     the job (engine/job.ts), written before any other blob of it
 *   jobs/<id>/source            the upload as it came, when it can be cut without decoding
 *   jobs/<id>/src/b<n>[.jpeg]   the first stage's inputs: band windows, or JPEG pieces
 *   jobs/<id>/s<k>/b<n>[.<fmt>] stage k's output bands (raw, or encoded pieces of the result)
 *   jobs/<id>/s<k>/h<n>         a band's histogram, when stage k ends in one
 *   jobs/<id>/s<k>/b<n>.json    a band's analysis partials (one per tile, JSON), when the
 *                               pipeline ends in an analysis op: the band's only output; on
 *                               a detection stage, message n's windows' detections
 *   jobs/<id>/s<k>e/…           stage k's edge classes, before canny's hysteresis
 *   jobs/<id>/stopped           the job failed or was canceled: workers drop its bands
 *   jobs/<id>/result.<fmt>      the result (`result.json` for an analysis op; its job keeps
 *                               `source` too, which the overlay is drawn on)
 *   jobs/<id>/result/…          a tile-set result's files (Deep Zoom, IIIF)
 *   workers/<id>.json           a worker's heartbeat
 *   health/probe                asked about (never written) to see whether storage answers
 */

import type { OutputFormat } from "./ports/codec.js";

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
/** The folder of a tile-set result: its descriptor and every tile (the manifest names the descriptor). */
export const resultFolder = (id: string): string => `${jobPrefix(id)}/result/`;

/** A band of a layer (a stage's output, or the first stage's windows). */
export const bandName = (layer: string, band: number): string => `${layer}/b${band}`;
/** A band encoded as a piece of a file that joins with the others (a JPEG's restart-interval run). */
export const pieceName = (layer: string, band: number, format: OutputFormat): string => `${layer}/b${band}.${format}`;
export const histogramName = (layer: string, band: number): string => `${layer}/h${band}`;
/** A band's analysis partials, one per tile in tile order, as JSON: its output (its existence means done). */
export const partialsName = (layer: string, band: number): string => `${layer}/b${band}.json`;

export const HEARTBEAT_PREFIX = "workers/";
/** A worker's heartbeat; its id made safe as one blob-name segment. */
export const heartbeatName = (id: string): string => `${HEARTBEAT_PREFIX}${id.replace(/[^A-Za-z0-9._-]/g, "_")}.json`;

/** The blob a probe asks about: it need not exist (asking is what tells whether storage answers). */
export const PROBE_BLOB = "health/probe";
