/**
 * `tessera gateway`: the HTTP API and web UI over Azure Service Bus and Blob Storage. Workers
 * are separate processes (`tessera worker`); on start it reloads unfinished jobs and carries
 * them on.
 */

import { listen } from "../edge/serve.js";
import { createLogger } from "../infra/adapters/pino-logger.js";
import { connectAzure } from "../infra/azure/connect.js";
import { startAzureGateway } from "../roles/gateway.js";
import { intArg, parseCommand, stringArg, untilSignal } from "./args.js";
import { AZURE_FLAGS, AZURE_HELP, azureSettings } from "./azure-options.js";

export const GATEWAY_HELP = `Usage: tessera gateway [--port P] [--host H] [connections]

Serves the HTTP API and the web UI; tiles go to workers over Service Bus. Logs are JSON
lines on stdout (pretty on a terminal); TESSERA_LOG_LEVEL sets the level (default info).

Options:
      --port P      port (env PORT, default 8080; 0 picks a free one)
      --host H      address to listen on (env HOST, default 127.0.0.1; 0.0.0.0 for every interface)
  -h, --help        this text

Set TESSERA_API_TOKEN to require "Authorization: Bearer <token>" on the API.

${AZURE_HELP}`;

export async function runGateway(argv: string[]): Promise<void> {
  const { values } = parseCommand("gateway", argv, { ...AZURE_FLAGS, port: { type: "string" }, host: { type: "string" } });
  if (values.help) {
    process.stdout.write(GATEWAY_HELP);
    return;
  }
  const settings = azureSettings("gateway", values);
  const port = intArg("--port", stringArg(values.port, "PORT"), 0) ?? 8080;
  const host = stringArg(values.host, "HOST") ?? "127.0.0.1";
  const log = createLogger("gateway");
  const { queue, blobs } = await connectAzure(settings);
  const gateway = await startAzureGateway({
    queue,
    blobs,
    log,
    ...(process.env.TESSERA_API_TOKEN && { token: process.env.TESSERA_API_TOKEN }),
  });
  const server = await listen(gateway, { port, host });
  process.stdout.write(
    `${JSON.stringify({ event: "gateway-started", url: server.url, pid: process.pid, resumed: gateway.resumed })}\n`,
  );
  await untilSignal();
  await server.close();
}
