/**
 * `tessera serve [--port P] [--host H] [--threads N] [--data DIR]`: gateway + web UI +
 * in-process workers on one port. Environment: PORT, HOST, TESSERA_DATA_DIR,
 * TESSERA_API_TOKEN(S), and the limits and timeouts of edge/config.ts.
 */

import { resolve } from "node:path";
import { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, tokensFromEnv } from "../edge/config.js";
import { createLogger } from "../infra/adapters/pino-logger.js";
import { startServer } from "../roles/serve.js";
import { intArg, parseCommand, stringArg, untilSignal } from "./args.js";

export const SERVE_HELP = `Usage: tessera serve [--port P] [--host H] [--threads N] [--data DIR]

Starts the gateway, the web UI and in-process workers on one port.

Options:
      --port P      port (env PORT, default 8080; 0 picks a free one)
      --host H      address to listen on (env HOST, default 127.0.0.1; 0.0.0.0 for every interface)
      --threads N   kernel threads (default: the number of cores)
      --data DIR    where jobs and results are kept (env TESSERA_DATA_DIR, default .tessera-data)
  -h, --help        this text

Set TESSERA_API_TOKEN (one token) or TESSERA_API_TOKENS (several, comma-separated) to require
"Authorization: Bearer <token>" on the API; each token sees only its own jobs, and without a
token GET /v1/jobs (the list) is off. Job logs are JSON lines on stdout (pretty on a
terminal) at TESSERA_LOG_LEVEL (default info).

Limits (environment, positive integers):
  TESSERA_MAX_UPLOAD_BYTES       largest upload (default ${DEFAULT_LIMITS.maxUploadBytes}), 413 above
  TESSERA_MAX_PIXELS             largest image (default ${DEFAULT_LIMITS.maxPixels}), 422 above
  TESSERA_MAX_STEPS              steps per pipeline (default ${DEFAULT_LIMITS.maxSteps})
  TESSERA_MAX_PIXEL_STEPS        pixels × steps of one job (default ${DEFAULT_LIMITS.maxPixelSteps}), 422 above
  TESSERA_MAX_ACTIVE_JOBS        jobs submitting, queued or running (default ${DEFAULT_LIMITS.maxActiveJobs}), 429 above
  TESSERA_MAX_ACTIVE_PIXELS      pixels of those jobs together (default ${DEFAULT_LIMITS.maxActivePixels}), 429 above
Timeouts (environment, milliseconds):
  TESSERA_HEADERS_TIMEOUT_MS     request headers (default ${DEFAULT_TIMEOUTS.headersMs})
  TESSERA_REQUEST_TIMEOUT_MS     the whole request, body included (default ${DEFAULT_TIMEOUTS.requestMs})
  TESSERA_BODY_IDLE_TIMEOUT_MS   a request body that sends nothing (default ${DEFAULT_TIMEOUTS.bodyIdleMs})
  TESSERA_KEEP_ALIVE_TIMEOUT_MS  an idle keep-alive connection (default ${DEFAULT_TIMEOUTS.keepAliveMs})
`;

export async function runServe(argv: string[]): Promise<void> {
  const { values } = parseCommand("serve", argv, {
    port: { type: "string" },
    host: { type: "string" },
    threads: { type: "string" },
    data: { type: "string" },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const port = intArg("--port", stringArg(values.port, "PORT"), 0) ?? 8080;
  const threads = intArg("--threads", values.threads, 1);
  const server = await startServer({
    port,
    host: stringArg(values.host, "HOST") ?? "127.0.0.1",
    dataDir: resolve(stringArg(values.data, "TESSERA_DATA_DIR") ?? ".tessera-data"),
    ...(threads !== undefined && { threads }),
    tokens: tokensFromEnv(),
    log: createLogger("serve"),
  });
  process.stdout.write(`Tessera is running at ${server.url.replace("127.0.0.1", "localhost")}  (Ctrl-C stops it)\n`);
  await untilSignal();
  process.stdout.write("stopping…\n");
  await server.close();
}
