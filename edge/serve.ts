/**
 * The HTTP server around a gateway: the API, the WebSocket and the built web UI on one port.
 * `tessera serve` puts the embedded gateway behind it (roles/serve.ts), `tessera gateway` the
 * Azure one.
 */

import { existsSync } from "node:fs";
import type { IncomingMessage, Server } from "node:http";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { createNodeWebSocket } from "@hono/node-ws";
import { Hono } from "hono";
import type { Logger } from "../engine/ports/logger.js";
import { createApp, noRoute } from "./app.js";
import { type ServerTimeouts, timeoutsFromEnv, tokensFromEnv } from "./config.js";
import type { Gateway } from "./gateway.js";
import { toErrorResponse } from "./http-errors.js";

/** The built UI, from the source tree (edge/serve.ts) or from the build (dist/edge/serve.js). */
function webRoot(): string | undefined {
  return [new URL("./web/dist/", import.meta.url), new URL("../../edge/web/dist/", import.meta.url)]
    .map((u) => fileURLToPath(u))
    .find((dir) => existsSync(`${dir}index.html`));
}

function staticFiles(): Hono {
  const root = webRoot();
  const files = new Hono();
  if (!root) {
    files.get("/", (c) =>
      c.html(
        "<h1>Tessera</h1><p>The web UI is not built: run <code>npm run build</code>. The API is at <a href='/v1/docs'>/v1/docs</a>.</p>",
      ),
    );
    return files;
  }
  // Cross-origin isolated: the page may then share memory with its preview workers
  // (SharedArrayBuffer), which browsers allow only with these two headers. Everything the
  // UI loads is its own origin's, so require-corp blocks nothing it uses.
  files.use("/*", async (c, next) => {
    await next();
    c.header("Cross-Origin-Opener-Policy", "same-origin");
    c.header("Cross-Origin-Embedder-Policy", "require-corp");
  });
  files.use("/*", serveStatic({ root }));
  return files;
}

export interface ListenOptions {
  port: number;
  host: string;
  /** API tokens (with the gateway's own token); default TESSERA_API_TOKEN and TESSERA_API_TOKENS. */
  tokens?: readonly string[];
  /** Default: edge/config.ts timeoutsFromEnv(). */
  timeouts?: ServerTimeouts;
  /** Where a request's stray failure is reported; default stderr. */
  log?: Logger;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** A request that sends a body: only those can stall mid-body. */
const hasBody = (req: IncomingMessage): boolean =>
  req.headers["transfer-encoding"] !== undefined ||
  (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");

/**
 * Cuts off a request whose body stops arriving for `idleMs`. Node's requestTimeout bounds the
 * whole body, but only coarsely and only at its end; a client that sends headers and a few
 * bytes would hold its socket (and its admission slot) until then. Once the body is in, the
 * socket has no idle timeout again: a response may take as long as it takes (event streams).
 */
function limitBodyIdle(server: Server, idleMs: number): void {
  server.on("request", (req: IncomingMessage) => {
    if (!hasBody(req) || req.complete) return;
    req.setTimeout(idleMs, () => req.socket.destroy());
    req.once("end", () => req.socket.setTimeout(0));
  });
}

/**
 * The last line of defence: a request handler's rejected promise that nobody awaited would,
 * by Node's default, end the process and every job in it. Log it instead. (The handlers catch
 * their own errors; this is for the one that got away.)
 */
function guardProcess(log: Logger | undefined): () => void {
  const onRejection = (reason: unknown): void => {
    const err = reason instanceof Error ? { name: reason.name, message: reason.message, stack: reason.stack } : reason;
    if (log) log.error({ err }, "unhandled rejection (the server carries on)");
    else console.error("unhandled rejection (the server carries on):", reason);
  };
  process.on("unhandledRejection", onRejection);
  return () => void process.off("unhandledRejection", onRejection);
}

/** Serves a gateway's API, its WebSocket and the web UI; close() stops the server, then the gateway. */
export async function listen(gw: Gateway & { stop(): Promise<void> }, options: ListenOptions): Promise<RunningServer> {
  let timeouts: ServerTimeouts;
  try {
    timeouts = options.timeouts ?? timeoutsFromEnv();
  } catch (err) {
    await gw.stop();
    throw err;
  }
  const tokens = options.tokens ?? tokensFromEnv();
  const shell = new Hono();
  const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app: shell });
  shell.route("/", createApp(gw, { upgradeWebSocket, staticFiles: staticFiles(), tokens }));
  // The app's own 404 and error handlers do not reach the shell: without these an unknown
  // path would get Hono's plain-text "404 Not Found" and a stray error its plain-text 500.
  shell.notFound(noRoute);
  shell.onError((err, c) => toErrorResponse(c, err));
  const serverOptions = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Node looks for expired headers and requests this often (default 30 s, far past the limits).
    connectionsCheckingInterval: Math.min(5_000, Math.max(250, Math.floor(timeouts.headersMs / 4))),
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: shell.fetch, port: options.port, hostname: options.host, serverOptions }, () => resolve(s));
    s.once("error", reject);
  }).catch(async (err: unknown) => {
    await gw.stop();
    throw err;
  });
  limitBodyIdle(server as Server, timeouts.bodyIdleMs);
  const unguard = guardProcess(options.log);
  injectWebSocket(server);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    async close() {
      // Open event streams would hold server.close() forever: end them with the server.
      if ("closeAllConnections" in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gw.stop();
      unguard();
    },
  };
}
