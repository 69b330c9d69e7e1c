/**
 * A worker process's Prometheus metrics (`tessera worker --metrics-port P`, GET /metrics):
 * tiles by worker, tile kernel time by op chain, band time (read to write), pool utilisation
 * and whether a band is in hand, plus prom-client's process metrics (CPU seconds, resident memory, event-loop lag),
 * all prefixed `tessera_`; and GET /healthz, how the queue and blob storage answer this worker.
 */

import { createServer } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { HealthReport } from "../engine/health.js";
import type { BandEvent, BandMessage } from "../engine/messages.js";

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly tiles = new Counter({
    name: "tessera_worker_tiles_processed_total",
    help: "Tiles this worker process finished (duplicates that were already done included).",
    labelNames: ["worker"],
    registers: [this.registry],
  });
  readonly tileSeconds = new Histogram({
    name: "tessera_tile_duration_seconds",
    help: "Kernel time of one tile, by the chain of ops it ran (e.g. gaussian-blur|sobel).",
    labelNames: ["ops"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly bandSeconds = new Histogram({
    name: "tessera_band_duration_seconds",
    help: "One band from reading its input to writing its output (decoding, kernels, encoding, blob I/O).",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(worker: string, pool: { readonly utilization: number }, busy: () => boolean) {
    collectDefaultMetrics({ register: this.registry, prefix: "tessera_worker_" });
    new Gauge({
      name: "tessera_worker_pool_utilization",
      help: "Share of the kernel threads' time spent running tiles (0..1).",
      registers: [this.registry],
      collect() {
        this.set(pool.utilization);
      },
    });
    new Gauge({
      name: "tessera_worker_busy",
      help: "1 while a band is in hand.",
      registers: [this.registry],
      collect() {
        this.set(busy() ? 1 : 0);
      },
    });
    this.tiles.inc({ worker }, 0);
  }

  record(event: BandEvent, band: BandMessage): void {
    this.tiles.inc({ worker: event.worker.split("/")[0] ?? event.worker }, event.tiles.length);
    // A duplicate (found done) ran no kernels: its tiles count, not as durations.
    if (event.ms === 0) return;
    this.bandSeconds.observe(event.ms / 1000);
    // A detection message has no tile steps: its model's op names its time.
    const ops = [...band.steps, ...(band.detection ? [band.detection] : [])].map((s) => s.op).join("|");
    const perTile = (event.kernelMs ?? 0) / 1000 / event.tiles.length;
    for (const _ of event.tiles) this.tileSeconds.observe({ ops }, perTile);
  }
}

/**
 * Serves GET /metrics on `port` (0 picks one), and GET /healthz when `health` is given: 200
 * while the worker's dependencies answer, 503 with the reasons while one fails (the loops
 * wait it out, but an orchestrator should know this worker does no work meanwhile). Resolves
 * with the port and a closer.
 */
export async function serveMetrics(
  registry: Registry,
  port: number,
  host: string,
  health?: () => Promise<HealthReport>,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = req.url?.split("?")[0];
    if (req.method === "GET" && path === "/healthz" && health) {
      health().then(
        (report) =>
          res
            .writeHead(report.status === "down" ? 503 : 200, { "content-type": "application/json" })
            .end(`${JSON.stringify(report)}\n`),
        (err: Error) =>
          res
            .writeHead(503, { "content-type": "application/json" })
            .end(`${JSON.stringify({ status: "down", error: err.message })}\n`),
      );
      return;
    }
    if (req.method !== "GET" || path !== "/metrics") {
      const served = health ? "GET /metrics and GET /healthz are" : "only GET /metrics is";
      res.writeHead(404, { "content-type": "text/plain" }).end(`${served} served here\n`);
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
