/**
 * The HTTP server around a gateway: the API, the WebSocket and the built web UI on one port.
 * `tessera serve` puts the embedded gateway behind it, `tessera gateway` the Azure one.
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { createNodeWebSocket } from "@hono/node-ws";
import { Hono } from "hono";
import type { Logger } from "../engine/ports/logger.js";
import { createApp } from "./app.js";
import { startEmbeddedGateway } from "./embedded-gateway.js";
import type { Gateway } from "./gateway.js";

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
  files.use("/*", serveStatic({ root }));
  return files;
}

export interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
  threads?: number;
  token?: string;
  log?: Logger;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** `tessera serve`: the embedded gateway on a port. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const gw = await startEmbeddedGateway({
    dataDir: options.dataDir,
    ...(options.threads !== undefined && { threads: options.threads }),
    ...(options.token && { token: options.token }),
    ...(options.log && { log: options.log }),
  });
  return listen(gw, options);
}

/** Serves a gateway's API, its WebSocket and the web UI; close() stops the server, then the gateway. */
export async function listen(
  gw: Gateway & { stop(): Promise<void> },
  options: { port: number; host: string },
): Promise<RunningServer> {
  const shell = new Hono();
  const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app: shell });
  shell.route("/", createApp(gw, { upgradeWebSocket, staticFiles: staticFiles() }));
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: shell.fetch, port: options.port, hostname: options.host }, () => resolve(s));
    s.once("error", reject);
  }).catch(async (err: unknown) => {
    await gw.stop();
    throw err;
  });
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
    },
  };
}
