import { describe, expect, it } from "vitest";
import { ClusterTracker } from "../../edge/cluster-view.js";
import { Metrics } from "../../edge/metrics.js";
import { loopOf, RATE_WINDOW_MS, RECENT_WORK_MS, STARTING_MS, TileActivity, workerState } from "../../edge/worker-activity.js";
import { Coordinator } from "../../engine/coordinator.js";
import type { WorkerHeartbeat } from "../../engine/heartbeats.js";
import type { JobUpdate } from "../../engine/job-listeners.js";
import { EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { MemoryQueue } from "../../infra/memory/memory-queue.js";
import { codec } from "../helpers/cluster.js";
import { kernels } from "../helpers/kernels.js";
import { ManualClock } from "../helpers/manual-clock.js";

it("shares one look at the cluster between callers within a second, then looks again", async () => {
  const settings = { lockDurationMs: 10_000, maxDeliveryCount: 3 };
  const queue = new MemoryQueue({ [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings });
  const coordinator = new Coordinator({ queue, blobs: new MemoryBlobStore(), codec, kernels: await kernels() });
  const tracker = new ClusterTracker(coordinator, queue, new Metrics());
  let looks = 0;
  const beats = (): WorkerHeartbeat[] => {
    looks++;
    const now = Date.now();
    return [
      { id: "w", pid: 1, host: "h", threads: 2, tilesDone: looks, busy: false, startedAt: now, lastSeen: now, intervalMs: 2_000 },
    ];
  };
  const [a, b] = await Promise.all([tracker.view(beats), tracker.view(beats)]);
  expect(looks).toBe(1);
  expect(a).toBe(b);
  await queue.send(TILES_QUEUE, [{ sessionId: "s", body: 1 }]);
  expect((await tracker.view(beats)).queues.tiles).toEqual({ active: 0, deadLetter: 0 }); // still the cached look
  await new Promise((r) => setTimeout(r, 1_050));
  const fresh = await tracker.view(beats);
  expect(looks).toBe(2);
  expect(fresh.queues.tiles).toEqual({ active: 1, deadLetter: 0 });
  expect(fresh.workers[0]).toMatchObject({ id: "w", alive: true, tilesDone: 2 });
  await coordinator.close();
  await queue.close();
});

/** A coordinator that only tells of finished bands: enough for the tracker. */
function fakeCoordinator() {
  let listener: ((update: JobUpdate) => void) | undefined;
  const coordinator = {
    subscribeAll(l: (update: JobUpdate) => void) {
      listener = l;
      return () => undefined;
    },
    deadLetters: async () => ({ recent: [], totals: new Map<string, number>() }),
  } as unknown as Coordinator;
  const band = (worker: string, tiles: number) =>
    listener?.({
      job: {} as JobUpdate["job"],
      event: { kind: "band-done", worker, tiles: Array.from({ length: tiles }, (_, i) => i) } as unknown as JobUpdate["event"],
    });
  return { coordinator, band };
}

describe("throughput and worker states", () => {
  it("reports tiles per second over the last 10 s, not the last minute", async () => {
    const clock = new ManualClock();
    const activity = new TileActivity(clock);
    // A minute of a slow job (1 tile every 2 s), then 10 s at 3 tiles/s: the panel must say 3.
    for (let s = 0; s < 50; s += 2) {
      activity.band("vm/1/0", 1);
      await clock.advance(2_000);
    }
    for (let s = 0; s < 10; s++) {
      await clock.advance(1_000);
      activity.band("vm/1/0", 1);
      activity.band("vm/1/1", 2);
    }
    expect(activity.rate()).toBe(3);
    await clock.advance(5_000);
    expect(activity.rate()).toBe(1.5); // half the window is now quiet
    await clock.advance(RATE_WINDOW_MS);
    expect(activity.rate()).toBe(0);
  });

  it("divides by the time since the start while that is shorter than the window", async () => {
    const clock = new ManualClock();
    const activity = new TileActivity(clock);
    await clock.advance(2_000);
    activity.band("w/0", 6);
    expect(activity.rate()).toBe(3);
  });

  it("decides each worker's state from the heartbeat, its recent bands and the queue", () => {
    const now = 1_000_000;
    const base = { alive: true, busy: false, startedAt: now - 60_000, tilesDone: 40, lastWork: undefined, queued: 0, now };
    expect(workerState({ ...base, alive: false, busy: true })).toBe("gone");
    expect(workerState({ ...base, busy: true })).toBe("busy");
    expect(workerState({ ...base, lastWork: now - RECENT_WORK_MS })).toBe("busy"); // heartbeat stale, band just done
    expect(workerState(base)).toBe("idle");
    expect(workerState({ ...base, lastWork: now - RECENT_WORK_MS - 1 })).toBe("idle");
    // Work waits in the queue: never "idle".
    expect(workerState({ ...base, queued: 72 })).toBe("waiting");
    expect(workerState({ ...base, queued: 72, tilesDone: 0, startedAt: now - 1_000 })).toBe("starting");
    expect(workerState({ ...base, queued: 72, tilesDone: 0, startedAt: now - STARTING_MS - 1 })).toBe("waiting");
    expect(workerState({ ...base, queued: 72, lastWork: now - 1_000 })).toBe("busy");
  });

  it("matches worker loops to their process by id prefix", () => {
    expect(loopOf("vm/8008/3", "vm/8008")).toBe(true);
    expect(loopOf("worker-0/0", "worker-0")).toBe(true);
    expect(loopOf("worker-10/0", "worker-1")).toBe(false);
    expect(loopOf("vm/80080/0", "vm/8008")).toBe(false);
  });

  it("serves the 10 s rate and states that agree with the queue on GET /v1/cluster", async () => {
    const clock = new ManualClock();
    const settings = { lockDurationMs: 10_000, maxDeliveryCount: 3 };
    const queue = new MemoryQueue({ [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings }, { clock });
    const { coordinator, band } = fakeCoordinator();
    const tracker = new ClusterTracker(coordinator, queue, new Metrics(), undefined, clock);
    const beat = (id: string, tilesDone: number): WorkerHeartbeat => ({
      id,
      pid: 1,
      host: "h",
      threads: 2,
      tilesDone,
      busy: false,
      startedAt: clock.now() - 60_000,
      lastSeen: clock.now(),
      intervalMs: 2_000,
    });
    await clock.advance(30_000);
    await queue.send(
      TILES_QUEUE,
      Array.from({ length: 72 }, (_, i) => ({ sessionId: `s${i}`, body: i })),
    );
    for (let s = 0; s < 10; s++) {
      await clock.advance(1_000);
      band("worker-0/1", 3);
    }
    const view = await tracker.view(() => [beat("worker-0", 30), beat("worker-1", 5)]);
    expect(view.throughput).toBe(3);
    expect(view.queues.tiles?.active).toBe(72);
    expect(view.workers.map((w) => [w.id, w.state])).toEqual([
      ["worker-0", "busy"],
      ["worker-1", "waiting"],
    ]);
    await queue.close();
  });
});
