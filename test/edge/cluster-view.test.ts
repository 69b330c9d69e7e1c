import { expect, it } from "vitest";
import { ClusterTracker } from "../../edge/cluster-view.js";
import { Metrics } from "../../edge/metrics.js";
import { Coordinator } from "../../engine/coordinator.js";
import type { WorkerHeartbeat } from "../../engine/heartbeats.js";
import { EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { MemoryQueue } from "../../infra/memory/memory-queue.js";
import { codec } from "../helpers/cluster.js";
import { kernels } from "../helpers/kernels.js";

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
