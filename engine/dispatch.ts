/**
 * What the coordinator sends for one stage: one message per band, each band its own session
 * (`<job>.<stage>.<band>`), so the bands of one job spread over every worker and sessions of
 * many jobs interleave on the queue. The message is the session's last, so the worker that
 * finishes it releases the session at once.
 */

import { bandName } from "./band-store.js";
import type { JobManifest, StageInput } from "./job.js";
import { asBody, type BandInput, type BandMessage, sessionFor } from "./messages.js";
import { type Stage, tileSteps } from "./plan.js";
import type { OutputFormat } from "./ports/codec.js";
import type { OutgoingMessage } from "./ports/queue.js";
import type { Grid } from "./tiling.js";

/** A band's input in a stage that reads a window layer or the previous stage's bands. */
export function bandInput(input: Exclude<StageInput, { kind: "source" }>, band: number): BandInput {
  return input.kind === "windows" ? { kind: "window", name: bandName(input.prefix, band) } : input;
}

export function bandMessage(
  job: JobManifest,
  stage: Stage,
  grid: Grid,
  output: string,
  band: number,
  input: BandInput,
  encode?: { format: OutputFormat; grey: boolean },
): OutgoingMessage {
  const body: BandMessage = {
    kind: "band",
    jobId: job.id,
    stage: stage.index,
    band,
    grid: { width: grid.width, height: grid.height, tileSize: grid.tileSize },
    halo: stage.halo,
    input,
    output,
    steps: tileSteps(stage, job.carried),
    histogram: stage.reduction === "histogram",
    ...(encode && { encode }),
    last: true,
  };
  return {
    sessionId: sessionFor(job.id, stage.index, band),
    body: asBody(body),
    properties: { jobId: job.id, band: String(band) },
  };
}
