// The queued path, embedded: coordinator → tiles queue → worker loops → piscina pool → blobs →
// events → reductions → stitch → encode. Byte-identical to run(), and fault tolerant the way
// Service Bus makes it: a loop that dies loses its session lock and its tile comes back; a
// tile that keeps failing is dead-lettered and fails only its own job.

import { parsePipeline } from "@tessera/kernels";
import { afterEach, describe, expect, it } from "vitest";
import { Coordinator } from "../../engine/coordinator.js";
import type { Logger } from "../../engine/ports/logger.js";
import type { TileTask } from "../../workers/pool-messages.js";
import { type ClusterOptions, codec, startCluster } from "../helpers/cluster.js";
import { compare, describe as describeDiff, loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

const clusters: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  while (clusters.length) await clusters.pop()?.stop();
});

async function cluster(options: ClusterOptions) {
  const c = await startCluster(options);
  clusters.push(c);
  return c;
}

describe("embedded engine", () => {
  it("logs each band's steps at debug level once it is settled, in the order they happen", async () => {
    const settled: Record<string, unknown>[] = [];
    const log: Logger = {
      debug: (fields, msg) => void (msg === "band settled" && settled.push(fields)),
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      child: () => log,
    };
    const c = await cluster({ loops: 2, log });
    const job = await c.coordinator.submit(await loadPhoto("coffee.png", 256), parsePipeline("invert"), {
      format: "png",
      tileSize: 64,
    });
    expect((await c.coordinator.wait(job.id)).status).toBe("succeeded");
    expect(settled.map((f) => f.band).sort()).toEqual([0, 1, 2]);
    for (const fields of settled) {
      const steps = fields.steps as Record<string, number>;
      expect(Object.keys(steps)).toEqual(["checked", "computed", "written", "reported", "completed"]);
      const times = Object.values(steps);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(fields).toMatchObject({ jobId: job.id, readMs: expect.any(Number), kernelMs: expect.any(Number) });
    }
  });

  it("runs jobs through the queue byte-identical to run(), spreading tiles over every loop", async () => {
    const { coordinator, blobs, result, workerTiles } = await cluster({ loops: 3 });
    const k = await kernels();
    const cases = [
      ["coffee.png", "gaussian-blur(sigma=2) | sobel", 64],
      ["camera.png", "median(radius=1) | equalize | canny(low=40, high=120)", 100],
      ["rocket.jpg", "sepia | normalize | sharpen(amount=2) | otsu-threshold", 17],
    ] as const;
    const jobs = await Promise.all(
      cases.map(async ([photo, pipeline, tileSize]) => {
        const image = await loadPhoto(photo, 256);
        const steps = parsePipeline(pipeline);
        const job = await coordinator.submit(image, steps, { format: "png", tileSize });
        return { image, steps, job };
      }),
    );
    for (const { image, steps, job } of jobs) {
      const done = await coordinator.wait(job.id);
      expect(done.status, done.error?.message).toBe("succeeded");
      expect(done.stages.every((s) => s.done === s.total)).toBe(true);
      const diff = compare(await result(done.result), k.run(image, steps).data, image.width);
      expect(`${done.pipeline}: ${describeDiff(diff)}`).toBe(`${done.pipeline}: max diff 0`);
    }
    expect([...workerTiles.keys()].sort()).toEqual(["loop-0", "loop-1", "loop-2"]);
    // Intermediate tiles are gone; the manifest and the result stay.
    const left = (await blobs.list(`jobs/${jobs[0]?.job.id}/`)).map((b) => b.name.split("/").pop());
    expect(left.sort()).toEqual(["manifest.json", "result.png"]);
  });

  it("survives a loop that dies mid-tile: the session lock expires and another loop redoes the tile", async () => {
    let started!: () => void;
    const firstTileStarted = new Promise<void>((r) => (started = r));
    let runs = 0;
    const { coordinator, result, kill } = await cluster({
      loops: 2,
      lockDurationMs: 300,
      pool: (real) => ({
        async run(task: TileTask, signal?: AbortSignal) {
          runs++;
          started();
          await new Promise((r) => setTimeout(r, 30)); // long enough to be killed in the middle
          return real.run(task, signal);
        },
      }),
    });
    const image = await loadPhoto("chelsea.png", 200);
    const steps = parsePipeline("box-blur(radius=2) | laplacian");
    const job = await coordinator.submit(image, steps, { format: "png", tileSize: 64 });
    await firstTileStarted;
    kill(0); // loop 0 dies holding its session: nothing settled, nothing released
    const done = await coordinator.wait(job.id);
    expect(done.status, done.error?.message).toBe("succeeded");
    const diff = compare(await result(done.result), (await kernels()).run(image, steps).data, image.width);
    expect(describeDiff(diff)).toBe("max diff 0");
    // The killed tile ran twice: once in the dead loop, once after redelivery.
    const tiles = Math.ceil(image.width / 64) * Math.ceil(image.height / 64);
    expect(runs).toBeGreaterThan(tiles);
  });

  it("dead-letters a poison tile after maxDeliveryCount, fails its job with the reason, and lets the other job finish", async () => {
    const { coordinator, result } = await cluster({
      loops: 2,
      maxDeliveryCount: 2,
      pool: (real) => ({
        run(task: TileTask, signal?: AbortSignal) {
          // An injected kernel failure: every tile of the poisoned job (the only box-blur) throws.
          if (task.steps.some((s) => s.op === "box-blur")) return Promise.reject(new Error("kernel trapped: unreachable"));
          return real.run(task, signal);
        },
      }),
    });
    const k = await kernels();
    const healthyImage = await loadPhoto("coins.png", 180);
    const steps = parsePipeline("gaussian-blur(sigma=1) | invert");
    const poisonImage = await loadPhoto("page.png", 300);
    const poison = await coordinator.submit(poisonImage, parsePipeline("box-blur(radius=5)"), { format: "png", tileSize: 64 });
    const healthy = await coordinator.submit(healthyImage, steps, { format: "png", tileSize: 180 });
    const [p, h] = await Promise.all([coordinator.wait(poison.id), coordinator.wait(healthy.id)]);
    expect(p.status).toBe("failed");
    expect(p.error?.code).toBe("TILE_FAILED");
    expect(p.error?.message).toMatch(/^tile \d+ of stage 0 failed: kernel trapped: unreachable$/);
    expect(h.status, h.error?.message).toBe("succeeded");
    expect(describeDiff(compare(await result(h.result), k.run(healthyImage, steps).data, healthyImage.width))).toBe("max diff 0");
  });

  it("cancels a job: queued tiles are dropped and the job ends canceled", async () => {
    const { coordinator, blobs } = await cluster({
      loops: 1,
      pool: (real) => ({
        async run(t: TileTask, s?: AbortSignal) {
          await new Promise((r) => setTimeout(r, 20)); // slow enough to cancel mid-job
          return real.run(t, s);
        },
      }),
    });
    const image = await loadPhoto("retina.jpg", 400);
    const job = await coordinator.submit(image, parsePipeline("gaussian-blur(sigma=3)"), { format: "png", tileSize: 32 });
    await new Promise((r) => setTimeout(r, 100));
    await coordinator.cancel(job.id);
    const done = await coordinator.wait(job.id);
    expect(done.status).toBe("canceled");
    expect(done.stages[0]?.done).toBeLessThan(done.stages[0]?.total ?? 0);
    expect(done.result).toBeUndefined();
    expect((await blobs.list(`jobs/${job.id}/`)).map((b) => b.name.split("/").pop()).sort()).toEqual([
      "manifest.json",
      "stopped",
    ]);
  });
});

describe("coordinator restart", () => {
  it("reloads an unfinished job from its manifest and finishes it byte-identical", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let tilesRun = 0;
    const { coordinator, queue, blobs, result } = await cluster({
      loops: 2,
      pool: (real) => ({
        async run(task: TileTask, signal?: AbortSignal) {
          // Let a few tiles through, then hold the rest until the first coordinator is gone.
          if (++tilesRun > 3) await gate;
          return real.run(task, signal);
        },
      }),
    });
    const image = await loadPhoto("astronaut.png", 240);
    const steps = parsePipeline("sharpen(amount=3) | equalize | gaussian-blur(sigma=1)");
    const job = await coordinator.submit(image, steps, { format: "png", tileSize: 48 });
    await coordinator.close(); // the "crash": it stops following the job, which stays persisted
    const second = new Coordinator({ queue, blobs, codec, kernels: await kernels(), pollMs: 50 });
    const resumed = await second.resume();
    expect(resumed.map((j) => j.id)).toEqual([job.id]);
    release();
    const done = await second.wait(job.id);
    await second.close();
    expect(done.status, done.error?.message).toBe("succeeded");
    const diff = compare(await result(done.result), (await kernels()).run(image, steps).data, image.width);
    expect(describeDiff(diff)).toBe("max diff 0");
  });
});
