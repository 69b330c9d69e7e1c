// A JPEG through the whole engine: cut into pieces at submit (no decode on the coordinator),
// each band decoded by its worker, its result encoded as a piece, the pieces joined. The
// result must be what decoding the whole file, running the pipeline on it and encoding the
// whole result with the same settings gives, byte for byte once decoded; and a coordinator
// that dies mid-job cuts the source again after a restart.

import { parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { Coordinator } from "../../engine/coordinator.js";
import { overallProgress } from "../../engine/job.js";
import { type BandMessage, TILES_QUEUE } from "../../engine/messages.js";
import { resultIsGrey } from "../../engine/plan.js";
import type { OutgoingMessage } from "../../engine/ports/queue.js";
import type { TileTask } from "../../workers/pool-messages.js";
import { codec, startCluster } from "../helpers/cluster.js";
import { compare, describe as describeDiff, PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

const clusters: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  while (clusters.length) await clusters.pop()?.stop();
});

/** A baseline JPEG made from a photograph, `width` wide. */
async function jpeg(photo: string, width: number): Promise<Uint8Array> {
  const buffer = await sharp(PHOTO_DIR + photo)
    .resize(width)
    .jpeg({ quality: 92 })
    .toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** What the job must equal: the whole file decoded, the pipeline run, the whole result encoded. */
async function expected(source: Uint8Array, pipeline: string): Promise<Uint8ClampedArray> {
  const steps = parsePipeline(pipeline);
  const result = (await kernels()).run(await codec.decode(source), steps);
  const encoded = await codec.encode(result, "jpeg", { grey: resultIsGrey(steps) });
  return (await codec.decode(encoded)).data as Uint8ClampedArray;
}

describe("a JPEG through the engine", () => {
  it("cuts the source, decodes each band where it runs and joins the encoded bands: equal to the whole image encoded", async () => {
    const cluster = await startCluster({ loops: 3 });
    clusters.push(cluster);
    const cases = [
      ["rocket.jpg", 700, "gaussian-blur(sigma=2) | saturation(factor=1.5)", 64], // colour result, 4:2:0 pieces
      ["retina.jpg", 640, "median(radius=2) | sobel", 128], // grey result, one-channel pieces
      ["coffee.png", 600, "equalize | sharpen(amount=2)", 48], // two stages; 48-row bands
      ["chelsea.png", 451, "canny(low=40, high=100)", 32], // ends in canny: reduced, then encoded in pieces
      ["coins.png", 384, "canny(low=30, high=90) | box-blur(radius=1)", 40], // canny mid-pipeline: its edges as the next stage's windows
    ] as const;
    for (const [photo, width, pipeline, tileSize] of cases) {
      const source = await jpeg(photo, width);
      expect(await codec.cutter(source), `${photo} is cut, not decoded`).toBeDefined();
      const job = await cluster.coordinator.submit(source, parsePipeline(pipeline), { format: "jpeg", tileSize });
      const done = await cluster.coordinator.wait(job.id);
      expect(done.status, done.error?.message).toBe("succeeded");
      const got = await cluster.result(done.result);
      const diff = compare(got, await expected(source, pipeline), done.width);
      expect(`${photo} ${pipeline} @${tileSize}: ${describeDiff(diff)}`).toBe(`${photo} ${pipeline} @${tileSize}: max diff 0`);
      // Only the manifest and the result are left: the source, its pieces and the bands are gone.
      const left = (await cluster.blobs.list(`jobs/${job.id}/`)).map((b) => b.name.split("/").pop());
      expect(left.sort()).toEqual(["manifest.json", "result.jpeg"]);
    }
  });

  it("resumes a job whose coordinator stopped mid-job: the source is cut again and the result is the same", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let tilesRun = 0;
    const cluster = await startCluster({
      loops: 2,
      pool: (real) => ({
        async run(task: TileTask, signal?: AbortSignal) {
          if (++tilesRun > 4) await gate; // a few tiles through, the rest held until the restart
          return real.run(task, signal);
        },
      }),
    });
    clusters.push(cluster);
    const source = await jpeg("astronaut.png", 512);
    const pipeline = "gaussian-blur(sigma=1.5) | invert";
    const job = await cluster.coordinator.submit(source, parsePipeline(pipeline), { format: "jpeg", tileSize: 64 });
    await cluster.coordinator.close();
    const second = new Coordinator({ queue: cluster.queue, blobs: cluster.blobs, codec, kernels: await kernels(), pollMs: 50 });
    expect((await second.resume()).map((j) => j.id)).toEqual([job.id]);
    release();
    const done = await second.wait(job.id);
    await second.close();
    expect(done.status, done.error?.message).toBe("succeeded");
    const diff = compare(await cluster.result(done.result), await expected(source, pipeline), done.width);
    expect(describeDiff(diff)).toBe("max diff 0");
  });

  it("reports a band sent again after it was done, its piece spent, as done: the job succeeds, nothing is dead-lettered", async () => {
    // Every band runs but one, held until the end: the job stays open while a band already done
    // (its piece deleted on completion) is sent again, as a restarted coordinator would.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    onTestFinished(() => release()); // a failure before the end must not leave the loop held
    let first: SharedArrayBuffer | undefined; // a window buffer of the loop that runs on
    let held: SharedArrayBuffer | undefined; // the other loop's, whose band waits
    const cluster = await startCluster({
      loops: 2,
      maxDeliveryCount: 2,
      pool: (real) => ({
        async run(task: TileTask, signal?: AbortSignal) {
          const buffer = task.source?.data.buffer as SharedArrayBuffer;
          first ??= buffer;
          if (buffer !== first) held ??= buffer;
          if (buffer === held) await gate;
          return real.run(task, signal);
        },
      }),
    });
    clusters.push(cluster);
    const sent: OutgoingMessage[] = [];
    const send = cluster.queue.send.bind(cluster.queue);
    cluster.queue.send = async (queue, messages) => {
      if (queue === TILES_QUEUE) sent.push(...messages);
      return send(queue, messages);
    };
    // Whether a band's output exists is asked only of a band whose input is missing (here the
    // one sent again), not of every band before it runs: a blob round trip per band.
    const outputsAsked: string[] = [];
    const exists = cluster.blobs.exists.bind(cluster.blobs);
    cluster.blobs.exists = (name: string) => {
      if (/\/b\d+\.jpeg$/.test(name) && !name.includes("/src/")) outputsAsked.push(name);
      return exists(name);
    };
    const source = await jpeg("astronaut.png", 512);
    const job = await cluster.coordinator.submit(source, parsePipeline("gaussian-blur(sigma=1.5) | invert"), {
      format: "jpeg",
      tileSize: 64,
    });
    // Once every band but the held one is done, their pieces are spent.
    const spent = async () => {
      const found: OutgoingMessage[] = [];
      for (const m of sent) {
        const band = m.body as unknown as BandMessage;
        if (band.input.kind === "piece" && !(await cluster.blobs.exists(band.input.name))) found.push(m);
      }
      return found;
    };
    for (let i = 0; i < 400 && (await spent()).length < 7; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await spent()).length).toBe(7);
    const again = (await spent())[0];
    expect(again, "a band done, its piece spent").toBeDefined();
    await cluster.queue.send(TILES_QUEUE, [again as OutgoingMessage]);
    // Taken and settled: only the held band is left in the queue.
    for (let i = 0; i < 200 && (await cluster.queue.depth(TILES_QUEUE)).active > 1; i++)
      await new Promise((r) => setTimeout(r, 25));
    release();
    const done = await cluster.coordinator.wait(job.id);
    expect(done.status, done.error?.message).toBe("succeeded");
    const { done: tiles, total } = overallProgress(done);
    expect(tiles).toBe(total);
    expect((await cluster.coordinator.deadLetters()).recent).toEqual([]);
    expect(outputsAsked).toHaveLength(1);
  });
});
