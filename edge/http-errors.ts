/**
 * The one place errors become HTTP statuses. Every error response is JSON
 * `{ "error": { "code", "message" } }`.
 */

import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ApiError } from "./api-types.js";

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Error codes of the layers below, by HTTP status. */
const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  INVALID_PIPELINE: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  NOT_AN_IMAGE: 415,
  UNSUPPORTED_FORMAT: 415,
  CORRUPT_IMAGE: 415,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_PIXELS: 422,
  QUEUE_FULL: 429,
  /** The queue or blob storage failed (engine/health.ts DependencyError): retry later. */
  DEPENDENCY_UNAVAILABLE: 503,
  // The ports' own outage codes, thrown straight through a request (a submit's writes, a
  // result's read): the same 503, not a 500 that reads like a bug.
  QUEUE_UNAVAILABLE: 503,
  BLOB_UNAVAILABLE: 503,
  // A result deleted between the job lookup and the read (DELETE raced a download).
  BLOB_NOT_FOUND: 404,
};

/** The API's code for a lower layer's code, where they differ. */
const API_CODE: Record<string, string> = {
  NOT_AN_IMAGE: "UNSUPPORTED_MEDIA_TYPE",
  UNSUPPORTED_FORMAT: "UNSUPPORTED_MEDIA_TYPE",
  CORRUPT_IMAGE: "UNSUPPORTED_MEDIA_TYPE",
  QUEUE_UNAVAILABLE: "DEPENDENCY_UNAVAILABLE",
  BLOB_UNAVAILABLE: "DEPENDENCY_UNAVAILABLE",
  BLOB_NOT_FOUND: "NOT_FOUND",
};

export function toErrorResponse(c: Context, err: unknown): Response {
  if (err instanceof HttpError) return c.json<ApiError>({ error: { code: err.code, message: err.message } }, err.status);
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && STATUS_BY_CODE[code]) {
    return c.json<ApiError>({ error: { code: API_CODE[code] ?? code, message: (err as Error).message } }, STATUS_BY_CODE[code]);
  }
  console.error(err);
  return c.json<ApiError>({ error: { code: "INTERNAL", message: "internal error; the gateway log has the details" } }, 500);
}

/**
 * What a route's request validator (params, query) does with a request that fails its schema:
 * the same 400 BAD_REQUEST as every other bad request, with the first problem as the message.
 */
export function validationHook(result: {
  success: boolean;
  error?: { issues: readonly { message: string; path: readonly PropertyKey[] }[] };
}): undefined {
  if (result.success) return undefined;
  const issue = result.error?.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ` : "";
  throw new HttpError(400, "BAD_REQUEST", issue ? `${where}${issue.message}` : "the request is invalid");
}

export const notFound = (what: string): HttpError => new HttpError(404, "NOT_FOUND", `${what} not found`);
