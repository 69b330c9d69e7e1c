/**
 * What the coordinator does between two stages: turn the finished bands of a stage into the
 * input of the next one. It returns what changes; the caller applies it to the manifest.
 *
 * - histogram: sum the bands' histograms; the global step becomes a resolved point step that
 *   the next stage's tiles run first (`carried`);
 * - hysteresis: gather canny's class map a band at a time, run the hysteresis once, and write
 *   the edges as the next stage's windows, a window at a time (edge-map.ts);
 * - none: the stage's output bands are the next input as they are.
 */

import { type Kernels, resolveHistogramStep, type Step } from "@tessera/kernels";
import { putBandWindow } from "./band-store.js";
import { edgesLayer, histogramName } from "./blob-names.js";
import { type EdgeMap, gatherEdges } from "./edge-map.js";
import { inOrder } from "./in-order.js";
import type { StageInput } from "./job.js";
import type { Stage } from "./plan.js";
import type { BlobStore } from "./ports/blob-store.js";
import { bandCount, bandWindowRows, type Grid } from "./tiling.js";

export interface Reduced {
  input: StageInput;
  carried?: Step;
}

export async function reduceStage(
  blobs: BlobStore,
  kernels: Kernels,
  jobId: string,
  stage: Stage,
  grid: Grid,
  output: string,
  nextHalo: number,
  opaque: boolean,
  /** 1: the stage wrote its output as a grey layer, and the next stage reads it so. */
  layerChannels?: 1,
  /** A canny stage's class map, its bands added as they finished (job-driver.ts). */
  edgeMap?: EdgeMap,
): Promise<Reduced> {
  try {
    if (stage.reduction === "histogram") {
      const parts = await Promise.all(
        Array.from({ length: bandCount(grid) }, async (_, band) => {
          const bytes = await blobs.get(histogramName(output, band));
          return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
        }),
      );
      const input = { kind: "layer" as const, prefix: output, ...(layerChannels && { channels: layerChannels }) };
      return { input, carried: resolveAfterHistogram(stage, sumHistograms(parts)) };
    }
    if (stage.reduction === "hysteresis") {
      const edges = await gatherEdges(blobs, kernels, output, grid, layerChannels ?? 4, edgeMap);
      await edges.reduce();
      // The edges written as the next stage's windows, a window at a time.
      const prefix = edgesLayer(jobId, stage.index);
      const bands = Array.from({ length: bandCount(grid) }, (_, band) => band);
      await inOrder(bands, edges.atOnce, async (band) => {
        const rows = bandWindowRows(grid, band, nextHalo);
        // Handed to the store as they are (a store may keep them), so not given back to the map.
        // An opaque image's edges are grey windows, one byte a pixel (the threads widen them).
        const data = opaque ? await edges.greyRows(rows) : await edges.rows(blobs, output, rows);
        const window = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
        await putBandWindow(blobs, prefix, band, { width: grid.width, height: rows.y1 - rows.y0, data: window });
      });
      return { input: { kind: "windows", prefix, ...(opaque && { channels: 1 as const }) } };
    }
    return { input: { kind: "layer", prefix: output } };
  } catch (err) {
    throw new Error(`reducing stage ${stage.index} (${stage.global?.op}) failed: ${(err as Error).message}`);
  }
}

/** Sums per-tile histograms: the whole image's histogram, since tile cores partition it. */
export function sumHistograms(parts: Iterable<ArrayLike<number>>): Uint32Array {
  const total = new Uint32Array(256);
  for (const part of parts) for (let i = 0; i < 256; i++) total[i] = (total[i] ?? 0) + (part[i] ?? 0);
  return total;
}

/** The resolved step that the next stage's tiles run first, after a histogram reduction. */
export function resolveAfterHistogram(stage: Stage, histogram: ArrayLike<number>): Step {
  if (stage.reduction !== "histogram" || !stage.global) throw new Error(`stage ${stage.index} does not end in a histogram op`);
  return resolveHistogramStep(stage.global, histogram);
}
