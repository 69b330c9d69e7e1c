// The coordinator's side of reliability, in one process: endings that nothing changes, a
// submission that fails leaving nothing, storage and broker outages waited out (or failed with
// the reason once they outlast the budget), bands lost by the broker sent again, jobs never
// acknowledged removed on resume, and the sweeper (time to live, orphan blobs).

import { parsePipeline } from "@tessera/kernels";
import { afterEach, describe, expect, it } from "vitest";
import { manifestName } from "../../engine/blob-names.js";
import { Coordinator } from "../../engine/coordinator.js";
import { canMove, type JobManifest, type JobStatus } from "../../engine/job.js";
import { TILES_QUEUE } from "../../engine/messages.js";
import { OutageBudget } from "../../engine/outage.js";
import type { BlobStore } from "../../engine/ports/blob-store.js";
import type { Queue } from "../../engine/ports/queue.js";
import { codec, startCluster } from "../helpers/cluster.js";
import { compare, describe as describeDiff, loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { storageView } from "../helpers/outages.js";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

async function cluster(lockDurationMs = 30_000) {
  const c = await startCluster({ loops: 2, lockDurationMs });
  stops.push(() => c.stop());
  return c;
}

/** A blob store that fails every call with BLOB_UNAVAILABLE while `outage.down` is set, as Azurite killed would. */
function flaky(inner: BlobStore) {
  const outage = { down: false };
  return { store: storageView(inner, () => outage.down), outage };
}

async function coordinatorOn(queue: Queue, blobs: BlobStore, extra: Partial<ConstructorParameters<typeof Coordinator>[0]> = {}) {
  const c = new Coordinator({ queue, blobs, codec, kernels: await kernels(), pollMs: 50, ...extra });
  stops.push(() => c.close());
  return c;
}

describe("job states", () => {
  it("nothing leaves an ending; queued and running move only forward", () => {
    const all: JobStatus[] = ["queued", "running", "succeeded", "failed", "canceled"];
    const moves = all.flatMap((from) => all.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`));
    expect(moves).toEqual([
      "queued→running",
      "queued→failed",
      "queued→canceled",
      "running→succeeded",
      "running→failed",
      "running→canceled",
    ]);
  });

  it("a cancel racing the job's success ends it once: listeners hear one ending, and it stays", async () => {
    const { coordinator } = await cluster();
    const endings: string[] = [];
    coordinator.subscribeAll(({ job, ended }) => {
      if (ended) endings.push(`${job.id}:${job.status}`);
    });
    const image = await loadPhoto("coffee.png", 128);
    const job = await coordinator.submit(image, parsePipeline("invert"), { format: "png", tileSize: 32 });
    // Cancel as the job is finishing: whichever comes first stands, the other changes nothing.
    await coordinator.wait(job.id).then(() => coordinator.cancel(job.id));
    const again = await coordinator.cancel(job.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(endings).toEqual([`${job.id}:${again?.status}`]);
    expect(coordinator.get(job.id)?.status).toBe(again?.status);
  });
});

describe("submission", () => {
  it("a submission that fails halfway (storage gone) leaves no job and no blob", async () => {
    const { queue, blobs } = await cluster();
    // The manifest goes in (the first call), then storage fails under the first window.
    let calls = 0;
    let recovered = false;
    const coordinator = await coordinatorOn(
      queue,
      storageView(blobs, () => ++calls > 1 && !recovered),
    );
    const image = await loadPhoto("coffee.png", 256);
    await expect(coordinator.submit(image, parsePipeline("invert"), { format: "png", tileSize: 64 })).rejects.toMatchObject({
      code: "BLOB_UNAVAILABLE",
    });
    recovered = true;
    expect(coordinator.list()).toEqual([]);
    // Storage was down when the submission failed: its manifest stayed, and the sweep takes it.
    expect((await blobs.list("jobs/")).length).toBe(1);
    expect(await coordinator.sweep()).toEqual({ expired: 0, orphans: 1 });
    expect(await blobs.list("jobs/")).toEqual([]);
  });

  it("a tile size that would make more than MAX_TILES tiles is refused before anything is stored", async () => {
    const { coordinator, blobs } = await cluster();
    // 2048×2048 in 16 px tiles would be 16,384 tiles; 32 px is the floor (64 × 64).
    const image = { width: 2048, height: 2048, data: new Uint8ClampedArray(2048 * 2048 * 4) };
    await expect(coordinator.submit(image, parsePipeline("invert"), { format: "png", tileSize: 16 })).rejects.toThrow(
      /more than 4096 tiles; use at least 32/,
    );
    expect(await blobs.list("jobs/")).toEqual([]);
  });
});

describe("outages", () => {
  it("a storage outage mid-job is waited out: the job carries on and its result is byte-exact", async () => {
    const { queue, blobs, result } = await cluster();
    const { store, outage } = flaky(blobs);
    const coordinator = await coordinatorOn(queue, store, { outageBudgetMs: 30_000 });
    const warnings: string[] = [];
    const image = await loadPhoto("astronaut.png", 256);
    const steps = parsePipeline("gaussian-blur(sigma=2) | equalize | sobel");
    const job = await coordinator.submit(image, steps, { format: "png", tileSize: 64 });
    coordinator.subscribe(job.id, ({ job: j }) => {
      if (j.warning) warnings.push(j.warning.code);
    });
    outage.down = true;
    await new Promise((r) => setTimeout(r, 1_500));
    outage.down = false;
    const done = await coordinator.wait(job.id);
    expect(done.status, done.error?.message).toBe("succeeded");
    expect(warnings).toContain("DEPENDENCY_UNAVAILABLE");
    expect(done.warning).toBeUndefined();
    expect(describeDiff(compare(await result(done.result), (await kernels()).run(image, steps).data, image.width))).toBe(
      "max diff 0",
    );
  });

  it("an outage longer than the budget fails the job with the reason, and the coordinator carries on", async () => {
    const { queue, blobs } = await cluster();
    const { store, outage } = flaky(blobs);
    const coordinator = await coordinatorOn(queue, store, { outageBudgetMs: 600 });
    const image = await loadPhoto("coffee.png", 256);
    const job = await coordinator.submit(image, parsePipeline("gaussian-blur(sigma=2) | equalize"), {
      format: "png",
      tileSize: 64,
    });
    outage.down = true;
    const ended = await coordinator.wait(job.id);
    expect(ended.status).toBe("failed");
    expect(ended.error?.code).toBe("DEPENDENCY_UNAVAILABLE");
    expect(ended.error?.message).toMatch(/ECONNREFUSED \(test outage\).*unreachable for over 1 s/);
    outage.down = false;
    // The next job runs.
    const next = await coordinator.submit(image, parsePipeline("invert"), { format: "png", tileSize: 64 });
    expect((await coordinator.wait(next.id)).status).toBe("succeeded");
  });

  it("bands the broker lost are sent again once the job stalls for a lock's length; the job shows STALLED meanwhile", async () => {
    const { queue, blobs, result } = await cluster(600);
    // A broker that restarted empty: the first message of band 1 never arrives.
    let dropped = false;
    const lossy = Object.create(queue) as Queue;
    lossy.send = async (name, messages) => {
      const kept = messages.filter((m) => {
        const band = (m.body as { band?: number }).band;
        if (name !== TILES_QUEUE || band !== 1 || dropped) return true;
        dropped = true;
        return false;
      });
      return queue.send(name, kept);
    };
    const coordinator = await coordinatorOn(lossy, blobs);
    const image = await loadPhoto("camera.png", 256);
    const steps = parsePipeline("sharpen(amount=1)");
    const job = await coordinator.submit(image, steps, { format: "png", tileSize: 64 });
    const warnings: string[] = [];
    coordinator.subscribe(job.id, ({ job: j }) => {
      if (j.warning) warnings.push(j.warning.message);
    });
    const done = await coordinator.wait(job.id);
    expect(dropped).toBe(true);
    expect(done.status, done.error?.message).toBe("succeeded");
    expect(warnings.join("\n")).toMatch(/no band has finished for \d+ s: no worker may be running; \d+ bands? left, sent again/);
    expect(describeDiff(compare(await result(done.result), (await kernels()).run(image, steps).data, image.width))).toBe(
      "max diff 0",
    );
  });

  it("the outage budget grows its waits, with jitter, and resets when the job moves", async () => {
    const clock = new ManualClock();
    // The jitter at its top: each wait is its ceiling (250 ms doubling, capped at 5 s).
    const budget = new OutageBudget(10_000, clock, () => 0.99999);
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < 8; i++) {
      const wait = budget.next(false);
      waits.push(wait);
      await clock.advance(wait ?? 0);
    }
    expect(waits).toEqual([249, 499, 999, 1999, 3999, 2255, undefined, undefined]);
    expect(budget.next(true)).toBe(249);
    expect(new OutageBudget(10_000, clock, () => 0).next(false)).toBe(50); // never a busy retry
  });
});

describe("resume and sweep", () => {
  it("a job whose upload was never acknowledged is removed on resume; orphans and expired jobs are swept", async () => {
    const { queue, blobs, coordinator } = await cluster();
    const clock = new ManualClock(Date.now());
    const image = await loadPhoto("coffee.png", 128);
    const done = await coordinator.wait((await coordinator.submit(image, parsePipeline("invert"), { format: "png" })).id);
    // A manifest still "being stored", with a window under it; an orphan without any manifest;
    // a band written into the ended job after its ending.
    const unstored: Partial<JobManifest> = {
      ...done,
      id: "00000000-0000-4000-8000-000000000001",
      status: "queued",
      stored: false,
    };
    await blobs.put(manifestName(unstored.id as string), new TextEncoder().encode(JSON.stringify(unstored)));
    await blobs.put(`jobs/${unstored.id}/src/b0`, new Uint8Array(8));
    await blobs.put("jobs/00000000-0000-4000-8000-000000000002/s0/b3", new Uint8Array(8));
    await blobs.put(`jobs/${done.id}/s0/b9`, new Uint8Array(8));
    await coordinator.close();

    const second = await coordinatorOn(queue, blobs, { clock, resultTtlMs: 60_000, sweepEveryMs: 0 });
    expect(await second.resume()).toEqual([]);
    expect((await blobs.list("jobs/")).map((b) => b.name)).toEqual([manifestName(done.id), done.result]);
    expect(second.get(done.id)?.status).toBe("succeeded");
    // Past its time to live the ended job goes, result and all.
    await clock.advance(120_000);
    expect(await second.sweep()).toEqual({ expired: 1, orphans: 0 });
    expect(await blobs.list("jobs/")).toEqual([]);
    expect(second.get(done.id)).toBeUndefined();
  });

  it("remove() deletes an ended job and refuses a running one", async () => {
    const { coordinator, blobs } = await cluster();
    const image = await loadPhoto("coffee.png", 256);
    const job = await coordinator.submit(image, parsePipeline("median(radius=3)"), { format: "png", tileSize: 32 });
    expect(await coordinator.remove(job.id)).toBe(false);
    await coordinator.wait(job.id);
    expect(await coordinator.remove(job.id)).toBe(true);
    expect(coordinator.get(job.id)).toBeUndefined();
    expect(await blobs.list(`jobs/${job.id}/`)).toEqual([]);
  });
});

describe("messages parsed where they are read", () => {
  it("a malformed band message is dead-lettered with what is wrong with it, and jobs carry on", async () => {
    const { coordinator, queue } = await cluster();
    await queue.send(TILES_QUEUE, [
      { sessionId: "bogus.0.0", body: { kind: "band", jobId: "not-a-job", stage: "first", band: -1, last: true } },
    ]);
    const image = await loadPhoto("coffee.png", 128);
    const job = await coordinator.submit(image, parsePipeline("invert"), { format: "png", tileSize: 64 });
    expect((await coordinator.wait(job.id)).status).toBe("succeeded");
    let letters = (await coordinator.deadLetters()).recent;
    for (let i = 0; i < 50 && letters.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      letters = (await coordinator.deadLetters()).recent;
    }
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason: "InvalidMessage" });
    expect(letters[0]?.description).toMatch(/stage/);
  });
});
