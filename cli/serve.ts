/**
 * `tessera serve [--port P] [--host H] [--threads N] [--data DIR]`: gateway + web UI +
 * in-process workers on one port. Environment: PORT, HOST, TESSERA_DATA_DIR,
 * TESSERA_API_TOKEN, and the limits of edge/config.ts.
 */

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../edge/serve.js";
import { CliError, EXIT } from "./exit-codes.js";

export const SERVE_HELP = `Usage: tessera serve [--port P] [--host H] [--threads N] [--data DIR]

Starts the gateway, the web UI and in-process workers on one port.

Options:
      --port P      port (env PORT, default 8080; 0 picks a free one)
      --host H      address to listen on (env HOST, default 127.0.0.1; 0.0.0.0 for every interface)
      --threads N   kernel threads (default: the number of cores)
      --data DIR    where jobs and results are kept (env TESSERA_DATA_DIR, default .tessera-data)
  -h, --help        this text

Set TESSERA_API_TOKEN to require "Authorization: Bearer <token>" on the API.
`;

function int(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(EXIT.USAGE, `${name} must be an integer of at least ${min}, got ${JSON.stringify(text)}`);
  return n;
}

export async function runServe(argv: string[]): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        threads: { type: "string" },
        data: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new CliError(EXIT.USAGE, `${(err as Error).message}; see \`tessera serve --help\``);
  }
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const port = int("--port", (values.port as string | undefined) ?? process.env.PORT, 0) ?? 8080;
  const threads = int("--threads", values.threads as string | undefined, 1);
  const server = await startServer({
    port,
    host: (values.host as string | undefined) ?? process.env.HOST ?? "127.0.0.1",
    dataDir: resolve((values.data as string | undefined) ?? process.env.TESSERA_DATA_DIR ?? ".tessera-data"),
    ...(threads !== undefined && { threads }),
    ...(process.env.TESSERA_API_TOKEN && { token: process.env.TESSERA_API_TOKEN }),
  });
  process.stdout.write(`Tessera is running at ${server.url.replace("127.0.0.1", "localhost")}  (Ctrl-C stops it)\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.stdout.write("stopping…\n");
      void server.close().then(done);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
