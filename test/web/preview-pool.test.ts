// The preview pool and the step thumbnails, with the real worker logic (preview-core.ts) running
// in this process behind fake Workers: bands joined byte-identical to a whole-image run, with or
// without memory shared between the page and its workers, and thumbnails of pipeline prefixes
// computed once per image.

import { type Kernels, loadKernels } from "@tessera/kernels";
import { beforeAll, describe, expect, it } from "vitest";
import { createPreviewHandler } from "../../edge/web/src/preview-core.ts";
import { PreviewPool } from "../../edge/web/src/preview-pool.ts";
import type { FromWorker, Pixels, ToWorker } from "../../edge/web/src/preview-protocol.ts";
import { Thumbnails } from "../../edge/web/src/thumbnails.ts";
import { gradient } from "../helpers/images.js";

/** A Worker running preview-core.ts in this process; records what it is sent and what it answers. */
class FakeWorker extends EventTarget {
  readonly sent: ToWorker[] = [];
  readonly answered: FromWorker[] = [];
  private readonly handle: (m: ToWorker) => Promise<void>;
  constructor(kernels: Promise<Kernels>) {
    super();
    this.handle = createPreviewHandler(kernels, (m) => {
      this.answered.push(m);
      setTimeout(() => this.dispatchEvent(new MessageEvent("message", { data: m })), 0);
    });
  }
  postMessage(m: ToWorker): void {
    this.sent.push(m);
    void this.handle(m);
  }
}

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

function pool(size: number, share: boolean) {
  const workers: FakeWorker[] = [];
  const p = new PreviewPool(
    () => {
      const w = new FakeWorker(Promise.resolve(kernels));
      workers.push(w);
      return w as unknown as Worker;
    },
    size,
    share,
  );
  const received: FromWorker[] = [];
  p.addEventListener("message", (e) => received.push(e.data));
  const next = (type: FromWorker["type"]) =>
    new Promise<FromWorker>((resolve) => {
      const seen = received.length;
      const check = () => {
        const hit = received.slice(seen).find((m) => m.type === type || m.type === "error");
        if (hit) resolve(hit);
        else setTimeout(check, 1);
      };
      check();
    });
  return { pool: p, workers, next };
}

describe("preview pool", () => {
  for (const share of [false, true]) {
    it(`joins bands byte-identical to run() on the whole image (${share ? "shared memory" : "transferred bands"})`, async () => {
      const { pool: p, workers, next } = pool(3, share);
      const image = gradient(41, 300);
      p.postMessage({ type: "image", ...image, data: image.data.slice() });
      let previous: { data: Uint8ClampedArray; expected: Buffer } | undefined;
      for (const [id, pipeline] of [
        [1, "gaussian-blur(sigma=2) | sobel"],
        [2, "median(radius=2) | invert"],
        [3, "normalize | sharpen"], // a global op: run whole on one worker
      ] as const) {
        const done = next("result");
        p.postMessage({ type: "run", id, pipeline });
        const result = await done;
        if (result.type !== "result") throw new Error(`expected a result for ${pipeline}, got ${JSON.stringify(result)}`);
        expect(result.data.buffer instanceof SharedArrayBuffer, "the result must be ImageData-able").toBe(false);
        const expected = Buffer.from(kernels.run(image, pipeline).data);
        expect(Buffer.from(result.data).equals(expected), pipeline).toBe(true);
        expect(result.kernelMs).toBeGreaterThanOrEqual(0);
        // Result buffers are reused, but never the one drawn last: it stays intact while the next is assembled.
        if (previous)
          expect(Buffer.from(previous.data).equals(previous.expected), "the previous result was overwritten").toBe(true);
        previous = { data: result.data, expected };
      }
      const bands = workers.flatMap((w) => w.answered.filter((m) => m.type === "band"));
      expect(bands.length).toBe(6); // two local pipelines, three bands each
      // Shared: every band was written into the shared result, none sent back. Else each band's
      // buffer goes back to its worker, for its next band.
      expect(bands.every((b) => b.type === "band" && (b.data === undefined) === share)).toBe(true);
      const recycled = workers.flatMap((w) => w.sent.filter((m) => m.type === "recycle"));
      expect(recycled.length).toBe(share ? 0 : 6);
    });
  }

  it("reports an invalid pipeline as an error with the registry's code", async () => {
    const { pool: p, next } = pool(2, true);
    const image = gradient(16, 200);
    p.postMessage({ type: "image", ...image });
    const failed = next("error");
    p.postMessage({ type: "run", id: 9, pipeline: "gaussian-blur(sigma=999)" });
    expect(await failed).toMatchObject({ type: "error", id: 9, code: "INVALID_PIPELINE" });
  });
});

describe("step thumbnails", () => {
  it("runs each prefix on a small copy of the image once, and again after a new image", async () => {
    const { pool: p, workers } = pool(2, false);
    const thumbs = new Thumbnails(
      (m, t) => p.postMessage(m, t),
      (img, max) => ({ width: Math.min(img.width, max), height: Math.min(img.height, max), data: crop(img, max) }),
    );
    p.addEventListener("message", (e) => thumbs.receive(e.data));
    const image = gradient(300, 200);
    thumbs.setImage(image);
    const small = { width: 160, height: 160, data: crop(image, 160) };
    const first = await thumbs.get("invert");
    expect(Buffer.from(first.data).equals(Buffer.from(kernels.run(small, "invert").data))).toBe(true);
    const both = await thumbs.get("invert | grayscale");
    expect(Buffer.from(both.data).equals(Buffer.from(kernels.run(small, "invert | grayscale").data))).toBe(true);
    expect(await thumbs.get("")).toEqual(small); // no step runs: the input itself
    const asked = () => workers.flatMap((w) => w.sent).filter((m) => m.type === "thumb").length;
    expect(asked()).toBe(3);
    await thumbs.get("invert"); // cached
    expect(asked()).toBe(3);
    thumbs.setImage(gradient(20, 10));
    expect((await thumbs.get("invert")).width).toBe(20);
    expect(asked()).toBe(4);
    await expect(thumbs.get("no-such-op")).rejects.toThrow(/no-such-op/);
  });
});

/** The top-left `max`×`max` corner (at most): a stand-in for the browser's downscale. */
function crop(img: Pixels, max: number): Uint8ClampedArray {
  const w = Math.min(img.width, max);
  const h = Math.min(img.height, max);
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(y * img.width * 4, (y * img.width + w) * 4), y * w * 4);
  return out;
}
