/**
 * `tessera serve`: the embedded gateway (roles/gateway.ts) behind the HTTP server
 * (edge/serve.ts), on one port.
 */

import { type ServerTimeouts, timeoutsFromEnv } from "../edge/config.js";
import { listen, type RunningServer } from "../edge/serve.js";
import type { Logger } from "../engine/ports/logger.js";
import { startEmbeddedGateway } from "./gateway.js";

export interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
  threads?: number;
  token?: string;
  /** More API tokens besides `token`, each its own owner of jobs; default TESSERA_API_TOKEN(S). */
  tokens?: readonly string[];
  /** Default: edge/config.ts timeoutsFromEnv(). */
  timeouts?: ServerTimeouts;
  log?: Logger;
}

/** `tessera serve`: the embedded gateway on a port. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  // Read first: a bad variable stops the start before any worker runs.
  const timeouts = options.timeouts ?? timeoutsFromEnv();
  const gw = await startEmbeddedGateway({
    dataDir: options.dataDir,
    ...(options.threads !== undefined && { threads: options.threads }),
    ...(options.token && { token: options.token }),
    ...(options.log && { log: options.log }),
  });
  return listen(gw, {
    port: options.port,
    host: options.host,
    timeouts,
    ...(options.tokens && { tokens: options.tokens }),
    ...(options.log && { log: options.log }),
  });
}
