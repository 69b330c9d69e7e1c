/**
 * The job manifest as read back from blob storage (a restarted coordinator's resume()): checked
 * against its schema, so a damaged or foreign manifest is skipped with the reason instead of
 * failing somewhere inside the job it would have resumed.
 */

import { z } from "zod";
import { JOB_STATUSES, JOB_STEPS, type JobManifest } from "./job.js";
import { OUTPUT_FORMATS } from "./ports/codec.js";

const count = z.number().int().nonnegative();
const time = z.number().nonnegative();
/** A step as stored: its op and params. The kernels check the params when the step runs. */
const step = z.looseObject({ op: z.string().min(1) });

export const JobErrorSchema = z.object({
  code: z.enum(["TILE_FAILED", "TILE_DEAD_LETTERED", "REDUCE_FAILED", "ENCODE_FAILED", "DEPENDENCY_UNAVAILABLE", "INTERNAL"]),
  message: z.string(),
});

export const JobWarningSchema = z.object({
  code: z.enum(["DEPENDENCY_UNAVAILABLE", "STALLED"]),
  message: z.string(),
});

export const ProgressSchema = z.object({ done: count, total: count });

const TIMINGS = ["split", "stages", "read", "kernels", "write", "reduce", "stitch", "encode"] as const;

export const JobManifestSchema = z.looseObject({
  id: z.string().min(1),
  status: z.enum(JOB_STATUSES),
  createdAt: time,
  updatedAt: time,
  steps: z.array(step),
  pipeline: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  tileSize: z.number().int().positive(),
  format: z.enum(OUTPUT_FORMATS),
  owner: z.string().optional(),
  stage: count,
  stages: z.array(ProgressSchema),
  carried: step.optional(),
  input: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("source") }),
    z.object({
      kind: z.literal("windows"),
      prefix: z.string().min(1),
      channels: z.union([z.literal(1), z.literal(3)]).optional(),
    }),
    z.object({ kind: z.literal("layer"), prefix: z.string().min(1), channels: z.literal(1).optional() }),
  ]),
  stored: z.boolean().optional(),
  opaque: z.boolean().optional(),
  step: z.enum(JOB_STEPS).optional(),
  finishStartedAt: z.number().nonnegative().optional(),
  finishEstimateMs: z.number().int().nonnegative().optional(),
  warning: JobWarningSchema.optional(),
  result: z.string().min(1).optional(),
  error: JobErrorSchema.optional(),
  timings: z.partialRecord(z.enum(TIMINGS), z.number().nonnegative()).optional(),
  tileWorkers: z.record(z.string().regex(/^[0-9]+$/), z.string()).optional(),
});

/** The first few issues of a failed parse, on one line (a log line stays short). */
function describeIssues(error: z.ZodError, max = 3): string {
  const issues = error.issues.slice(0, max).map((i) => `${i.path.length > 0 ? i.path.join(".") : "(body)"}: ${i.message}`);
  const more = error.issues.length > max ? `; and ${error.issues.length - max} more` : "";
  return `${issues.join("; ")}${more}`.slice(0, 1000);
}

export type ParsedManifest = { ok: true; job: JobManifest } | { ok: false; reason: string };

/**
 * The manifest in `bytes`, or why it is not one (not UTF-8 JSON, or not a manifest's shape).
 * Steps are checked for shape only (an object with an `op`): the kernels validate their params.
 */
export function parseManifest(bytes: Uint8Array): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = JobManifestSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `not a job manifest: ${describeIssues(parsed.error)}` };
  // The schema checks steps for shape only; the kernels' Step type is theirs to enforce.
  return { ok: true, job: parsed.data as unknown as JobManifest };
}
