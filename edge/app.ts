/**
 * The gateway's HTTP app. Runtime-agnostic: it knows the Gateway ports, not Node or Azure;
 * `tessera serve` and `tessera gateway` only choose adapters (edge/serve.ts).
 */

import { ops } from "@tessera/kernels";
import { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import { bearerToken } from "./auth.js";
import type { Gateway } from "./gateway.js";
import { HttpError, toErrorResponse } from "./http-errors.js";
import { apiPage, openApiDocument } from "./openapi.js";
import { jobRoutes } from "./routes/jobs.js";

export interface AppOptions {
  /** Node's WebSocket upgrade (from @hono/node-ws); without it /v1/jobs/:id/ws is absent. */
  upgradeWebSocket?: UpgradeWebSocket;
  /** Serves the web UI's files under "/"; omitted in API-only tests. */
  staticFiles?: Hono;
}

export function createApp(gw: Gateway, options: AppOptions = {}): Hono {
  const app = new Hono();
  const doc = openApiDocument(gw.limits);

  app.onError((err, c) => toErrorResponse(c, err));
  app.notFound((c) => toErrorResponse(c, new HttpError(404, "NOT_FOUND", `no route ${c.req.method} ${c.req.path}`)));
  app.use(async (c, next) => {
    await next();
    gw.metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/metrics", async (c) => {
    // Looking at the cluster refreshes the gauges a scrape should see: queue depths, workers alive.
    await gw.cluster();
    return c.text(await gw.metrics.registry.metrics(), 200, { "Content-Type": gw.metrics.registry.contentType });
  });

  const v1 = new Hono();
  if (gw.token) v1.use(bearerToken(gw.token));
  v1.get("/openapi.json", (c) => c.json(doc));
  v1.get("/docs", (c) => c.html(apiPage(doc)));
  v1.get("/ops", (c) => c.json([...ops.values()].map(({ radius: _r, check: _c, ...op }) => op)));
  v1.get("/cluster", async (c) => c.json(await gw.cluster()));
  v1.route("/jobs", jobRoutes(gw, options.upgradeWebSocket));
  app.route("/v1", v1);

  if (options.staticFiles) app.route("/", options.staticFiles);
  return app;
}
