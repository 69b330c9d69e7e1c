/**
 * What travels on the queues. Messages carry blob names, never pixels (Service Bus Standard
 * caps a message at 256 KB; a 512×512 RGBA tile is 1 MB).
 */

import type { Step } from "@tessera/kernels";
import type { MessageBody } from "./ports/queue.js";

export const TILES_QUEUE = "tiles";
export const EVENTS_QUEUE = "events";

/** On `tiles`, session `<jobId>.<stage>.<band>`: run one tile of one stage. */
export interface TileMessage {
  kind: "tile";
  jobId: string;
  stage: number;
  tile: number;
  grid: { width: number; height: number; tileSize: number };
  halo: number;
  /** Blob prefix of the tile layer to read the window from, and of the layer to write. */
  input: string;
  /**
   * The input is a window layer: blob `t<tile>` is this tile's whole window, read in one get
   * and deleted once the tile is complete (nothing else reads it).
   */
  inputWindows: boolean;
  output: string;
  steps: Step[];
  /** Also write the core's luma histogram (stages that end in a histogram op). */
  histogram: boolean;
  /**
   * The last tile the coordinator sent to this session. A worker that finishes it releases
   * the session at once instead of waiting on the broker to learn that it is empty.
   */
  last?: boolean;
}

/** On `events`, session `<jobId>`: a worker finished (or gave up on) a tile. */
export interface TileEvent {
  kind: "tile-done" | "tile-failed";
  jobId: string;
  stage: number;
  tile: number;
  worker: string;
  /** Milliseconds the kernels spent on the tile. */
  ms: number;
  error?: string;
}

export const sessionFor = (jobId: string, stage: number, band: number): string => `${jobId}.${stage}.${band}`;

export const asBody = (m: TileMessage | TileEvent): MessageBody => m as unknown as MessageBody;

export function isTileMessage(body: MessageBody): body is MessageBody & TileMessage {
  return typeof body === "object" && body !== null && !Array.isArray(body) && body.kind === "tile";
}

export function isTileEvent(body: MessageBody): body is MessageBody & TileEvent {
  return (
    typeof body === "object" &&
    body !== null &&
    !Array.isArray(body) &&
    (body.kind === "tile-done" || body.kind === "tile-failed")
  );
}
