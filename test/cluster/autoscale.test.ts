// The local autoscaler on real processes: a burst of jobs grows the workers to MAX, idleness
// shrinks them back to MIN by SIGTERM (each drains: finishes its bands, releases its sessions,
// exits 0), and every job comes out byte-identical.

import { afterAll, expect, it } from "vitest";
import { isRunning } from "../../infra/local/child-process.js";
import { type LocalCluster, startLocalCluster } from "../../infra/local/cluster.js";
import type { ScaleEvent } from "../../infra/local/local-autoscaler.js";
import {
  expectIdenticalResult,
  finished,
  getCluster,
  submitJob,
  waitForJobsProgress,
  waitWhileProgressing,
} from "../helpers/http-jobs.js";

// No fixed deadlines: each wait lasts as long as something moves (tiles done, workers started
// or stopped) and fails after a minute of standing still, so a loaded machine is only slower.
// The test's own timeout is a last resort far above a quiet machine's minute or two.

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
  const views = await waitForJobsProgress(
    () => c.url,
    jobs.map((j) => j.id),
    finished,
    { intervalMs: 250, also: () => [c.workers.length, live()] },
  );
  for (const [i, job] of jobs.entries()) {
    const view = views[i];
    if (!view) throw new Error(`no view of job ${job.id}`);
    await expectIdenticalResult(c.url, job, view);
  }
  expect(Math.max(...events.filter((e) => e.decision === "grow").map((e) => e.workers))).toBe(3);
  expect(c.workers.length).toBeGreaterThanOrEqual(3);

  // Idle now: one worker less per idle period, down to one.
  // Tiles still in the queue (redelivered ones finishing) put the idle period off: their
  // going counts as progress too, and a failure shows the queue as the gateway sees it. The
  // autoscaler's look is a Service Bus call with a 60 s operation timeout, retried, so one
  // stalled look leaves it blind that long (at load 20 it once made no decision for 60 s, most
  // likely so): this wait allows three minutes without a change.
  await waitWhileProgressing(
    "shrinking to MIN",
    async () => ({
      live: live(),
      shrinks: events.filter((e) => e.decision === "shrink").length,
      tiles: (await getCluster(c.url)).queues.tiles,
    }),
    (seen) => seen.live === 1,
    (seen) => JSON.stringify(seen),
    { intervalMs: 250, stallMs: 180_000 },
  );
  expect(live()).toBe(1);
  expect(events.filter((e) => e.decision === "shrink").length).toBeGreaterThanOrEqual(2);
  // The ones scaled in drained and exited cleanly.
  const stopped = c.workers.filter((w) => !isRunning(w.child));
  await Promise.all(stopped.map((w) => w.exited));
  expect(stopped.map((w) => w.child.exitCode)).toEqual(stopped.map(() => 0));
}, 900_000);
