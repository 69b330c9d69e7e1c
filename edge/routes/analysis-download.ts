/**
 * GET /v1/jobs/{id}/result for an analysis job: its JSON as stored, or, as png, jpeg or webp,
 * the overlay (the job's source with the data drawn on it, rendered by the codec). An image
 * job asked for json is a 400: it has no data to give.
 */

import { parseAnalysisJson } from "../../engine/analysis-result.js";
import { sourceName } from "../../engine/blob-names.js";
import type { JobManifest } from "../../engine/job.js";
import { type EncodeOptions, isOverlayFormat, type OutputFormat } from "../../engine/ports/codec.js";
import type { Gateway } from "../gateway.js";
import { HttpError } from "../http-errors.js";
import { DOWNLOAD_FORMATS } from "../schemas.js";

export async function analysisDownload(
  gw: Gateway,
  job: JobManifest,
  wanted: string,
  optionsFor: (format: OutputFormat) => EncodeOptions,
): Promise<Uint8Array> {
  if (job.format !== "json") {
    throw new HttpError(
      400,
      "BAD_REQUEST",
      `format json is the data of an analysis op (fast, corners, hough-lines, components, …); this job's result is an image: ask for ${DOWNLOAD_FORMATS.join(", ")}`,
    );
  }
  const json = await gw.blobs.get(job.result as string);
  if (wanted === "json") return json;
  if (!(DOWNLOAD_FORMATS as readonly string[]).includes(wanted) || !isOverlayFormat(wanted)) {
    throw new HttpError(
      400,
      "BAD_REQUEST",
      `format must be json (the data) or ${DOWNLOAD_FORMATS.join(", ")} (the image with the data drawn on it)`,
    );
  }
  const options = optionsFor(wanted);
  // Jobs submitted as pixels (not through this API) keep no source to draw on.
  const source = await gw.blobs.get(sourceName(job.id)).catch((err: { code?: string }) => {
    if (err?.code !== "BLOB_NOT_FOUND") throw err;
    throw new HttpError(409, "NOT_READY", `job ${job.id} kept no source image to draw its result on; download format=json`);
  });
  return gw.codec.overlay(source, parseAnalysisJson(json), wanted, options);
}
