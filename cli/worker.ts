/**
 * `tessera worker`: one worker process. It takes sessions of the `tiles` queue, runs their
 * tiles on a kernel thread pool, and writes a heartbeat blob every few seconds. While Service
 * Bus or storage is down it waits with backoff and carries on when they are back. On SIGTERM or
 * Ctrl-C it finishes the tiles in hand, releases its sessions and exits 0; killed outright,
 * its sessions come back to other workers when their locks expire or its connection drops.
 */

import { availableParallelism, hostname } from "node:os";
import { createLogger } from "../infra/adapters/pino-logger.js";
import { SharpCodec } from "../infra/adapters/sharp-codec.js";
import { connectAzure } from "../infra/azure/connect.js";
import { serveMetrics, WorkerMetrics } from "../workers/metrics.js";
import { startWorker } from "../workers/worker.js";
import { intArg, parseCommand, stringArg, untilSignal } from "./args.js";
import { AZURE_FLAGS, AZURE_HELP, azureSettings } from "./azure-options.js";

export const WORKER_HELP = `Usage: tessera worker [--threads N] [--loops N] [--id ID] [--metrics-port P] [connections]

Runs tiles from the Service Bus "tiles" queue until stopped (SIGTERM or Ctrl-C finish the
tiles in hand first, then exit 0). Logs are JSON lines on stdout (pretty on a terminal);
TESSERA_LOG_LEVEL sets the level (info; debug logs every tile).

Options:
      --threads N        kernel threads (TESSERA_THREADS, default: the number of cores)
      --loops N          sessions (bands) worked at once (default: 2 + half the threads)
      --id ID            worker id in heartbeats and the tile map (default <host>-<pid>)
      --heartbeat-ms MS  heartbeat interval (default 2000)
      --metrics-port P   serve Prometheus metrics at http://HOST:P/metrics (TESSERA_METRICS_PORT),
                         and health at /healthz (503 with the reason while Service Bus or storage fail)
      --metrics-host H   address for the metrics port (default 127.0.0.1; 0.0.0.0 for a scraper)
  -h, --help             this text

${AZURE_HELP}`;

export async function runWorker(argv: string[]): Promise<void> {
  const { values } = parseCommand("worker", argv, {
    ...AZURE_FLAGS,
    threads: { type: "string" },
    loops: { type: "string" },
    id: { type: "string" },
    "heartbeat-ms": { type: "string" },
    "metrics-port": { type: "string" },
    "metrics-host": { type: "string" },
  });
  if (values.help) {
    process.stdout.write(WORKER_HELP);
    return;
  }
  const settings = azureSettings("worker", values);
  const threads = intArg("--threads", stringArg(values.threads, "TESSERA_THREADS"), 1);
  const loops = intArg("--loops", values.loops, 1);
  const heartbeatMs = intArg("--heartbeat-ms", values["heartbeat-ms"], 100);
  const metricsPort = intArg("--metrics-port", stringArg(values["metrics-port"], "TESSERA_METRICS_PORT"), 0);
  const id = stringArg(values.id) ?? `${hostname()}-${process.pid}`;
  const log = createLogger("worker").child({ worker: id });
  const { queue, blobs } = await connectAzure(settings);
  let metrics: WorkerMetrics | undefined;
  const worker = await startWorker({
    queue,
    blobs,
    id,
    log,
    // Decodes and encodes share the worker's threads with the kernels: as many at once as threads.
    codec: new SharpCodec({ concurrency: threads ?? availableParallelism() }),
    onBand: (event, band) => metrics?.record(event, band),
    ...(threads !== undefined && { threads }),
    ...(loops !== undefined && { loops }),
    ...(heartbeatMs !== undefined && { heartbeatMs }),
  });
  metrics = new WorkerMetrics(id, worker.pool, () => worker.busy);
  const endpoint =
    metricsPort === undefined
      ? undefined
      : await serveMetrics(metrics.registry, metricsPort, stringArg(values["metrics-host"]) ?? "127.0.0.1", () =>
          worker.health(),
        );
  log.info(
    {
      event: "worker-started",
      id,
      threads: worker.pool.threads,
      loops: worker.loops,
      ...(endpoint && { metricsPort: endpoint.port }),
    },
    "worker started",
  );
  const ended = await Promise.race([
    untilSignal(),
    worker.done.then(
      () => "ended" as const,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    ),
  ]);
  if (ended instanceof Error) {
    log.error({ err: ended.message }, "a worker loop failed; stopping");
    await worker.stop();
    await queue.close();
    await endpoint?.close();
    throw ended;
  }
  log.info({ event: "worker-draining", signal: ended }, "draining: finishing the tiles in hand");
  // Stop taking sessions, finish what is in hand, then close the connection: that releases
  // every session this worker held, so its queued tiles go to the others at once.
  await worker.stop();
  await queue.close();
  await endpoint?.close();
  log.info({ event: "worker-stopped", tilesDone: worker.tilesDone }, "worker stopped");
}
