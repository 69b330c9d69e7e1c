// Progress events are hints; the band blobs are the truth. A worker that dies after writing a
// band's result but before its event is sent must not leave the job waiting forever.

import { parsePipeline } from "@tessera/kernels";
import { expect, it } from "vitest";
import { rowsOf } from "../../engine/band-store.js";
import { Coordinator } from "../../engine/coordinator.js";
import { type BandMessage, EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import { bandRows, makeGrid } from "../../engine/tiling.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { MemoryQueue } from "../../infra/memory/memory-queue.js";
import { writeBandResult } from "../../workers/band-writer.js";
import { codec } from "../helpers/cluster.js";
import { compare, describe as describeDiff, loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

it("finishes a job whose bands were all written but never reported, from the band blobs", async () => {
  const settings = { lockDurationMs: 10_000, maxDeliveryCount: 3 };
  const queue = new MemoryQueue({ [TILES_QUEUE]: settings, [EVENTS_QUEUE]: settings });
  const blobs = new MemoryBlobStore();
  const k = await kernels();
  const coordinator = new Coordinator({ queue, blobs, codec, kernels: k, pollMs: 10 });
  const image = await loadPhoto("coffee.png", 96);
  const steps = parsePipeline("invert | gaussian-blur(sigma=1)");
  const want = k.run(image, steps);
  const job = await coordinator.submit(image, steps, { format: "png", tileSize: 32 });
  const grid = makeGrid(image.width, image.height, 32);

  // A silent worker: writes each band's correct result and settles its message, but never
  // sends the progress event (as if it died in between, every time).
  let written = 0;
  while (written < grid.rows) {
    const receiver = await queue.acceptSession(TILES_QUEUE, undefined, { timeoutMs: 1_000 });
    if (!receiver) break;
    for (const message of await receiver.receive(100, { timeoutMs: 0 })) {
      const band = message.body as unknown as BandMessage;
      const { y0, y1 } = bandRows(grid, band.band);
      // What a worker writes: the raw band, or the band encoded as a piece of the result.
      await writeBandResult(band, { band: rowsOf(want, y0, y1), kernelMs: 0, readMs: 0 }, { blobs, codec });
      await receiver.complete(message);
      written++;
    }
    await receiver.close();
  }
  expect(written).toBe(grid.rows);
  await expect(queue.depth(EVENTS_QUEUE)).resolves.toEqual({ active: 0, deadLetter: 0 });

  const done = await coordinator.wait(job.id);
  expect(done.status, done.error?.message).toBe("succeeded");
  const result = await codec.decode(await blobs.get(done.result as string));
  expect(describeDiff(compare(result.data, want.data, image.width))).toBe("max diff 0");
  await coordinator.close();
  await queue.close();
});
