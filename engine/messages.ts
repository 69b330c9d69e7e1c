/**
 * What travels on the queues. Messages carry blob names, never pixels (Service Bus Standard
 * caps a message at 256 KB; one band of a 24 MP image is 12 MB).
 */

import type { Step } from "@tessera/kernels";
import { OUTPUT_FORMATS, type OutputFormat } from "./ports/codec.js";
import type { MessageBody } from "./ports/queue.js";
import { arrayOf, boolean, byKind, count, number, object, oneOf, optional, shapeProblem, string } from "./shape-check.js";

export const TILES_QUEUE = "tiles";
export const EVENTS_QUEUE = "events";

/**
 * Where a band's input window (its rows grown by the stage's halo) comes from:
 * - `window`: one blob holding exactly the window, raw RGBA, or RGB when `channels` is 3 (an
 *   opaque source read a region at a time: a quarter less to store, read and hold), or grey
 *   when 1 (an opaque image's canny edges); private to this band;
 * - `piece`: one blob holding an encoded piece of the source image (a JPEG cut without
 *   decoding) that decodes to rows [top, …) of the image, the window among them; private;
 * - `layer`: the previous stage's output bands (raw RGBA, or grey when `channels` is 1: see
 *   greyLayer in plan.ts; one blob per band), read by range: the window's rows from each band
 *   they cross. Shared with the neighbouring bands.
 */
export type BandInput =
  | { kind: "window"; name: string; channels?: 1 | 3 }
  | { kind: "piece"; name: string; top: number }
  | { kind: "layer"; prefix: string; channels?: 1 };

/** On `tiles`, session `<jobId>.<stage>.<band>`: run every tile of one band of one stage. */
export interface BandMessage {
  kind: "band";
  jobId: string;
  stage: number;
  band: number;
  grid: { width: number; height: number; tileSize: number };
  halo: number;
  input: BandInput;
  /** Blob prefix of the layer the band's result goes to. */
  output: string;
  steps: Step[];
  /** Also write the band's luma histogram (stages that end in a histogram op). */
  histogram: boolean;
  /**
   * The pipeline's analysis step (the last stage of a pipeline that ends in one): each tile
   * runs `steps`, then the op on its luma, and the band writes the tiles' partials as its
   * output (`b<n>.json`) instead of pixels.
   */
  analysis?: Step;
  /**
   * The pipeline's detection step (a detection stage): the message runs group `band` of the
   * detection grid's windows (as many groups as the grid has bands) on the previous stage's
   * layer, and writes their detections as its output (`b<n>.json`); it has no tiles.
   */
  detection?: Step;
  /**
   * Write the band's result encoded in this format, as a piece that joins with the other
   * bands' into the final file, instead of raw pixels (the last stage, when the codec can join).
   */
  encode?: { format: OutputFormat; grey: boolean; opaque?: boolean };
  /**
   * Write the band's raw rows as one channel: the stage's output is grey and opaque, and the
   * next stage reads it as a grey layer (greyLayer in plan.ts). Absent: RGBA.
   */
  layerChannels?: 1;
  /**
   * The last message the coordinator sent to this session. A worker that finishes it releases
   * the session at once instead of waiting on the broker to learn that it is empty.
   */
  last?: boolean;
}

/** On `events`, session `<jobId>`: a worker finished (or gave up on) a band. */
export interface BandEvent {
  kind: "band-done" | "band-failed";
  jobId: string;
  stage: number;
  band: number;
  /** The band's tiles: the unit of progress the UI shows. */
  tiles: number[];
  worker: string;
  /** Milliseconds the worker spent on the band (read, decode, kernels, encode, write). */
  ms: number;
  /** Milliseconds of that in the kernels, summed over the band's tiles (on several threads). */
  kernelMs?: number;
  /** Milliseconds reading the input (blob reads, and decoding a source piece). */
  readMs?: number;
  /** Milliseconds writing the output (encoding a result piece, and blob writes). */
  writeMs?: number;
  /** band-failed: the tile that failed, and why. */
  tile?: number;
  error?: string;
}

export const sessionFor = (jobId: string, stage: number, band: number): string => `${jobId}.${stage}.${band}`;

export const asBody = (m: BandMessage | BandEvent): MessageBody => m as unknown as MessageBody;

const blobName = string(1);
/** An analysis or detection step: its op and params. The kernels check the params when they run it. */
const paramsStep = object({ op: string(1), params: object({}) });

/**
 * What a band message must be to be run: checked where it is read (the worker), so one that is
 * malformed is dead-lettered with the reason instead of failing inside a tile. Steps are
 * checked for shape only here; the kernels validate each step's params when they run it.
 */
const bandMessage = object({
  kind: oneOf(["band"]),
  jobId: string(1),
  stage: count,
  band: count,
  grid: object({ width: number(1, true), height: number(1, true), tileSize: number(1, true) }),
  halo: count,
  input: byKind({
    window: object({ name: blobName, channels: optional(oneOf([1, 3])) }),
    piece: object({ name: blobName, top: count }),
    layer: object({ prefix: blobName, channels: optional(oneOf([1])) }),
  }),
  output: blobName,
  steps: arrayOf(object({ op: string() })),
  histogram: boolean,
  analysis: optional(paramsStep),
  detection: optional(paramsStep),
  encode: optional(object({ format: oneOf(OUTPUT_FORMATS), grey: boolean, opaque: optional(boolean) })),
  layerChannels: optional(oneOf([1])),
  last: optional(boolean),
});

/** What a band event must be for the coordinator to count it. */
const bandEvent = object({
  kind: oneOf(["band-done", "band-failed"]),
  jobId: string(1),
  stage: count,
  band: count,
  tiles: arrayOf(count),
  worker: string(),
  ms: number(0, false),
  kernelMs: optional(number(0, false)),
  readMs: optional(number(0, false)),
  writeMs: optional(number(0, false)),
  tile: optional(count),
  error: optional(string()),
});

/** Why `body` is not a band message to run, or undefined when it is one: a dead letter's description. */
export function bandMessageProblem(body: MessageBody): string | undefined {
  const problem = shapeProblem(bandMessage, body);
  return problem && `not a band message: ${problem}`;
}

export function isBandEvent(body: MessageBody): body is MessageBody & BandEvent {
  return shapeProblem(bandEvent, body) === undefined;
}
