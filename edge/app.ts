/**
 * The gateway's HTTP app. Runtime-agnostic: it knows the Gateway ports, not Node or Azure;
 * `tessera serve` and `tessera gateway` only choose adapters (edge/serve.ts).
 */

import { ops } from "@tessera/kernels";
import { type Context, Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import { bearerTokens } from "./auth.js";
import type { Gateway } from "./gateway.js";
import { HttpError, toErrorResponse } from "./http-errors.js";
import { apiPage, openApiDocument } from "./openapi.js";
import { jobRoutes } from "./routes/jobs.js";

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

export function createApp(gw: Gateway, options: AppOptions = {}): Hono {
  const app = new Hono();
  const doc = openApiDocument(gw.limits);

  app.onError((err, c) => toErrorResponse(c, err));
  app.notFound(noRoute);
  app.use(async (c, next) => {
    await next();
    gw.metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
  });

  // Liveness including the dependencies: 503, with each failing one's reason, while the queue
  // or blob storage does not answer (the gateway waits it out, but cannot run jobs meanwhile).
  app.get("/healthz", async (c) => {
    const report = await gw.health();
    return c.json(report, report.status === "down" ? 503 : 200);
  });
  // Readiness, for load balancers: no new work while a dependency is down or the gateway stops.
  app.get("/readyz", async (c) => {
    const report = await gw.health();
    const stopping = gw.stopping();
    const ready = !stopping && report.status !== "down";
    return c.json({ ...report, ready, ...(stopping && { stopping }) }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
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

  const v1 = new Hono();
  const tokens = [...new Set([...(options.tokens ?? []), ...(gw.token ? [gw.token] : [])])];
  if (tokens.length > 0) v1.use(bearerTokens(tokens));
  v1.get("/openapi.json", (c) => c.json(doc));
  v1.get("/docs", (c) => c.html(apiPage(doc)));
  v1.get("/ops", (c) => c.json([...ops.values()].map(({ radius: _r, check: _c, ...op }) => op)));
  v1.get("/cluster", async (c) => c.json(await gw.cluster()));
  v1.route("/jobs", jobRoutes(gw, options.upgradeWebSocket));
  app.route("/v1", v1);

  if (options.staticFiles) app.route("/", options.staticFiles);
  return app;
}
