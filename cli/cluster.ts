/**
 * `tessera cluster --workers N [--port P]`: the Service Bus emulator, Azurite, the gateway and
 * N worker processes on this machine. Ctrl-C or SIGTERM stops them all, workers first (they
 * finish their tiles in hand), and leaves no process or temporary directory behind.
 */

import { startLocalCluster } from "../infra/local/cluster.js";
import { intArg, parseCommand, stringArg, untilSignal } from "./args.js";
import { CliError, EXIT } from "./exit-codes.js";

export const CLUSTER_HELP = `Usage: tessera cluster --workers N [--port P] [--threads N] [--lock-ms MS]

Starts a local cluster, every part its own process: the Service Bus emulator, Azurite, the
gateway (the web UI and API at http://localhost:P) and N workers. Ctrl-C stops them all.

Options:
      --workers N      worker processes (default 2)
      --port P         gateway port (env PORT, default 8080; 0 picks a free one)
      --threads N      kernel threads per worker (default 1)
      --lock-ms MS     session lock duration: how long a hung worker can hold tiles (default 30000)
      --max-deliveries N  deliveries before a tile is dead-lettered (default 10)
      --verbose        print every process's output, prefixed with its name
  -h, --help           this text
`;

export async function runCluster(argv: string[]): Promise<void> {
  const { values } = parseCommand("cluster", argv, {
    workers: { type: "string" },
    port: { type: "string" },
    threads: { type: "string" },
    "lock-ms": { type: "string" },
    "max-deliveries": { type: "string" },
    verbose: { type: "boolean" },
  });
  if (values.help) {
    process.stdout.write(CLUSTER_HELP);
    return;
  }
  const workers = intArg("--workers", values.workers, 1) ?? 2;
  if (workers > 64) throw new CliError(EXIT.USAGE, `--workers must be at most 64, got ${workers}`);
  const threads = intArg("--threads", values.threads, 1);
  const lockMs = intArg("--lock-ms", values["lock-ms"], 1000);
  const maxDeliveries = intArg("--max-deliveries", values["max-deliveries"], 1);
  const cluster = await startLocalCluster({
    workers,
    port: intArg("--port", stringArg(values.port, "PORT"), 0) ?? 8080,
    ...(threads !== undefined && { threads }),
    ...(lockMs !== undefined && { lockMs }),
    ...(maxDeliveries !== undefined && { maxDeliveries }),
    ...(values.verbose === true && { onLine: (line: string) => process.stderr.write(`${line}\n`) }),
  });
  process.stdout.write(
    `${JSON.stringify({
      event: "cluster-started",
      url: cluster.url,
      gateway: cluster.gateway.pid,
      workers: cluster.workers.map((w) => w.pid),
      services: cluster.servicePids,
    })}\n`,
  );
  process.stdout.write(
    `Tessera cluster is running at ${cluster.url.replace("127.0.0.1", "localhost")} with ${workers} worker(s)  (Ctrl-C stops it)\n`,
  );
  await untilSignal();
  process.stdout.write("stopping…\n");
  await cluster.stop();
}
