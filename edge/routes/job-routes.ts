/**
 * What /v1/jobs says it does: each route's parameters, bodies, statuses, headers and content
 * types, from which /v1/openapi.json is generated. edge/routes/jobs.ts does it.
 */

import { createRoute } from "@hono/zod-openapi";
import {
  AccessTokenQuerySchema,
  errorResponse,
  JobEventSchema,
  JobIdParamsSchema,
  JobListSchema,
  JobViewSchema,
  jsonResponse,
  ResultQuerySchema,
  UNAVAILABLE,
  V1_ERRORS,
} from "../schemas.js";
import { IiifInfoSchema } from "./tiles.js";

export const RESULT_TYPES: Record<string, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  tiff: "image/tiff",
  avif: "image/avif",
  // A tile set's download is its descriptor; its tiles are under /tiles/.
  dzi: "application/xml",
  iiif: "application/json",
  // An analysis op's data (AnalysisResult); downloaded as png/jpeg/webp it is the overlay.
  json: "application/json",
};

const jobId = { params: JobIdParamsSchema };
const NO_JOB = { 404: errorResponse("No such job, or another token's (NOT_FOUND)") };

export const submitRoute = createRoute({
  method: "post",
  path: "/",
  summary: "Submit a job",
  request: {
    // A reference, not a zod schema: the upload is streamed by edge/upload.ts, and its text
    // fields are validated with SubmitFieldsSchema there, not buffered by a validator.
    body: { required: true, content: { "multipart/form-data": { schema: { $ref: "#/components/schemas/SubmitForm" } } } },
  },
  responses: {
    202: {
      ...jsonResponse(JobViewSchema, "Accepted: the job is queued"),
      headers: { Location: { description: "The job's URL", schema: { type: "string" } } },
    },
    400: errorResponse(
      "Bad pipeline (INVALID_PIPELINE) or fields (BAD_REQUEST): a field missing or twice, too many fields, tileSize below the image's floor",
    ),
    413: errorResponse("Upload or a field too large (PAYLOAD_TOO_LARGE)"),
    415: errorResponse("Not an image, an unsupported format (e.g. BMP), or not multipart (UNSUPPORTED_MEDIA_TYPE)"),
    422: errorResponse("Image over the pixel limit (TOO_MANY_PIXELS), or the job over the pixel-steps limit (JOB_TOO_LARGE)"),
    429: {
      ...errorResponse(
        "Too many active jobs or pixels (QUEUE_FULL: TESSERA_MAX_ACTIVE_JOBS, TESSERA_MAX_ACTIVE_PIXELS); retry later",
      ),
      headers: { "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" } } },
    },
    ...UNAVAILABLE,
    ...V1_ERRORS,
  },
});

export const listRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The caller's recent jobs (needs a token)",
  description:
    "The 50 most recent jobs of the caller's token, newest first. A gateway without tokens does not list jobs (403 LISTING_DISABLED): a job's id is its only key there.",
  responses: {
    200: jsonResponse(JobListSchema, "OK"),
    403: errorResponse("Listing is off: the gateway has no tokens (LISTING_DISABLED)"),
    ...V1_ERRORS,
  },
});

export const getRoute = createRoute({
  method: "get",
  path: "/{id}",
  summary: "A job",
  request: jobId,
  responses: { 200: jsonResponse(JobViewSchema, "OK"), ...NO_JOB, ...V1_ERRORS },
});

export const deleteRoute = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Cancel a queued or running job (200 with the job), or delete an ended one and its result (204)",
  request: jobId,
  responses: {
    200: jsonResponse(JobViewSchema, "Canceled: the job as it is now"),
    204: { description: "Deleted, with its result" },
    ...NO_JOB,
    ...UNAVAILABLE,
    ...V1_ERRORS,
  },
});

export const eventsRoute = createRoute({
  method: "get",
  path: "/{id}/events",
  summary: "Server-sent events: job, tile, end",
  request: { ...jobId, query: AccessTokenQuerySchema },
  responses: {
    200: {
      description:
        "An event stream until the job ends: each event is named by its type (job, tile, end), its data a JobEvent as JSON",
      content: { "text/event-stream": { schema: JobEventSchema } },
    },
    ...NO_JOB,
    ...V1_ERRORS,
  },
});

export const wsRoute = createRoute({
  method: "get",
  path: "/{id}/ws",
  summary: "The same events over a WebSocket",
  description: "Each message is a JobEvent as JSON; the socket closes after the end event.",
  request: { ...jobId, query: AccessTokenQuerySchema },
  responses: {
    101: { description: "Switching protocols: JobEvent messages follow" },
    404: errorResponse("No such job (NOT_FOUND), or not a WebSocket upgrade request"),
    ...V1_ERRORS,
  },
});

export const resultRoute = createRoute({
  method: "get",
  path: "/{id}/result",
  summary: "The result image, or an analysis op's data",
  description:
    "A pipeline that ends in an analysis op (fast, corners, hough-lines, components, …) has a JSON result (`format=json`, the default for such a job: an AnalysisResult); asked for as png, jpeg or webp it is the source image with the keypoints, lines and boxes drawn on it. Any other job's result is an image, convertible to png, jpeg or webp.",
  request: { ...jobId, query: ResultQuerySchema },
  responses: {
    200: {
      description: "The image or the JSON, as a download",
      headers: {
        "Content-Disposition": { description: 'attachment; filename="tessera-<id>.<ext>"', schema: { type: "string" } },
      },
      // Built as a record, so the handler's body stays bytes. JSON is an analysis result or a
      // IIIF result's info.json (references: jobRoutes registers AnalysisResult).
      content: Object.fromEntries(
        Object.values(RESULT_TYPES).map((type) => [
          type,
          type === "application/json"
            ? { schema: { oneOf: [{ $ref: "#/components/schemas/AnalysisResult" }, { $ref: "#/components/schemas/IiifInfo" }] } }
            : { schema: { type: "string", format: "binary" } },
        ]),
      ),
    },
    400: errorResponse("A format it cannot be converted to (BAD_REQUEST): json for an image result, or anything for a tile set"),
    ...NO_JOB,
    409: errorResponse("Not succeeded (yet): no result (NOT_READY)"),
    ...UNAVAILABLE,
    ...V1_ERRORS,
  },
});

export const tilesRoute = createRoute({
  method: "get",
  path: "/{id}/tiles/{path}",
  summary: "A file of a Deep Zoom or IIIF result, as a viewer asks for it",
  description:
    "`path` may hold slashes: `result.dzi` and `result_files/<level>/<col>_<row>.png` for Deep Zoom; `info.json` (its id set to this folder's address) and `<region>/<size>/0/default.png` for IIIF.",
  request: { ...jobId, query: AccessTokenQuerySchema },
  responses: {
    200: {
      description: "The file",
      content: {
        "image/png": { schema: { type: "string", format: "binary" } },
        "application/xml": { schema: { type: "string" } },
        "application/json": { schema: IiifInfoSchema },
      },
    },
    ...NO_JOB,
    409: errorResponse("Not succeeded (yet): no tiles (NOT_READY)"),
    ...UNAVAILABLE,
    ...V1_ERRORS,
  },
});
