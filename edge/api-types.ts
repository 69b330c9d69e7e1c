/**
 * The JSON the HTTP API speaks (version 1). Shared by the gateway (edge/app) and the web UI
 * (edge/web): each type is inferred from its schema in edge/schemas.ts, the one declaration
 * that the routes validate with and /v1/openapi.json is generated from. Change a shape there
 * and both sides, and the document, see it. (Types only: the web UI bundles none of zod.)
 */

import type { z } from "@hono/zod-openapi";
import type {
  ApiErrorSchema,
  ClusterViewSchema,
  HealthReportSchema,
  JobEventSchema,
  JobStatusSchema,
  JobViewSchema,
  OpViewSchema,
  ProgressSchema,
  ReadinessSchema,
} from "./schemas.js";

export type JobStatus = z.infer<typeof JobStatusSchema>;

/** Every error response: `{"error":{"code","message"}}`; the codes are listed on ApiErrorSchema. */
export type ApiError = z.infer<typeof ApiErrorSchema>;

export type Progress = z.infer<typeof ProgressSchema>;

/** GET /v1/jobs/:id, and each item of GET /v1/jobs. */
export type JobView = z.infer<typeof JobViewSchema>;

/** Messages on GET /v1/jobs/:id/events (SSE, event names as `type`) and the WebSocket /v1/jobs/:id/ws. */
export type JobEvent = z.infer<typeof JobEventSchema>;

/** GET /v1/cluster */
export type ClusterView = z.infer<typeof ClusterViewSchema>;

/** GET /v1/ops: the op registry (see @tessera/kernels ops). */
export type OpView = z.infer<typeof OpViewSchema>;

/** GET /healthz */
export type HealthView = z.infer<typeof HealthReportSchema>;

/** GET /readyz */
export type ReadinessView = z.infer<typeof ReadinessSchema>;
