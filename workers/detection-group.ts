/**
 * One message of a detection stage: a group of windows of the detection grid (the group's
 * number is the message's band number, the groups as many as the grid has bands), each read
 * from the previous stage's layer, resized into the model's input, and run on a pool thread.
 * The answer is the windows' detections, unmerged: the finish merges every group's at once
 * (class-wise NMS over a subset could drop a box the whole pool keeps).
 *
 * Memory is bounded whatever the window: a window's rows are read a chunk at a time (at most
 * CHUNK_BYTES of full-width rows) and folded into the model input as they come
 * (LetterboxStream), so a worker holds one chunk and one input (3 MB for objects), even for the
 * top window, which is the whole image downscaled. Windows run one after another: the group's
 * parallelism is the other groups, on other loops and machines.
 */

import { type Detection, detectParams, type Step } from "@tessera/kernels";
import { readLayerRows } from "../engine/band-store.js";
import type { BandMessage } from "../engine/messages.js";
import { bandCount, type Grid } from "../engine/tiling.js";
import type { BandDeps, BandResult } from "./band-runner.js";
import { LetterboxStream } from "./detect/image.js";
import { type DetectionWindow, specOf } from "./detect/types.js";
import { detectionWindows, windowGroup } from "./detect/windows.js";

/** Most bytes of rows read at once for a window (at least one row). */
export const CHUNK_BYTES = 16 << 20;

export async function runDetectionGroup(m: BandMessage, g: Grid, deps: BandDeps, signal?: AbortSignal): Promise<BandResult> {
  const step = m.detection as Step;
  const params = detectParams(step);
  const spec = specOf(params.op);
  const input = m.input;
  if (input.kind !== "layer") throw new Error(`a detection message reads the previous stage's layer, got a ${input.kind} input`);
  const windows = windowGroup(detectionWindows(g.width, g.height, params.op), m.band, bandCount(g));
  const found: Detection[] = [];
  let readMs = 0;
  let kernelMs = 0;
  for (const window of windows) {
    signal?.throwIfAborted();
    const readStart = performance.now();
    const stream = new LetterboxStream(window.width, window.height, spec.inputSize, spec.scale, spec.offset);
    await feed(stream, window, g, (y0, y1) => readLayerRows(deps.blobs, input.prefix, g, y0, y1));
    const modelInput = stream.finish();
    readMs += performance.now() - readStart;
    const result = await deps.pool.run({ kind: "detect", input: modelInput, content: stream.content, window, params }, signal);
    kernelMs += result.ms;
    found.push(...(result.detections ?? []));
  }
  return { partials: found, kernelMs: Math.round(kernelMs), readMs: Math.round(readMs) };
}

/** Reads the window's rows a chunk at a time into the stream; only the window's columns are used. */
async function feed(
  stream: LetterboxStream,
  window: DetectionWindow,
  g: Grid,
  read: (y0: number, y1: number) => Promise<{ data: Uint8ClampedArray }>,
): Promise<void> {
  const rowBytes = g.width * 4;
  const chunk = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
  for (let y = window.y; y < window.y + window.height; y += chunk) {
    const y1 = Math.min(window.y + window.height, y + chunk);
    const rows = await read(y, y1);
    stream.addRows(rows.data, window.x * 4, rowBytes, 4, y1 - y);
  }
}
