// Tessera as a distributed system: the Service Bus emulator, Azurite, the gateway and the
// workers each a real OS process on loopback, coordinated only by the queue and the blobs.
// Workers and the gateway are killed with SIGKILL mid-job; every job must still come out
// byte-identical to run() on the whole image.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bandName, sourceLayer } from "../../engine/blob-names.js";
import { AzureBlobStore } from "../../infra/azure/blob-store.js";
import { DEFAULT_CONTAINER } from "../../infra/azure/connect.js";
import { pidAlive } from "../../infra/local/child-process.js";
import { type LocalCluster, startLocalCluster } from "../../infra/local/cluster.js";
import {
  expectIdenticalResult,
  finished,
  fraction,
  getCluster,
  getJob,
  submitJob,
  waitForJobProgress,
  workersOf,
} from "../helpers/http-jobs.js";

const HEARTBEAT_MS = 500;
const LOCK_MS = 10_000;
// One stage of local ops, so the tile map covers the whole job.
const PIPELINE = "gaussian-blur(sigma=2) | sobel";
// No fixed deadlines on the jobs: waitForJobProgress waits as long as tiles keep finishing and
// fails after a minute without any, so a loaded machine only makes these tests slower. A test's
// own timeout is a last resort, far above the minute or two it takes on a quiet machine.
const TEST_MS = 600_000;
const START_MS = 180_000;
/** For states the next heartbeat brings: a loaded machine may delay a few of them. */
const SETTLE_MS = 30_000;

/** Every line the cluster's processes printed, for the log assertions. */
const lines: string[] = [];

async function start(workers: number, maxDeliveries = 10): Promise<LocalCluster> {
  return startLocalCluster({
    workers,
    onLine: (line) => {
      lines.push(line);
      // TESSERA_TEST_VERBOSE=1 shows what every process prints.
      if (process.env.TESSERA_TEST_VERBOSE) process.stderr.write(`${line}\n`);
    },
    lockMs: LOCK_MS,
    maxDeliveries,
    heartbeatMs: HEARTBEAT_MS,
    threads: 1,
  });
}

describe("a cluster of real processes: 3 workers", () => {
  let cluster: LocalCluster;
  let pids: number[] = [];
  beforeAll(async () => {
    cluster = await start(3);
    pids = [cluster.gateway.pid, ...cluster.workers.map((w) => w.pid)];
  }, START_MS);
  afterAll(async () => {
    await cluster?.stop();
    // (0 when the cluster never started: not a process of it.)
    for (const pid of [...pids, cluster?.gateway.pid ?? 0].filter((p) => p > 0)) {
      expect(pidAlive(pid), `pid ${pid} outlived the cluster`).toBe(false);
    }
  }, 60_000);

  it(
    "spreads a job over every worker process; the result is byte-identical to run()",
    async () => {
      const job = await submitJob(cluster.url, "coffee.png", 512, PIPELINE, 32);
      const done = await waitForJobProgress(() => cluster.url, job.id, finished);
      await expectIdenticalResult(cluster.url, job, done);
      expect([...workersOf(done)].sort()).toEqual(["worker-0", "worker-1", "worker-2"]);
      // Heartbeats are rewritten every HEARTBEAT_MS; a look may catch one mid-write.
      await expect
        .poll(async () => (await getCluster(cluster.url)).workers.map((w) => [w.id, w.alive]), { timeout: SETTLE_MS })
        .toEqual([
          ["worker-0", true],
          ["worker-1", true],
          ["worker-2", true],
        ]);
      const view = await getCluster(cluster.url);
      expect(view.workers.every((w) => w.pid > 0 && w.threads === 1 && typeof w.host === "string")).toBe(true);
      // The counts arrive with the next heartbeat after the workers' last bands.
      await expect
        .poll(async () => (await getCluster(cluster.url)).workers.reduce((n, w) => n + w.tilesDone, 0), {
          timeout: SETTLE_MS,
        })
        .toBeGreaterThanOrEqual(done.progress.total);
      expect(view.queues.tiles).toEqual({ active: 0, deadLetter: 0 });
    },
    TEST_MS,
  );

  it(
    "survives SIGKILL of a worker mid-job: its tiles are redone elsewhere and it shows as dead",
    async () => {
      const victim = cluster.workers[1];
      if (!victim) throw new Error("no worker 1");
      const job = await submitJob(cluster.url, "rocket.jpg", 768, PIPELINE, 32);
      const midway = await waitForJobProgress(
        () => cluster.url,
        job.id,
        (j) => fraction(j) >= 0.1 && workersOf(j).has("worker-1"),
      );
      expect(fraction(midway)).toBeLessThanOrEqual(0.9);
      const killedAt = Date.now();
      victim.child.kill("SIGKILL");
      await victim.exited;
      const done = await waitForJobProgress(() => cluster.url, job.id, finished);
      await expectIdenticalResult(cluster.url, job, done);
      console.log(
        `worker SIGKILL at ${Math.round(fraction(midway) * 100)} %: job finished ${Date.now() - killedAt} ms later (lock ${LOCK_MS} ms)`,
      );
      // Three missed heartbeats and it is reported dead.
      await expect
        .poll(async () => (await getCluster(cluster.url)).workers.find((w) => w.id === "worker-1")?.alive, {
          timeout: HEARTBEAT_MS * 10,
          interval: HEARTBEAT_MS,
        })
        .toBe(false);
    },
    TEST_MS,
  );

  it(
    "survives SIGKILL of the gateway mid-job: started again, it reloads the job and finishes it",
    async () => {
      const job = await submitJob(cluster.url, "camera.png", 768, PIPELINE, 32);
      await waitForJobProgress(
        () => cluster.url,
        job.id,
        (j) => fraction(j) >= 0.1,
      );
      const gateway = cluster.gateway;
      gateway.child.kill("SIGKILL");
      await gateway.exited;
      await cluster.restartGateway();
      expect(cluster.gateway.started.resumed).toBeGreaterThanOrEqual(0);
      const done = await waitForJobProgress(() => cluster.url, job.id, finished);
      await expectIdenticalResult(cluster.url, job, done);
    },
    TEST_MS,
  );
});

describe("a cluster of real processes: poison bands and scaling out", () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await start(0, 3);
  }, START_MS);
  afterAll(async () => {
    const pids = [cluster?.gateway.pid ?? 0, ...(cluster?.workers.map((w) => w.pid) ?? [])];
    await cluster?.stop();
    for (const pid of pids.filter((p) => p > 0)) expect(pidAlive(pid), `pid ${pid} outlived the cluster`).toBe(false);
  }, 60_000);

  it(
    "dead-letters a poison band after maxDeliveryCount and fails only its job, with the reason",
    async () => {
      // No workers yet: corrupt one source band of the poison job before anyone can run it.
      const poison = await submitJob(cluster.url, "coffee.png", 256, PIPELINE, 64);
      const healthy = await submitJob(cluster.url, "camera.png", 256, PIPELINE, 64);
      const blobs = AzureBlobStore.fromConnectionString(cluster.storageConnection, DEFAULT_CONTAINER);
      await blobs.put(bandName(sourceLayer(poison.id), 2), new Uint8Array([1, 2, 3]));
      await cluster.addWorker();
      const failed = await waitForJobProgress(() => cluster.url, poison.id, finished);
      expect(failed.status).toBe("failed");
      expect(failed.error?.message).toMatch(/band 2 .*(dead-lettered|failed)/);
      expect(failed.error?.message).toMatch(/bytes, expected/);
      const ok = await waitForJobProgress(() => cluster.url, healthy.id, finished);
      await expectIdenticalResult(cluster.url, healthy, ok);
      // The worker's log line says which job and band, as JSON.
      const logged = lines
        .filter((l) => l.startsWith("[worker-0] {"))
        .map((l) => JSON.parse(l.slice("[worker-0] ".length)) as Record<string, unknown>)
        .find((entry) => entry.msg === "band failed on its last delivery; dead-lettered");
      expect(logged).toMatchObject({ jobId: poison.id, band: 2, worker: "worker-0", level: 50 });
      // The cluster view keeps the dead letter, with its reason.
      await expect
        .poll(async () => (await getCluster(cluster.url)).deadLetters.find((d) => d.jobId === poison.id), { timeout: SETTLE_MS })
        .toMatchObject({ band: 2, reason: "BandFailed", description: expect.stringMatching(/bytes, expected/) });
      const metrics = await (await fetch(`${cluster.url}/metrics`)).text();
      expect(metrics).toContain('tessera_tiles_dead_lettered_total{reason="BandFailed"} 1');
    },
    TEST_MS,
  );

  it(
    "scales out: a worker started mid-job takes sessions and finishes bands",
    async () => {
      // Heavy and cut fine (43 bands of 16 rows): a worker process takes longer to start than a
      // band takes to run, so the job must outlast that start by far for the new one to join in.
      const job = await submitJob(cluster.url, "rocket.jpg", 1024, "median(radius=5) | gaussian-blur(sigma=6) | sobel", 16);
      await waitForJobProgress(
        () => cluster.url,
        job.id,
        (j) => fraction(j) >= 0.05,
      );
      const added = await cluster.addWorker();
      const id = String(added.started.id);
      const done = await waitForJobProgress(() => cluster.url, job.id, finished);
      await expectIdenticalResult(cluster.url, job, done);
      expect(workersOf(done)).toContain(id);
      // The cluster view comes from heartbeats, so it shows the new worker's tiles at its next
      // beat, which may follow the job's end (a snapshot read at once failed once under load).
      await expect
        .poll(async () => (await getCluster(cluster.url)).workers.find((w) => w.id === id)?.tilesDone ?? 0, {
          timeout: SETTLE_MS,
        })
        .toBeGreaterThan(0);
      expect((await getJob(cluster.url, job.id)).status).toBe("succeeded");
    },
    TEST_MS,
  );
});
