// Outages of the broker and of blob storage. In process first: worker loops over stores that
// fail on demand (the coordinator's own view stays whole, so what is tested is the worker)
// must live through each outage, say so once in the log and in their health report, and finish
// the job byte-identical once the dependency is back. Then as real processes: Azurite and the
// Service Bus emulator are SIGKILLed under a running cluster and started again on the same
// port (Azurite on the same data); the gateway and every worker must stay up, report the
// outage at /healthz (and /v1/cluster as 503, not 500), and run new jobs once it is over.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { parsePipeline } from "@tessera/kernels";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError, JobView } from "../../edge/api-types.js";
import { createApp } from "../../edge/app.js";
import { Coordinator } from "../../engine/coordinator.js";
import type { HealthReport } from "../../engine/health.js";
import { EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import type { LogFields, Logger } from "../../engine/ports/logger.js";
import { DEFAULT_CONTAINER } from "../../infra/azure/connect.js";
import { pidAlive, stopChild, waitForReady } from "../../infra/local/child-process.js";
import { type LocalCluster, startLocalCluster } from "../../infra/local/cluster.js";
import {
  type ServiceBusEmulatorProcess,
  startServiceBusEmulatorProcess,
} from "../../infra/local/service-bus-emulator/process.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { MemoryQueue } from "../../infra/memory/memory-queue.js";
import { startEmbeddedGateway } from "../../roles/gateway.js";
import { serveMetrics, WorkerMetrics } from "../../workers/metrics.js";
import { startWorker, type Worker } from "../../workers/worker.js";
import { codec } from "../helpers/cluster.js";
import { expectIdenticalResult, finished, fraction, getJob, submitJob, waitForJob } from "../helpers/http-jobs.js";
import { compare, describe as describeDiff, loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { brokerView, storageView } from "../helpers/outages.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `look` until `until` holds, at most `timeoutMs`; resolves with the last look. */
async function pollUntil<T>(look: () => Promise<T>, until: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await look();
      if (until(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms; last seen ${JSON.stringify(last)} ${String(lastError ?? "")}`);
}

// ─── in process ───────────────────────────────────────────────────────────────────────────

/** A logger that keeps every line. */
function recordingLogger(): { log: Logger; lines: { level: string; fields: LogFields }[] } {
  const lines: { level: string; fields: LogFields }[] = [];
  const at =
    (level: string) =>
    (fields: LogFields): void => {
      lines.push({ level, fields });
    };
  const log: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => log };
  return { log, lines };
}

describe("worker loops through outages, in process", () => {
  const settings = { lockDurationMs: 1_000, maxDeliveryCount: 10 };
  const outage = { queue: false, blobs: false };
  let queue: MemoryQueue;
  const blobs = new MemoryBlobStore();
  let coordinator: Coordinator;
  let worker: Worker;
  let ended: unknown = "running";
  const { log, lines } = recordingLogger();
  let tilesRun = 0;
  let trigger: { at: number; dependency: "queue" | "blobs" } | undefined;
  let endpoint: { port: number; close(): Promise<void> } | undefined;
  /** The worker's GET /healthz, as an orchestrator would ask it (on its metrics port). */
  const healthz = async (): Promise<{ status: number; body: HealthReport }> => {
    const response = await fetch(`http://127.0.0.1:${endpoint?.port}/healthz`);
    return { status: response.status, body: (await response.json()) as HealthReport };
  };

  beforeAll(async () => {
    queue = new MemoryQueue({ [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings });
    coordinator = new Coordinator({ queue, blobs, codec, kernels: await kernels(), pollMs: 50 });
    worker = await startWorker({
      queue: brokerView(queue, () => outage.queue),
      blobs: storageView(blobs, () => outage.blobs),
      codec,
      threads: 2,
      loops: 3,
      id: "w",
      heartbeatMs: 100,
      acceptTimeoutMs: 100,
      log,
      wrapPool: (pool) => ({
        run: (task, signal) => {
          tilesRun++;
          // The outage starts at a set tile, so that it hits the job mid-band, not an idle worker.
          if (trigger && tilesRun === trigger.at) outage[trigger.dependency] = true;
          return pool.run(task, signal);
        },
      }),
    });
    endpoint = await serveMetrics(new WorkerMetrics("w", worker.pool, () => worker.busy).registry, 0, "127.0.0.1", () =>
      worker.health(),
    );
    worker.done.then(
      () => {
        ended = "ended";
      },
      (err: unknown) => {
        ended = err;
      },
    );
  });
  afterAll(async () => {
    outage.queue = false;
    outage.blobs = false;
    await endpoint?.close();
    await worker?.stop(async () => {
      await coordinator.close();
      await queue.close();
    });
  });

  const events = (dependency: string) =>
    lines.filter((l) => l.fields.dependency === dependency).map((l) => [l.level, l.fields.event]);

  for (const dependency of ["blobs", "queue"] as const) {
    it(`finishes a job through a ${dependency} outage mid-job, logging it once and answering 503 at /healthz meanwhile`, async () => {
      const image = await loadPhoto("chelsea.png", 256);
      const steps = parsePipeline("median(radius=2) | gaussian-blur(sigma=2) | sobel");
      // Healthy before the outage: checked before it is armed, since 20 small tiles can pass
      // before an answer to a request made after the submission arrives.
      expect((await healthz()).status).toBe(200);
      trigger = { at: tilesRun + 20, dependency };
      const job = await coordinator.submit(image, steps, { format: "png", tileSize: 16 });
      const down = await pollUntil(healthz, (r) => r.status === 503, 10_000, `the worker reporting ${dependency} down`);
      expect(down.body.status).toBe("down");
      expect(down.body.checks[dependency]).toMatchObject({ ok: false, reason: expect.stringContaining("test outage") });
      // Long enough for every loop to fail and back off several times.
      await sleep(1_500);
      expect(ended).toBe("running");
      // The outage hit the job, not an idle worker: it could not have finished meanwhile.
      const during = coordinator.get(job.id);
      expect(during?.status).toBe("running");
      const tilesDuring = tilesRun;
      outage[dependency] = false;
      const back = await pollUntil(healthz, (r) => r.status === 200, 10_000, `the worker reporting ${dependency} back`);
      expect(back.body.checks[dependency].ok).toBe(true);
      const done = await coordinator.wait(job.id);
      expect(done.status, done.error?.message).toBe("succeeded");
      expect(tilesRun).toBeGreaterThan(tilesDuring);
      const result = (await codec.decode(await blobs.get(done.result ?? ""))).data;
      expect(describeDiff(compare(result, (await kernels()).run(image, steps).data, image.width))).toBe("max diff 0");
      expect(ended).toBe("running");
      // Once down, once back: however many times the loops retried in between.
      expect(events(dependency)).toEqual([
        ["warn", "dependency-down"],
        ["info", "dependency-up"],
      ]);
    }, 60_000);
  }
});

describe("gateway health endpoints, in process", () => {
  it("answers /healthz and /readyz with the checks, and /readyz 503 once the gateway is stopping", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-health-"));
    try {
      const gw = await startEmbeddedGateway({ dataDir, threads: 1 });
      const app = createApp(gw);
      const healthy = await app.request("/healthz");
      expect(healthy.status).toBe(200);
      expect(await healthy.json()).toMatchObject({ status: "ok", checks: { queue: { ok: true }, blobs: { ok: true } } });
      expect((await app.request("/readyz")).status).toBe(200);
      expect(await (await app.request("/metrics")).text()).toContain('tessera_dependency_up{dependency="blobs"} 1');
      const stopped = gw.stop();
      // Asked while it drains: a load balancer must send nothing new.
      const draining = await app.request("/readyz");
      expect(draining.status).toBe(503);
      expect(await draining.json()).toMatchObject({ ready: false, stopping: true });
      await stopped;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// ─── real processes ────────────────────────────────────────────────────────────────────────

const LOCK_MS = 10_000;
const MAX_DELIVERIES = 10;
const PIPELINE = "median(radius=2) | gaussian-blur(sigma=2) | sobel";

/** Every line the cluster's processes printed. */
const lines: string[] = [];

/** The JSON log lines of one process (`gateway`, `worker-0`, ...). */
function logOf(name: string): Record<string, unknown>[] {
  const prefix = `[${name}] {`;
  return lines
    .filter((l) => l.startsWith(prefix))
    .flatMap((l) => {
      try {
        return [JSON.parse(l.slice(name.length + 3)) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

async function health(url: string): Promise<{ status: number; body: HealthReport }> {
  const response = await fetch(`${url}/healthz`);
  return { status: response.status, body: (await response.json()) as HealthReport };
}

/**
 * Azurite's command line, read from /proc, so it can be started again exactly so: the same
 * port and the same data folder. infra/local/azurite.ts has no restart (its port and folder
 * are private to it), and this test must not edit it.
 */
function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
}

async function startAzuriteAgain(argv: string[]): Promise<ChildProcess> {
  const [node, ...args] = argv;
  const child = spawn(node ?? process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  await waitForReady(child, {
    name: "Azurite (restarted)",
    timeoutMs: 30_000,
    ready: (stdout) => (stdout.includes("successfully listens") ? true : undefined),
  });
  return child;
}

/** The first time the job's progress moves past `from` (a band processed), or undefined if it ends first. */
async function firstBandAfter(url: string, id: string, from: number, timeoutMs: number): Promise<JobView> {
  return waitForJob(
    () => url,
    id,
    (j) => j.progress.done > from,
    timeoutMs,
  );
}

/**
 * Watches for the job's progress to move past `from` (a band processed): `at` is when that
 * was first seen, undefined until then. Polls until it is seen, the job ends, stop() is
 * called or 90 s pass; only measures, never fails.
 */
function watchNextBand(url: string, id: string, from: number): { readonly at: number | undefined; stop(): Promise<void> } {
  let at: number | undefined;
  let stopped = false;
  const polling = (async () => {
    const deadline = Date.now() + 90_000;
    while (!stopped && Date.now() < deadline) {
      const job = await getJob(url, id).catch(() => undefined);
      if (job && job.progress.done > from) {
        at = Date.now();
        return;
      }
      if (job && finished(job)) return;
      await sleep(50);
    }
  })();
  return {
    get at() {
      return at;
    },
    async stop() {
      stopped = true;
      await polling;
    },
  };
}

describe("a cluster of real processes through outages", () => {
  let cluster: LocalCluster;
  let pids: number[] = [];
  let azurite: ChildProcess | undefined;
  let serviceBus: ServiceBusEmulatorProcess | undefined;
  const timings: string[] = [];

  const allAlive = () => pids.map((pid) => [pid, pidAlive(pid)]);
  const expectAllAlive = () => expect(allAlive(), "the gateway and every worker process").toEqual(pids.map((pid) => [pid, true]));

  /** Both workers have logged `event` ("dependency-down" or "-up") for `dependency`. */
  const workersLogged = (event: string, dependency: "blobs" | "queue", what: string) =>
    pollUntil(
      async () => ["worker-0", "worker-1"].map((w) => logOf(w).some((e) => e.event === event && e.dependency === dependency)),
      (seen) => seen.every(Boolean),
      30_000,
      `both workers logging ${what}`,
    );

  /**
   * What an outage of `dependency` looks like from outside: /healthz and /readyz 503 naming
   * it, /v1/cluster 503 DEPENDENCY_UNAVAILABLE, /metrics still 200, both workers saying so,
   * and every process alive.
   */
  async function expectOutageSeen(dependency: "blobs" | "queue", named: RegExp): Promise<void> {
    const down = await pollUntil(
      () => health(cluster.url),
      (h) => h.status === 503,
      15_000,
      "/healthz 503",
    );
    expect(down.body).toMatchObject({ status: "down", checks: { [dependency]: { ok: false } } });
    expect(down.body.checks[dependency]?.reason?.length).toBeGreaterThan(0);
    const cluster503 = await fetch(`${cluster.url}/v1/cluster`);
    expect(cluster503.status).toBe(503);
    expect(((await cluster503.json()) as ApiError).error).toMatchObject({
      code: "DEPENDENCY_UNAVAILABLE",
      message: expect.stringMatching(named),
    });
    const metrics = await fetch(`${cluster.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(`tessera_dependency_up{dependency="${dependency}"} 0`);
    expect((await fetch(`${cluster.url}/readyz`)).status).toBe(503);
    await workersLogged("dependency-down", dependency, `${dependency} down`);
    expectAllAlive();
  }

  /** /healthz and /readyz back to 200; resolves with how long that took from `backAt`. */
  async function healthyAgain(backAt: number): Promise<number> {
    await pollUntil(
      () => health(cluster.url),
      (h) => h.status === 200,
      30_000,
      "/healthz 200 again",
    );
    const ms = Date.now() - backAt;
    expect((await fetch(`${cluster.url}/readyz`)).status).toBe(200);
    expectAllAlive();
    return ms;
  }

  /** A job submitted now runs byte-exact; resolves with how long its first band took. */
  async function newJobRuns(): Promise<number> {
    const fresh = await submitJob(cluster.url, "coffee.png", 256, PIPELINE, 32);
    const submittedAt = Date.now();
    const firstBand = await firstBandAfter(cluster.url, fresh.id, 0, 60_000);
    const firstBandMs = Date.now() - submittedAt;
    expect(firstBand.progress.done).toBeGreaterThan(0);
    await expectIdenticalResult(cluster.url, fresh, await waitForJob(() => cluster.url, fresh.id, finished));
    return firstBandMs;
  }

  beforeAll(async () => {
    cluster = await startLocalCluster({
      workers: 2,
      threads: 1,
      lockMs: LOCK_MS,
      maxDeliveries: MAX_DELIVERIES,
      heartbeatMs: 500,
      onLine: (line) => {
        lines.push(line);
        // TESSERA_TEST_VERBOSE=1 shows what every process prints.
        if (process.env.TESSERA_TEST_VERBOSE) process.stderr.write(`${line}\n`);
      },
    });
    pids = [cluster.gateway.pid, ...cluster.workers.map((w) => w.pid)];
  }, 90_000);

  afterAll(async () => {
    // The cluster first (its workers drain into the services), then the services started here.
    await cluster?.stop();
    if (azurite) await stopChild(azurite);
    await serviceBus?.stop();
    for (const pid of pids) expect(pidAlive(pid), `pid ${pid} outlived the cluster`).toBe(false);
    if (timings.length > 0) console.log(`outage recovery: ${timings.join("; ")}`);
  }, 60_000);

  it("lives through SIGKILL of blob storage mid-job: 503 at /healthz naming it, then back, and new jobs run", async () => {
    const job = await submitJob(cluster.url, "rocket.jpg", 384, PIPELINE, 16);
    await waitForJob(
      () => cluster.url,
      job.id,
      (j) => fraction(j) >= 0.1,
    );
    expect((await health(cluster.url)).status).toBe(200);
    const azuritePid = cluster.servicePids[1] ?? 0;
    const argv = commandLine(azuritePid);
    process.kill(azuritePid, "SIGKILL");
    const killedAt = Date.now();

    await expectOutageSeen("blobs", /blob storage/);

    const doneAtOutage = (await getJob(cluster.url, job.id)).progress.done;
    azurite = await startAzuriteAgain(argv);
    const backAt = Date.now();
    const hitFirstBand = watchNextBand(cluster.url, job.id, doneAtOutage);
    // Azurite saves its metadata every 5 s (LokiJS autosave), so a SIGKILL loses what changed
    // since: blobs, and the container itself when it was created that recently. Azure Storage
    // loses nothing in an outage, so the container is put back as it was; lost blobs stay lost
    // (the job hit may fail for them).
    const containerLost = (
      await BlobServiceClient.fromConnectionString(cluster.storageConnection)
        .getContainerClient(DEFAULT_CONTAINER)
        .createIfNotExists()
    ).succeeded;
    const healthyMs = await healthyAgain(backAt);

    // The job hit by the outage ends, one way or the other, with a reason if it failed: the
    // coordinator waits the outage out and carries on from what is stored, which is all of it
    // on Azure Storage, but not on an Azurite that lost its last seconds of blobs.
    const hit = await waitForJob(() => cluster.url, job.id, finished, 90_000);
    expect(["succeeded", "failed"]).toContain(hit.status);
    if (hit.status === "failed") expect(hit.error?.message.length).toBeGreaterThan(0);
    else await expectIdenticalResult(cluster.url, job, hit);
    await hitFirstBand.stop();
    const hitBandAt = hitFirstBand.at;

    const freshBandMs = await newJobRuns();
    await workersLogged("dependency-up", "blobs", "blob storage back");
    expectAllAlive();
    timings.push(
      `storage down ${backAt - killedAt} ms; back → /healthz 200 in ${healthyMs} ms, → next band of the job hit ${
        hitBandAt === undefined ? "never (it ended first)" : `in ${hitBandAt - backAt} ms`
      }; a new job's first band ${freshBandMs} ms after its submission (container lost by Azurite: ${containerLost}; job hit: ${hit.status}${hit.error ? `: ${hit.error.message}` : ""})`,
    );
  }, 240_000);

  it("lives through SIGKILL of the broker: 503 at /healthz naming the queue, then back, and new jobs run", async () => {
    const inFlight = await submitJob(cluster.url, "camera.png", 384, PIPELINE, 16);
    await waitForJob(
      () => cluster.url,
      inFlight.id,
      (j) => fraction(j) >= 0.1,
    );
    const port = Number(/Endpoint=sb:\/\/[^:/;]+:(\d+)/.exec(cluster.serviceBusConnection)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect((await health(cluster.url)).status).toBe(200);
    process.kill(cluster.servicePids[0] ?? 0, "SIGKILL");
    const killedAt = Date.now();

    await expectOutageSeen("queue", /queue/);

    const doneAtOutage = (await getJob(cluster.url, inFlight.id)).progress.done;
    serviceBus = await startServiceBusEmulatorProcess({ port, lockMs: LOCK_MS, maxDeliveryCount: MAX_DELIVERIES });
    const backAt = Date.now();
    const inFlightBand = watchNextBand(cluster.url, inFlight.id, doneAtOutage);
    const healthyMs = await healthyAgain(backAt);

    const freshBandMs = await newJobRuns();
    await workersLogged("dependency-up", "queue", "the queue back");
    expectAllAlive();
    // The emulator keeps messages in memory: the in-flight job's were lost with it. The
    // coordinator sends them again once the stage is quiet for a lock's length (STALLED); how
    // far it got by now is reported, not asserted.
    const hit = await getJob(cluster.url, inFlight.id);
    await inFlightBand.stop();
    const hitBandAt = inFlightBand.at;
    timings.push(
      `broker down ${backAt - killedAt} ms; back → /healthz 200 in ${healthyMs} ms, → next band of the job in flight ${
        hitBandAt === undefined ? "none seen" : `in ${hitBandAt - backAt} ms`
      }; a new job's first band ${freshBandMs} ms after its submission (job in flight: ${hit.status}, ${hit.progress.done}/${hit.progress.total})`,
    );
  }, 240_000);
});
