/**
 * `tessera cluster --workers N [--port P]`: the Service Bus emulator, Azurite, the gateway and
 * N worker processes on this machine. Ctrl-C or SIGTERM stops them all, workers first (they
 * finish their tiles in hand), and leaves no process or temporary directory behind, also when
 * it comes during the start. A gateway or worker that dies is started again after a back-off;
 * every death and restart is a JSON line on stdout. Killed outright, the cluster takes its
 * processes with it (cli/parent-watch.ts).
 */

import { startLocalCluster } from "../infra/local/cluster.js";
import { intArg, parseCommand, stringArg, untilSignal } from "./args.js";
import { CliError, EXIT } from "./exit-codes.js";

export const CLUSTER_HELP = `Usage: tessera cluster --workers N|MIN..MAX [--port P] [--threads N] [--loops N] [--lock-ms MS]

Starts a local cluster, every part its own process: the Service Bus emulator, Azurite, the
gateway (the web UI and API at http://localhost:P) and N workers. Ctrl-C stops them all.
A gateway or worker that dies is started again (after 0.5 s, doubling to 30 s while it keeps
dying); each death and restart is printed as a JSON line ("process-exited", "process-restarted").

Options:
      --workers N      worker processes (default 2)
      --workers MIN..MAX  autoscale between MIN and MAX: another worker when the tiles
                       backlog per worker stays above --grow-above, one fewer (drained)
                       after 10 s with an empty queue
      --grow-above N   backlog per worker that grows the cluster (default 16)
      --port P         gateway port (env PORT, default 8080; 0 picks a free one)
      --threads N      kernel threads per worker (default 1)
      --loops N        bands each worker holds at once (default 2 + half its threads)
      --lock-ms MS     session lock duration: how long a hung worker can hold tiles (default 30000)
      --max-deliveries N  deliveries before a tile is dead-lettered (default 10)
      --verbose        print every process's output, prefixed with its name
  -h, --help           this text
`;

const MAX_WORKERS = 64;

/** `N` or `MIN..MAX`. */
function workerCount(text: string | boolean | undefined): number | { min: number; max: number } {
  const range = typeof text === "string" ? /^(\d+)\.\.(\d+)$/.exec(text) : null;
  if (range === null) {
    const n = intArg("--workers", text, 1) ?? 2;
    if (n > MAX_WORKERS) throw new CliError(EXIT.USAGE, `--workers must be at most ${MAX_WORKERS}, got ${n}`);
    return n;
  }
  const min = Number(range[1]);
  const max = Number(range[2]);
  if (min < 1 || max < min || max > MAX_WORKERS) {
    throw new CliError(EXIT.USAGE, `--workers MIN..MAX needs 1 <= MIN <= MAX <= ${MAX_WORKERS}, got ${JSON.stringify(text)}`);
  }
  return { min, max };
}

export async function runCluster(argv: string[]): Promise<void> {
  const { values } = parseCommand("cluster", argv, {
    workers: { type: "string" },
    port: { type: "string" },
    threads: { type: "string" },
    loops: { type: "string" },
    "lock-ms": { type: "string" },
    "max-deliveries": { type: "string" },
    verbose: { type: "boolean" },
    "grow-above": { type: "string" },
  });
  if (values.help) {
    process.stdout.write(CLUSTER_HELP);
    return;
  }
  const workers = workerCount(values.workers);
  const growAbove = intArg("--grow-above", values["grow-above"], 1);
  if (growAbove !== undefined && typeof workers === "number") {
    throw new CliError(EXIT.USAGE, "--grow-above needs a range of workers to scale within, e.g. --workers 1..4");
  }
  const threads = intArg("--threads", values.threads, 1);
  const loops = intArg("--loops", values.loops, 1);
  const lockMs = intArg("--lock-ms", values["lock-ms"], 1000);
  const maxDeliveries = intArg("--max-deliveries", values["max-deliveries"], 1);
  const print = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
  // Listening from the start: Ctrl-C while the parts start stops the ones already up (without
  // a handler, the signal would kill this process alone).
  const interrupt = new AbortController();
  const signalled = untilSignal().then((signal) => {
    interrupt.abort();
    return signal;
  });
  const cluster = await startLocalCluster({
    workers,
    port: intArg("--port", stringArg(values.port, "PORT"), 0) ?? 8080,
    ...(threads !== undefined && { threads }),
    ...(loops !== undefined && { loops }),
    ...(lockMs !== undefined && { lockMs }),
    ...(maxDeliveries !== undefined && { maxDeliveries }),
    ...(values.verbose === true && { onLine: (line: string) => process.stderr.write(`${line}\n`) }),
    ...(growAbove !== undefined && { autoscale: { growAbove } }),
    onScale: (event) => print({ event: "cluster-scaled", ...event }),
    restart: true,
    onEvent: print,
    signal: interrupt.signal,
  }).catch(async (err: unknown) => {
    if (!interrupt.signal.aborted) throw err;
    throw new CliError(EXIT.FAILED, `stopped by ${await signalled} while starting; every part started was stopped`);
  });
  print({
    event: "cluster-started",
    url: cluster.url,
    gateway: cluster.gateway.pid,
    workers: cluster.workers.map((w) => w.pid),
    services: cluster.servicePids,
  });
  const count = typeof workers === "number" ? `${workers}` : `${workers.min} to ${workers.max} (autoscaled)`;
  process.stdout.write(
    `Tessera cluster is running at ${cluster.url.replace("127.0.0.1", "localhost")} with ${count} worker(s)  (Ctrl-C stops it)\n`,
  );
  await signalled;
  process.stdout.write("stopping…\n");
  await cluster.stop();
}
