/**
 * `tessera worker`: one worker process. It takes sessions of the `tiles` queue, runs their
 * tiles on a kernel thread pool, and writes a heartbeat blob every few seconds. On SIGTERM or
 * Ctrl-C it finishes the tiles in hand, releases its sessions and exits 0; killed outright,
 * its sessions come back to other workers when their locks expire or its connection drops.
 */

import { hostname } from "node:os";
import { connectAzure } from "../infra/azure/connect.js";
import { startWorker } from "../workers/worker.js";
import { intArg, parseCommand, stringArg, untilSignal } from "./args.js";
import { AZURE_FLAGS, AZURE_HELP, azureSettings } from "./azure-options.js";

export const WORKER_HELP = `Usage: tessera worker [--threads N] [--loops N] [--id ID] [connections]

Runs tiles from the Service Bus "tiles" queue until stopped (SIGTERM or Ctrl-C finish the
tiles in hand first, then exit 0).

Options:
      --threads N      kernel threads (TESSERA_THREADS, default: the number of cores)
      --loops N        sessions worked at once (default: two per thread)
      --id ID          worker id in heartbeats and the tile map (default <host>-<pid>)
      --heartbeat-ms MS  heartbeat interval (default 2000)
  -h, --help           this text

${AZURE_HELP}`;

export async function runWorker(argv: string[]): Promise<void> {
  const { values } = parseCommand("worker", argv, {
    ...AZURE_FLAGS,
    threads: { type: "string" },
    loops: { type: "string" },
    id: { type: "string" },
    "heartbeat-ms": { type: "string" },
  });
  if (values.help) {
    process.stdout.write(WORKER_HELP);
    return;
  }
  const settings = azureSettings("worker", values);
  const threads = intArg("--threads", stringArg(values.threads, "TESSERA_THREADS"), 1);
  const loops = intArg("--loops", values.loops, 1);
  const heartbeatMs = intArg("--heartbeat-ms", values["heartbeat-ms"], 100);
  const { queue, blobs } = await connectAzure(settings);
  const worker = await startWorker({
    queue,
    blobs,
    id: stringArg(values.id) ?? `${hostname()}-${process.pid}`,
    ...(threads !== undefined && { threads }),
    ...(loops !== undefined && { loops }),
    ...(heartbeatMs !== undefined && { heartbeatMs }),
  });
  process.stdout.write(
    `${JSON.stringify({ event: "worker-started", id: worker.id, pid: process.pid, threads: worker.pool.threads })}\n`,
  );
  const signal = await Promise.race([untilSignal(), worker.done.then(() => "ended" as const)]);
  process.stdout.write(`${JSON.stringify({ event: "worker-draining", id: worker.id, signal })}\n`);
  // Stop taking sessions, finish what is in hand, then close the connection: that releases
  // every session this worker held, so its queued tiles go to the others at once.
  await worker.stop();
  await queue.close();
  process.stdout.write(`${JSON.stringify({ event: "worker-stopped", id: worker.id, tilesDone: worker.tilesDone })}\n`);
}
