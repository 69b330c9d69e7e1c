/**
 * `tessera serve [--port P] [--host H] [--threads N] [--data DIR]`: gateway + web UI +
 * in-process workers on one port. Environment: PORT, HOST, TESSERA_DATA_DIR,
 * TESSERA_API_TOKEN, and the limits of edge/config.ts.
 */

import { resolve } from "node:path";
import { startServer } from "../edge/serve.js";
import { createLogger } from "../infra/adapters/pino-logger.js";
import { intArg, parseCommand, stringArg, untilSignal } from "./args.js";

export const SERVE_HELP = `Usage: tessera serve [--port P] [--host H] [--threads N] [--data DIR]

Starts the gateway, the web UI and in-process workers on one port.

Options:
      --port P      port (env PORT, default 8080; 0 picks a free one)
      --host H      address to listen on (env HOST, default 127.0.0.1; 0.0.0.0 for every interface)
      --threads N   kernel threads (default: the number of cores)
      --data DIR    where jobs and results are kept (env TESSERA_DATA_DIR, default .tessera-data)
  -h, --help        this text

Set TESSERA_API_TOKEN to require "Authorization: Bearer <token>" on the API. Job logs are
JSON lines on stdout (pretty on a terminal) at TESSERA_LOG_LEVEL (default info).
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
    ...(process.env.TESSERA_API_TOKEN && { token: process.env.TESSERA_API_TOKEN }),
    log: createLogger("serve"),
  });
  process.stdout.write(`Tessera is running at ${server.url.replace("127.0.0.1", "localhost")}  (Ctrl-C stops it)\n`);
  await untilSignal();
  process.stdout.write("stopping…\n");
  await server.close();
}
