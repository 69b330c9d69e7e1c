/**
 * The gateway's HTTP app. Runtime-agnostic: it knows the Gateway ports, not Node or Azure;
 * `tessera serve` and `tessera gateway` only choose adapters (roles/gateway.ts).
 */

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ops } from "@tessera/kernels";
import type { Context, Hono } from "hono";
import type { BlankEnv } from "hono/types";
import type { UpgradeWebSocket } from "hono/ws";
import { bearerTokens } from "./auth.js";
import type { Gateway } from "./gateway.js";
import { HttpError, toErrorResponse, validationHook } from "./http-errors.js";
import { apiPage, declareComponents, documentOf } from "./openapi.js";
import { jobRoutes } from "./routes/jobs.js";
import {
  ClusterViewSchema,
  COMMON_ERRORS,
  HealthReportSchema,
  jsonResponse,
  OpListSchema,
  ReadinessSchema,
  UNAVAILABLE,
  V1_ERRORS,
} from "./schemas.js";

export interface AppOptions {
  /** Node's WebSocket upgrade (from @hono/node-ws); without it /v1/jobs/:id/ws is absent. */
  upgradeWebSocket?: UpgradeWebSocket;
  /** Serves the web UI's files under "/"; omitted in API-only tests. */
  staticFiles?: Hono;
  /**
   * The API tokens, each its own owner of jobs (edge/auth.ts); gw.token is one of them.
   * With none, /v1 is open and job ids are the only key.
   */
  tokens?: readonly string[];
}

/** The longest a scrape waits for fresh cluster gauges before it is served what is known. */
const METRICS_REFRESH_MS = 2_000;

/**
 * The JSON 404 for a path nothing serves. An app mounted into another (edge/serve.ts mounts
 * this one into its shell) does not pass its notFound up, so the shell sets it too.
 */
export const noRoute = (c: Context): Response =>
  toErrorResponse(c, new HttpError(404, "NOT_FOUND", `no route ${c.req.method} ${c.req.path}`));

/** Routes outside /v1: not behind the tokens. */
const open = { security: [] };

const healthzRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness, with the queue's and blob storage's health",
  ...open,
  responses: {
    200: jsonResponse(HealthReportSchema, "Up: ok, or degraded (a dependency came back moments ago)"),
    503: jsonResponse(HealthReportSchema, "A dependency is down: each failing one with its reason"),
    ...COMMON_ERRORS,
  },
});

const readyzRoute = createRoute({
  method: "get",
  path: "/readyz",
  summary: "Readiness, for load balancers",
  ...open,
  responses: {
    200: jsonResponse(ReadinessSchema, "Ready for work"),
    503: jsonResponse(ReadinessSchema, "A dependency is down, or the gateway is stopping"),
    ...COMMON_ERRORS,
  },
});

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  summary: "Prometheus metrics",
  ...open,
  responses: {
    200: { description: "The Prometheus text format", content: { "text/plain": { schema: z.string() } } },
    ...COMMON_ERRORS,
  },
});

const openApiRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  summary: "This document: OpenAPI 3.1, generated from the routes' schemas",
  responses: {
    200: jsonResponse(z.looseObject({ openapi: z.string(), paths: z.looseObject({}).optional() }), "OK"),
    ...V1_ERRORS,
  },
});

const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  summary: "This document as a page to read",
  responses: { 200: { description: "HTML", content: { "text/html": { schema: z.string() } } }, ...V1_ERRORS },
});

const opsRoute = createRoute({
  method: "get",
  path: "/ops",
  summary: "The op registry",
  responses: { 200: jsonResponse(OpListSchema, "Every op, its params, ranges and defaults"), ...V1_ERRORS },
});

const clusterRoute = createRoute({
  method: "get",
  path: "/cluster",
  summary: "Workers and queues",
  description:
    "Workers from their heartbeats (id, pid, host, threads, tilesDone, lastSeen, alive, busy, rssBytes, cpuSeconds), queue depths (active and dead-lettered), tiles finished per second over the last minute, and the most recent dead-lettered bands (rows of tiles) with their reasons.",
  responses: { 200: jsonResponse(ClusterViewSchema, "OK"), ...UNAVAILABLE, ...V1_ERRORS },
});

/** The op registry as GET /v1/ops states it: checked against its schema once, at start. */
const opList = () => OpListSchema.parse([...ops.values()].map(({ radius: _r, check: _c, ...op }) => op));

export function createApp(gw: Gateway, options: AppOptions = {}): OpenAPIHono<BlankEnv> {
  const app = new OpenAPIHono<BlankEnv>({ defaultHook: validationHook });
  const opView = opList();
  declareComponents(app.openAPIRegistry, gw.limits);
  // Generated once, on first ask, from every route declared below (the /v1 ones included).
  let doc: ReturnType<typeof documentOf> | undefined;
  const document = () => {
    doc ??= documentOf(app);
    return doc;
  };

  app.onError((err, c) => toErrorResponse(c, err));
  app.notFound(noRoute);
  app.use(async (c, next) => {
    await next();
    gw.metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
  });

  // Liveness including the dependencies: 503, with each failing one's reason, while the queue
  // or blob storage does not answer (the gateway waits it out, but cannot run jobs meanwhile).
  app.openapi(healthzRoute, async (c) => {
    const report = await gw.health();
    return c.json(report, report.status === "down" ? 503 : 200);
  });
  // Readiness, for load balancers: no new work while a dependency is down or the gateway stops.
  app.openapi(readyzRoute, async (c) => {
    const report = await gw.health();
    const stopping = gw.stopping();
    const ready = !stopping && report.status !== "down";
    return c.json({ ...report, ready, ...(stopping && { stopping }) }, ready ? 200 : 503);
  });
  app.openapi(metricsRoute, async (c) => {
    // Looking at the cluster and probing the dependencies refreshes the gauges a scrape should
    // see (queue depths, workers alive, dependencies up). Best-effort and bounded: during an
    // outage a scrape still gets what is known, and soon.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([gw.cluster(), gw.health()]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, METRICS_REFRESH_MS);
      }),
    ]);
    clearTimeout(timer);
    return c.text(await gw.metrics.registry.metrics(), 200, { "Content-Type": gw.metrics.registry.contentType });
  });

  const v1 = new OpenAPIHono({ defaultHook: validationHook });
  const tokens = [...new Set([...(options.tokens ?? []), ...(gw.token ? [gw.token] : [])])];
  if (tokens.length > 0) v1.use(bearerTokens(tokens));
  v1.openapi(openApiRoute, (c) => c.json(document(), 200));
  v1.openapi(docsRoute, (c) => c.html(apiPage(document()), 200));
  v1.openapi(opsRoute, (c) => c.json(opView, 200));
  v1.openapi(clusterRoute, async (c) => c.json(await gw.cluster(), 200));
  v1.route("/jobs", jobRoutes(gw, options.upgradeWebSocket));
  app.route("/v1", v1);

  if (options.staticFiles) app.route("/", options.staticFiles);
  return app;
}
