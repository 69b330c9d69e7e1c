/**
 * The HTTP API's shapes (version 1), declared once: the routes validate requests with them
 * (edge/app.ts, edge/routes/jobs.ts), /v1/openapi.json is generated from them, the types the
 * gateway and the web UI share are inferred from them (edge/api-types.ts), and
 * test/edge/openapi.test.ts checks every route's actual responses against them.
 */

import { z } from "@hono/zod-openapi";
import { JOB_STATUSES, JOB_STEPS } from "../engine/job.js";
import { ProgressSchema as EngineProgress, JobErrorSchema, JobWarningSchema } from "../engine/manifest-schema.js";
import { OUTPUT_FORMATS } from "../engine/ports/codec.js";
import { MAX_TILES, MIN_TILE_SIZE } from "../engine/tiling.js";
import type { Limits } from "./config.js";
import { MAX_FIELD_BYTES, MAX_FIELDS } from "./upload.js";
import { WORKER_STATES } from "./worker-activity.js";

/** The largest tile side a job may ask for. */
export const MAX_TILE_SIZE = 4096;
/** The formats GET /v1/jobs/{id}/result converts to (besides the job's own). */
export const DOWNLOAD_FORMATS = ["png", "jpeg", "webp"] as const;

const count = z.number().int().nonnegative();

export const ApiErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({
        description:
          "A stable code: INVALID_PIPELINE, BAD_REQUEST, UNAUTHORIZED, LISTING_DISABLED, NOT_FOUND, NOT_READY, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, TOO_MANY_PIXELS, JOB_TOO_LARGE, QUEUE_FULL (with a Retry-After header), DEPENDENCY_UNAVAILABLE, INTERNAL",
        example: "NOT_FOUND",
      }),
      message: z.string(),
    }),
  })
  .openapi("Error", { description: 'Every error response: {"error":{"code","message"}}' });

export const JobStatusSchema = z.enum(JOB_STATUSES).openapi("JobStatus");
// Rebuilt here rather than extended: zod gives a schema its methods when it is made, so one the
// engine made before @hono/zod-openapi loaded has no .openapi (module order is not ours to
// rely on: the bundle in dist/bundle/ evaluates the engine first).
export const ProgressSchema = z.object(EngineProgress.shape).openapi("Progress");

export const JobViewSchema = z
  .strictObject({
    id: z.uuid(),
    status: JobStatusSchema,
    pipeline: z.string().openapi({ description: "The pipeline's text form" }),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    format: z.enum(OUTPUT_FORMATS),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    progress: ProgressSchema.openapi({ description: "Tiles done of all stages" }),
    stage: count.openapi({ description: "The stage running now (0-based)" }),
    stages: z.array(ProgressSchema).openapi({ description: "Each stage's progress, in tiles" }),
    grid: z
      .strictObject({
        tileSize: z.number().int().positive(),
        cols: z.number().int().positive(),
        rows: z.number().int().positive(),
      })
      .openapi({ description: "The job's tile grid, for drawing it over the image" }),
    tileWorkers: z
      .record(z.string().regex(/^[0-9]+$/), z.string())
      .openapi({ description: "Worker id per finished tile of the current stage (tile index → worker)" }),
    etaSeconds: count.nullable().openapi({
      description:
        "Seconds left: the tiles left at the rate so far, plus the finish (join, pyramid, encode) as long as the jobs of its kind before it took (on this gateway); null until known",
    }),
    step: z.enum(JOB_STEPS).optional().openapi({
      description:
        "While it has not ended: ingest (storing its source), stages (bands running), reduce (between stages), finish (building the result: joining, encoding, a pyramid)",
    }),
    resultUrl: z.string().optional().openapi({ description: "Relative URL of the result, once succeeded" }),
    error: JobErrorSchema.optional().openapi({ description: "Why it failed" }),
    warning: JobWarningSchema.optional().openapi({
      description:
        "While it runs: DEPENDENCY_UNAVAILABLE (the job waits out a queue or storage outage) or STALLED (no band has finished for longer than a lock lasts; no worker may be running)",
    }),
  })
  .openapi("Job");

export const JobListSchema = z
  .strictObject({ jobs: z.array(JobViewSchema) })
  .openapi("JobList", { description: "The caller's 50 most recent jobs, newest first" });

export const JobEventSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("job"), job: JobViewSchema }),
    z.strictObject({ type: z.literal("tile"), stage: count, tile: count, worker: z.string() }),
    z.strictObject({ type: z.literal("end"), job: JobViewSchema }),
  ])
  .openapi("JobEvent", {
    description: "A message of GET /v1/jobs/{id}/events (the SSE event name is its type) and of the WebSocket /v1/jobs/{id}/ws",
  });

export const ClusterViewSchema = z
  .strictObject({
    workers: z.array(
      z.strictObject({
        id: z.string(),
        pid: count,
        host: z.string(),
        threads: count,
        tilesDone: count,
        lastSeen: z.iso.datetime(),
        alive: z.boolean(),
        busy: z.boolean().openapi({ description: "A tile was running when the last heartbeat was written" }),
        state: z.enum(WORKER_STATES).openapi({
          description:
            "busy (a tile running, or a band finished in the last 5 s), starting or waiting (the tiles queue holds work it has not taken), idle (nothing queued), gone (heartbeats stopped)",
        }),
        rssBytes: z.number().nonnegative().optional().openapi({ description: "Resident memory, from the last heartbeat" }),
        cpuSeconds: z.number().nonnegative().optional().openapi({ description: "CPU time used, from the last heartbeat" }),
      }),
    ),
    queues: z.record(z.string(), z.strictObject({ active: count, deadLetter: count })),
    throughput: z.number().nonnegative().openapi({ description: "Tiles finished per second over the last 10 s" }),
    deadLetters: z
      .array(
        z.strictObject({
          jobId: z.string().nullable(),
          stage: count.nullable(),
          band: count.nullable(),
          reason: z.string(),
          description: z.string(),
          deliveries: count,
          at: z.iso.datetime(),
        }),
      )
      .openapi({ description: "The most recent bands (rows of tiles) the cluster gave up on, newest first, with the reason" }),
  })
  .openapi("Cluster");

const DependencyCheckSchema = z.strictObject({
  ok: z.boolean(),
  reason: z.string().optional().openapi({ description: "Why it fails (the last error seen); only while failing" }),
  since: z.iso.datetime(),
});

export const HealthReportSchema = z
  .strictObject({
    status: z.enum(["ok", "degraded", "down"]).openapi({
      description: "ok: every dependency answers; degraded: one came back moments ago; down: a dependency fails",
    }),
    checks: z.strictObject({ queue: DependencyCheckSchema, blobs: DependencyCheckSchema }),
  })
  .openapi("Health");

export const ReadinessSchema = HealthReportSchema.extend({
  ready: z.boolean(),
  stopping: z.literal(true).optional().openapi({ description: "Present while the gateway stops" }),
}).openapi("Readiness");

export const OpViewSchema = z
  .strictObject({
    name: z.string(),
    category: z.string(),
    kind: z.enum(["point", "local", "global", "analysis"]),
    description: z.string(),
    params: z.array(
      z.strictObject({
        name: z.string(),
        type: z.enum(["int", "number", "enum", "kernel", "number?", "labels"]),
        min: z.number().optional(),
        max: z.number().optional(),
        values: z.array(z.string()).optional(),
        maxSide: z.number().int().positive().optional(),
        default: z.union([z.number(), z.string(), z.array(z.number()), z.null()]),
        description: z.string(),
      }),
    ),
  })
  .openapi("Op");

export const OpListSchema = z.array(OpViewSchema).openapi("Ops");

// --- POST /v1/jobs: the form's text fields ------------------------------------------------

const MISSING_PIPELINE = 'missing field "pipeline", e.g. "gaussian-blur(sigma=2) | sobel"';
const FORMAT_ERROR = `format must be one of ${OUTPUT_FORMATS.join(", ")}`;
const tileSizeError = (text: unknown): string =>
  `tileSize must be a whole number of pixels from ${MIN_TILE_SIZE} to ${MAX_TILE_SIZE}, in plain digits, got ${JSON.stringify(String(text).slice(0, 20))}`;

/**
 * The text fields of the submit form as edge/upload.ts returns them, validated with the messages
 * the API has always given. `tileSize` is plain decimal digits: Number() would also take "1e3",
 * "0x100" and " 256 ". Fields the API does not know are ignored.
 */
export const SubmitFieldsSchema = z.object({
  pipeline: z.string({ error: MISSING_PIPELINE }).min(1, { error: MISSING_PIPELINE }),
  format: z.enum(OUTPUT_FORMATS, { error: FORMAT_ERROR }).default("png"),
  tileSize: z
    .string()
    .transform((text, ctx) => {
      const size = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
      if (size >= MIN_TILE_SIZE && size <= MAX_TILE_SIZE) return size;
      ctx.issues.push({ code: "custom", message: tileSizeError(text), input: text });
      return z.NEVER;
    })
    .optional(),
});
export type SubmitFields = z.output<typeof SubmitFieldsSchema>;

/** The multipart form as documented (the image is read as a stream by edge/upload.ts, not by a validator). */
export const submitFormSchema = (limits: Limits) =>
  z
    .object({
      image: z.string().openapi({
        format: "binary",
        description: `JPEG, PNG, WebP, TIFF, GIF or AVIF; at most ${limits.maxUploadBytes} bytes and ${limits.maxPixels} pixels`,
      }),
      pipeline: z
        .string()
        .min(1)
        .max(MAX_FIELD_BYTES)
        .openapi({
          description: `Text form "gaussian-blur(sigma=2) | sobel", or the JSON form of #/components/schemas/Pipeline; at most ${limits.maxSteps} steps, and pixels × steps at most ${limits.maxPixelSteps}`,
        }),
      format: z.enum(OUTPUT_FORMATS).default("png").openapi({
        description:
          "The result's format: an image format (default png), or json, the only one (and the default) for a pipeline that ends in an analysis op",
      }),
      tileSize: z
        .string()
        .regex(/^[0-9]{1,5}$/)
        .optional()
        .openapi({
          description: `Plain decimal digits, ${MIN_TILE_SIZE} to ${MAX_TILE_SIZE} (default 512), and large enough that the image has at most ${MAX_TILES} tiles`,
        }),
    })
    .openapi({ description: `Each field once; at most ${MAX_FIELDS} text fields of ${MAX_FIELD_BYTES} bytes each.` });

// --- Parameters -----------------------------------------------------------------------------

export const JobIdParamsSchema = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, description: "The job's id (a UUID)", format: "uuid" }),
});

/** Where a header cannot be sent (EventSource, a browser WebSocket, a download link); refused on every other route. */
export const accessTokenQuery = z
  .string()
  .optional()
  .openapi({
    param: { name: "access_token", in: "query" },
    description: "The bearer token, for clients that cannot send the Authorization header",
  });

export const AccessTokenQuerySchema = z.object({ access_token: accessTokenQuery });

/**
 * `format` is checked by the route, after the job is found and has succeeded (a 404 or 409 says
 * more than a bad format), so here it is any string, documented with the values it may take.
 */
export const ResultQuerySchema = z.object({
  format: z
    .string()
    .optional()
    .openapi({
      param: { name: "format", in: "query" },
      enum: [...OUTPUT_FORMATS],
      description: `Convert the result to ${DOWNLOAD_FORMATS.join(", ")}; the job's own format is always allowed (the default)`,
    }),
  quality: z
    .string()
    .optional()
    .openapi({
      param: { name: "quality", in: "query" },
      description: "JPEG, WebP or AVIF quality, 1–100: the result is encoded again at it (JPEG's default is 80)",
    }),
  compression: z
    .string()
    .optional()
    .openapi({
      param: { name: "compression", in: "query" },
      description: "PNG compression level, 0 (fastest) – 9 (smallest): the result is encoded again at it",
    }),
  access_token: accessTokenQuery,
});

// --- Responses ------------------------------------------------------------------------------

export const errorResponse = (description: string) =>
  ({ description, content: { "application/json": { schema: ApiErrorSchema } } }) as const;

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) =>
  ({ description, content: { "application/json": { schema } } }) as const;

/** The errors any route can answer: a bug (500), and on /v1 a missing or wrong token (401). */
export const COMMON_ERRORS = {
  500: errorResponse("A bug: the gateway's log has the details (INTERNAL)"),
} as const;
export const V1_ERRORS = {
  401: errorResponse("A token is required, or the one sent is wrong (UNAUTHORIZED): only when the gateway has tokens"),
  ...COMMON_ERRORS,
} as const;
export const UNAVAILABLE = {
  503: errorResponse("The queue or blob storage is unavailable (DEPENDENCY_UNAVAILABLE); retry later"),
} as const;
