/**
 * Prometheus metrics of the gateway (prom-client), names per Prometheus conventions with the
 * `tessera_` prefix. One registry per gateway, so tests can build several.
 */

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: "tessera_jobs_total",
    help: "Jobs that ended, by status.",
    labelNames: ["status"],
    registers: [this.registry],
  });
  readonly jobsSubmitted = new Counter({
    name: "tessera_jobs_submitted_total",
    help: "Jobs accepted by POST /v1/jobs.",
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: "tessera_job_duration_seconds",
    help: "Wall time from submission to the end of a job.",
    labelNames: ["status"],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly tiles = new Counter({
    name: "tessera_tiles_processed_total",
    help: "Tiles finished, by worker.",
    labelNames: ["worker"],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "tessera_queue_messages",
    help: "Messages in a queue, active or dead-lettered.",
    labelNames: ["queue", "state"],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: "tessera_tiles_dead_lettered_total",
    help: "Bands of tiles the cluster gave up on, by reason (BandFailed, MaxDeliveryCountExceeded).",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly workersAlive = new Gauge({
    name: "tessera_workers_alive",
    help: "Worker processes whose heartbeats arrive on time.",
    registers: [this.registry],
  });
  readonly dependencyUp = new Gauge({
    name: "tessera_dependency_up",
    help: "1 while a dependency (queue: Service Bus, blobs: storage) answered the gateway's last health probe, else 0.",
    labelNames: ["dependency"],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: "tessera_http_requests_total",
    help: "HTTP requests by route and status.",
    labelNames: ["route", "status"],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "tessera_" });
  }
}
