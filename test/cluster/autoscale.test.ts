// The local autoscaler on real processes: a burst of jobs grows the workers to MAX, idleness
// shrinks them back to MIN by SIGTERM (each drains: finishes its bands, releases its sessions,
// exits 0), and every job comes out byte-identical.

import { afterAll, expect, it } from "vitest";
import { isRunning } from "../../infra/local/child-process.js";
import { type LocalCluster, startLocalCluster } from "../../infra/local/cluster.js";
import type { ScaleEvent } from "../../infra/local/local-autoscaler.js";
import { expectIdenticalResult, finished, submitJob, waitForJob } from "../helpers/http-jobs.js";

let cluster: LocalCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
}, 60_000);

it("grows to MAX under a burst, shrinks to MIN when idle, and loses no tile", async () => {
  const events: ScaleEvent[] = [];
  cluster = await startLocalCluster({
    workers: { min: 1, max: 3 },
    autoscale: { growAbove: 8, sustainMs: 500, idleMs: 2_000, cooldownMs: 800 },
    lockMs: 10_000,
    heartbeatMs: 500,
    threads: 1,
    onScale: (e) => events.push(e),
  });
  const c = cluster;
  const live = () => c.workers.filter((w) => isRunning(w.child)).length;
  expect(live()).toBe(1);

  // A burst that outlasts a worker's start-up by far: heavy bands of 16 rows (40 per job), so
  // the backlog stays above the threshold while the second and third workers start.
  const photos = ["coffee.png", "rocket.jpg", "camera.png", "coffee.png", "retina.jpg", "chelsea.png"] as const;
  const pipeline = "median(radius=3) | gaussian-blur(sigma=3) | sobel";
  const jobs = await Promise.all(photos.map((p) => submitJob(c.url, p, 640, pipeline, 16)));
  for (const job of jobs) await expectIdenticalResult(c.url, job, await waitForJob(() => c.url, job.id, finished));
  expect(Math.max(...events.filter((e) => e.decision === "grow").map((e) => e.workers))).toBe(3);
  expect(c.workers.length).toBeGreaterThanOrEqual(3);

  // Idle now: one worker less per idle period, down to one.
  await expect.poll(live, { timeout: 30_000, interval: 250 }).toBe(1);
  expect(events.filter((e) => e.decision === "shrink").length).toBeGreaterThanOrEqual(2);
  // The ones scaled in drained and exited cleanly.
  const stopped = c.workers.filter((w) => !isRunning(w.child));
  await Promise.all(stopped.map((w) => w.exited));
  expect(stopped.map((w) => w.child.exitCode)).toEqual(stopped.map(() => 0));
}, 240_000);
