/**
 * What the coordinator sends for one stage: a tile message per tile not done yet, one batch
 * per band. A band is one session, so its tiles go to one worker in order, and its last
 * message says so, letting that worker release the session at once.
 */

import type { JobManifest } from "./job.js";
import { asBody, sessionFor, type TileMessage } from "./messages.js";
import { type Stage, tileSteps } from "./plan.js";
import type { OutgoingMessage } from "./ports/queue.js";
import { bands, type Grid } from "./tiling.js";

export function stageBatches(
  job: JobManifest,
  stage: Stage,
  grid: Grid,
  output: string,
  done: ReadonlySet<number>,
): OutgoingMessage[][] {
  const steps = tileSteps(stage, job.carried);
  return bands(grid, job.bandSize)
    .map((tiles, band) =>
      tiles
        .filter((tile) => !done.has(tile))
        .map((tile, i, sent) => {
          const body: TileMessage = {
            kind: "tile",
            jobId: job.id,
            stage: stage.index,
            tile,
            grid: { width: grid.width, height: grid.height, tileSize: grid.tileSize },
            halo: stage.halo,
            input: job.input,
            inputWindows: job.inputWindows,
            output,
            steps,
            histogram: stage.reduction === "histogram",
            last: i === sent.length - 1,
          };
          return {
            sessionId: sessionFor(job.id, stage.index, band),
            body: asBody(body),
            properties: { jobId: job.id, tile: String(tile) },
          };
        }),
    )
    .filter((batch) => batch.length > 0);
}
