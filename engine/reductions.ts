/**
 * What the coordinator does between two stages: turn the finished tiles of a stage into the
 * input of the next one.
 *
 * - histogram: sum the tiles' histograms; the global step becomes a resolved point step that
 *   the next stage's tiles run first (`job.carried`);
 * - hysteresis: stitch canny's class map, run the hysteresis once, and write the edge map as
 *   the next stage's windows;
 * - none: the stage's output tiles are the next input as they are.
 */

import type { Kernels } from "@tessera/kernels";
import { edgesLayer, type JobManifest } from "./job.js";
import type { Stage } from "./plan.js";
import type { BlobStore } from "./ports/blob-store.js";
import { histogramName, readLayer, writeLayer } from "./tile-store.js";
import { resolveAfterHistogram, sumHistograms } from "./tile-work.js";
import { type Grid, tileCount } from "./tiling.js";

export async function reduceStage(
  blobs: BlobStore,
  kernels: Kernels,
  job: JobManifest,
  stage: Stage,
  grid: Grid,
  output: string,
  nextHalo: number,
): Promise<void> {
  job.carried = undefined;
  job.input = output;
  job.inputWindows = false;
  try {
    if (stage.reduction === "histogram") {
      const parts = await Promise.all(
        Array.from({ length: tileCount(grid) }, async (_, i) => {
          const bytes = await blobs.get(histogramName(output, i));
          return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
        }),
      );
      job.carried = resolveAfterHistogram(stage, sumHistograms(parts));
    } else if (stage.reduction === "hysteresis") {
      const edges = kernels.hysteresis(await readLayer(blobs, output, grid));
      // The whole edge map is in hand: write it as the next stage's windows.
      job.input = edgesLayer(job.id, stage.index);
      job.inputWindows = true;
      await writeLayer(blobs, job.input, grid, edges, nextHalo);
    }
  } catch (err) {
    throw new Error(`reducing stage ${stage.index} (${stage.global?.op}) failed: ${(err as Error).message}`);
  }
}
