/**
 * POST /v1/jobs: a slot reserved before a byte of the upload is read, the upload streamed in,
 * every check that needs only the fields and the image header, then the job.
 */

import { open } from "node:fs/promises";
import { analysisStepOf, type Pipeline, parsePipeline } from "@tessera/kernels";
import type { Context } from "hono";
import type { JobManifest } from "../../engine/job.js";
import { checkFormat } from "../../engine/job-intake.js";
import { planPipeline } from "../../engine/plan.js";
import { MAX_TILES, minTileSizeFor } from "../../engine/tiling.js";
import { type Admission, Busy, type Reservation } from "../admission.js";
import { callerOf } from "../auth.js";
import type { Limits } from "../config.js";
import type { Gateway } from "../gateway.js";
import { HttpError } from "../http-errors.js";
import { toJobView } from "../job-view.js";
import { SubmitFieldsSchema } from "../schemas.js";
import { refuseUnsupported } from "../sniff.js";
import { readUpload, type SpooledImage } from "../upload.js";

/** The first bytes of the file at `path`: enough to name a format the codec cannot read. */
async function headOf(path: string): Promise<Uint8Array> {
  const file = await open(path, "r");
  try {
    const head = new Uint8Array(64);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

const tooManySteps = (n: number, limits: Limits): HttpError =>
  new HttpError(400, "INVALID_PIPELINE", `pipeline has ${n} steps; at most ${limits.maxSteps} are allowed (TESSERA_MAX_STEPS)`);

/** The pipeline, with the step limit named the same way whichever layer noticed it. */
function parseSteps(text: string, limits: Limits): Pipeline {
  let steps: Pipeline;
  try {
    steps = parsePipeline(text);
  } catch (err) {
    // The kernels have their own, higher cap (256); a pipeline over it is over ours too.
    const over = /^pipeline has (\d+) steps; at most \d+ are allowed/.exec((err as Error).message);
    if (over) throw tooManySteps(Number(over[1]), limits);
    throw err;
  }
  if (steps.length > limits.maxSteps) throw tooManySteps(steps.length, limits);
  return steps;
}

/** The first problem with the form's text fields, as the 400 the API has always answered with. */
const fieldError = (issue: { message: string } | undefined): HttpError =>
  new HttpError(400, "BAD_REQUEST", issue?.message ?? "the form's fields are invalid");

/** Everything between the slot and the job: the upload, its checks, the job's creation. */
async function createJob(gw: Gateway, c: Context, reservation: Reservation): Promise<JobManifest> {
  const { image, fields } = await readUpload(c.req.raw, gw.limits.maxUploadBytes, gw.uploadDir);
  if (!image) throw new HttpError(400, "BAD_REQUEST", 'missing field "image": the image file to process');
  try {
    return await checkAndSubmit(gw, c, reservation, image, fields);
  } catch (err) {
    // The coordinator releases the file it was handed (SourceFile); anything refused before
    // that leaves it here. remove() is safe to call twice.
    await image.remove();
    throw err;
  }
}

/** Every check that needs only the fields and the image's header, then the job. */
async function checkAndSubmit(
  gw: Gateway,
  c: Context,
  reservation: Reservation,
  image: SpooledImage,
  body: Record<string, string>,
): Promise<JobManifest> {
  const limits = gw.limits;
  // The fields are checked in the order the API always has: the pipeline (present, then
  // parsed), then the format, then the tile size.
  const fields = SubmitFieldsSchema.safeParse(body);
  const issues = fields.success ? [] : fields.error.issues;
  const pipelineIssue = issues.find((i) => i.path[0] === "pipeline");
  if (pipelineIssue || typeof body.pipeline !== "string") throw fieldError(pipelineIssue);
  const steps = parseSteps(body.pipeline, limits);
  if (!fields.success) throw fieldError(issues.find((i) => i.path[0] === "format") ?? issues[0]);
  const { tileSize } = fields.data;
  // An analysis op's result is its data: JSON when the form names no format. Whatever cannot
  // run (an op not available yet, an image format for data) is refused before the image is read.
  const format = body.format === undefined && analysisStepOf(steps) ? "json" : fields.data.format;
  planPipeline(steps);
  try {
    checkFormat(steps, format);
  } catch (err) {
    throw new HttpError(400, "BAD_REQUEST", (err as Error).message);
  }

  refuseUnsupported(await headOf(image.path));
  const header = await gw.codec.probe(image);
  const pixels = header.width * header.height;
  if (pixels > limits.maxPixels) {
    throw new HttpError(
      422,
      "TOO_MANY_PIXELS",
      `the image is ${header.width}×${header.height} = ${pixels} pixels; the limit is ${limits.maxPixels} (TESSERA_MAX_PIXELS)`,
    );
  }
  // Every check that needs only the header comes before any pixel is decoded.
  const floor = minTileSizeFor(header.width, header.height);
  if (tileSize !== undefined && tileSize < floor) {
    throw new HttpError(
      400,
      "BAD_REQUEST",
      `tileSize ${tileSize} would cut a ${header.width}×${header.height} image into more than ${MAX_TILES} tiles; use at least ${floor}`,
    );
  }
  const cost = pixels * steps.length;
  if (cost > limits.maxPixelSteps) {
    throw new HttpError(
      422,
      "JOB_TOO_LARGE",
      `${pixels} pixels through ${steps.length} steps is ${cost} pixel-steps; the limit is ${limits.maxPixelSteps} (TESSERA_MAX_PIXEL_STEPS): use fewer steps or a smaller image`,
    );
  }
  reservation.claimPixels(pixels);

  const owner = callerOf(c);
  try {
    // The encoded image goes to the coordinator as it came, in its file: the first stage cuts
    // or decodes it band by band, so the 202 does not wait for a decode.
    return await gw.coordinator.submit(image, steps, {
      format,
      ...(tileSize !== undefined && { tileSize }),
      ...(owner !== undefined && { owner }),
    });
  } catch (err) {
    // The coordinator's own tile-count check (the same floor as above): a request error, not a bug.
    if (err instanceof RangeError) throw new HttpError(400, "BAD_REQUEST", err.message);
    throw err;
  }
}

export async function submit(gw: Gateway, admission: Admission, c: Context) {
  let reservation: Reservation | undefined;
  try {
    // A slot before a byte of the upload is read: the limit holds however many POSTs race.
    reservation = admission.reserve(gw.limits);
    const job = await createJob(gw, c, reservation);
    reservation.bind(job.id);
    gw.metrics.jobsSubmitted.inc();
    return c.json(toJobView(job), 202, { Location: `/v1/jobs/${job.id}` });
  } catch (err) {
    // Whatever failed, the slot is free again (release() after bind() does nothing).
    reservation?.release();
    if (err instanceof Busy) c.header("Retry-After", String(err.retryAfter));
    throw err;
  }
}
