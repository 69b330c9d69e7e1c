/**
 * GET /v1/jobs/{id}/tiles/{path}: the files of a tile-set result (Deep Zoom, IIIF), as a
 * deep-zoom viewer asks for them: `tiles/result.dzi` and `tiles/result_files/<level>/<c>_<r>.png`,
 * or `tiles/info.json` and `tiles/<region>/<size>/0/default.png`. A IIIF info.json is served
 * with its `id` set to this folder's address, as the IIIF Image API wants.
 */

import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { resultFolder } from "../../engine/blob-names.js";
import type { JobManifest } from "../../engine/job.js";
import { isBlobNameSegment } from "../../engine/ports/blob-store.js";
import { IIIF_PLACEHOLDER_ID, isTileSet } from "../../engine/ports/codec.js";
import type { Gateway } from "../gateway.js";
import { HttpError, notFound } from "../http-errors.js";

/** The fields of a IIIF info.json a viewer needs (the document has more: profile, tiles, sizes). */
export const IiifInfoSchema = z
  .looseObject({
    "@context": z.string(),
    id: z.string(),
    type: z.literal("ImageService3"),
    protocol: z.literal("http://iiif.io/api/image"),
    profile: z.literal("level0"),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
  })
  .openapi("IiifInfo");

const TYPES: Record<string, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  jpg: "image/jpeg",
  dzi: "application/xml",
  json: "application/json",
};

/** The tile-set file at `path` of a succeeded job, with its content type. */
export async function tileFile(gw: Gateway, c: Context, job: JobManifest, path: string): Promise<Response> {
  if (!isTileSet(job.format)) throw notFound(`tiles of job ${job.id} (its result is one ${job.format} file)`);
  if (job.status !== "succeeded") {
    throw new HttpError(409, "NOT_READY", `job ${job.id} is ${job.status}; its tiles exist once it has succeeded`);
  }
  const segments = path.split("/");
  if (path === "" || !segments.every(isBlobNameSegment)) throw notFound(`tile ${JSON.stringify(path.slice(0, 200))}`);
  const name = resultFolder(job.id) + path;
  if (!(await gw.blobs.exists(name))) throw notFound(`tile ${JSON.stringify(path.slice(0, 200))}`);
  let bytes = await gw.blobs.get(name);
  if (path === "info.json") bytes = withIiifId(bytes, new URL(`/v1/jobs/${job.id}/tiles`, c.req.url).href);
  return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": TYPES[path.slice(path.lastIndexOf(".") + 1)] ?? "application/octet-stream",
    "Cache-Control": "private, max-age=31536000, immutable",
    "Referrer-Policy": "no-referrer",
  });
}

/** The descriptor with its placeholder id replaced by the address it is served from. */
export function withIiifId(bytes: Uint8Array, id: string): Uint8Array {
  const info = JSON.parse(new TextDecoder().decode(bytes)) as { id?: string };
  if (info.id === IIIF_PLACEHOLDER_ID) info.id = id;
  return new TextEncoder().encode(JSON.stringify(info));
}
