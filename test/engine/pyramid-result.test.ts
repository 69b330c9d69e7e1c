// A job whose result is a TIFF: the last stage's workers compress their bands' tiles, the
// coordinator joins them into a tiled pyramidal BigTIFF. Its first page is run() exactly, and
// the file is the same bytes whatever the tile size (so whatever the bands).

import { parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { type Embedded, startEmbedded } from "../../roles/embedded.js";
import { compare, describe as describeDiff, loadPhoto, PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

// One engine for every case: each job is independent.
let embedded: Embedded;
beforeAll(async () => {
  embedded = await startEmbedded({ codec: new SharpCodec(), threads: 2, loops: 2, pollMs: 50 });
});
afterAll(() => embedded.stop());

describe("pyramidal TIFF results", () => {
  it("are run() on the first page and the same file for every tile size, ending in a local or a global op", async () => {
    const image = await loadPhoto("astronaut.png");
    for (const pipeline of ["gaussian-blur(sigma=2) | sobel", "sepia | canny"]) {
      const steps = parsePipeline(pipeline);
      const want = (await kernels()).run(image, steps).data;
      const files: Uint8Array[] = [];
      for (const tileSize of [64, 256, 512]) {
        const job = await embedded.coordinator.submit(image, steps, { format: "tiff", tileSize });
        const done = await embedded.coordinator.wait(job.id);
        expect(done.status, done.error?.message).toBe("succeeded");
        const file = await embedded.blobs.get(done.result as string);
        const meta = await sharp(file).metadata();
        expect([meta.format, meta.pages, meta.width, meta.height]).toEqual(["tiff", 2, 512, 512]);
        const { data } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        expect(`${pipeline} @${tileSize}: ${describeDiff(compare(data, want, image.width))}`).toBe(
          `${pipeline} @${tileSize}: max diff 0`,
        );
        files.push(file);
      }
      expect(files.every((f) => Buffer.compare(Buffer.from(f), Buffer.from(files[0] as Uint8Array)) === 0)).toBe(true);
    }
  });
});

describe("tile-set results (Deep Zoom, IIIF)", () => {
  it("store a descriptor and lossless tiles whose full-resolution level is run(), and keep them after the job", async () => {
    const image = await loadPhoto("chelsea.png"); // 451×300: two columns, two rows of 256-px tiles
    const steps = parsePipeline("gaussian-blur(sigma=2) | sobel");
    const want = (await kernels()).run(image, steps).data;
    for (const [format, descriptor] of [
      ["dzi", "result.dzi"],
      ["iiif", "info.json"],
    ] as const) {
      const job = await embedded.coordinator.submit(image, steps, { format, tileSize: 128 });
      const done = await embedded.coordinator.wait(job.id);
      expect(done.status, done.error?.message).toBe("succeeded");
      const folder = `jobs/${job.id}/result/`;
      expect(done.result).toBe(folder + descriptor);
      const names = (await embedded.blobs.list(folder)).map((b) => b.name.slice(folder.length));
      // Full resolution: DZI level 9 (ceil(log2 451) = 9), IIIF the full-size tiles at scale 1.
      const full =
        format === "dzi"
          ? (["0_0", "1_0", "0_1", "1_1"] as const).map((cr) => `result_files/9/${cr}.png`)
          : ["0,0,256,256/256,256", "256,0,195,256/195,256", "0,256,256,44/256,44", "256,256,195,44/195,44"].map(
              (r) => `${r}/0/default.png`,
            );
      expect(names).toEqual(expect.arrayContaining([descriptor, ...full]));
      const tile = async (name: string) =>
        (
          await sharp(await embedded.blobs.get(folder + name))
            .ensureAlpha()
            .raw()
            .toBuffer({ resolveWithObject: true })
        ).data;
      const got = new Uint8ClampedArray(image.width * image.height * 4);
      for (const [i, name] of full.entries()) {
        const x0 = (i % 2) * 256;
        const y0 = Math.floor(i / 2) * 256;
        const w = Math.min(256, image.width - x0);
        const data = await tile(name);
        for (let y = 0; y < Math.min(256, image.height - y0); y++)
          got.set(data.subarray(y * w * 4, (y + 1) * w * 4), ((y0 + y) * image.width + x0) * 4);
      }
      expect(`${format}: ${describeDiff(compare(got, want, image.width))}`).toBe(`${format}: max diff 0`);
      // Only the manifest and the result folder remain once the job has ended.
      const rest = (await embedded.blobs.list(`jobs/${job.id}/`)).map((b) => b.name).filter((n) => !n.startsWith(folder));
      expect(rest).toEqual([`jobs/${job.id}/manifest.json`]);
    }
  });
});

describe("results store only the channels their pixels need", () => {
  it("grey and opaque: one channel; opaque: three; with alpha: four; the pixels are run()'s either way", async () => {
    const photo = sharp(`${PHOTO_DIR}coffee.png`);
    const opaque = await photo.clone().removeAlpha().png().toBuffer();
    const seeThrough = await photo.clone().ensureAlpha(0.5).png().toBuffer();
    for (const [source, pipeline, format, channels] of [
      [opaque, "gaussian-blur(sigma=1) | sobel", "tiff", 1],
      [opaque, "sepia", "tiff", 3],
      [seeThrough, "gaussian-blur(sigma=1) | sobel", "tiff", 4],
      [opaque, "gaussian-blur(sigma=1) | sobel", "png", 1],
      [opaque, "sepia", "png", 3],
      [seeThrough, "sepia", "png", 4],
    ] as const) {
      const job = await embedded.coordinator.submit(source, parsePipeline(pipeline), { format, tileSize: 128 });
      const done = await embedded.coordinator.wait(job.id);
      expect(done.status, done.error?.message).toBe("succeeded");
      const file = await embedded.blobs.get(done.result as string);
      expect([pipeline, format, (await sharp(file).metadata()).channels]).toEqual([pipeline, format, channels]);
      const input = await sharp(source).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const image = { width: input.info.width, height: input.info.height, data: new Uint8ClampedArray(input.data) };
      const want = (await kernels()).run(image, pipeline).data;
      const { data } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(`${pipeline} → ${format}: ${describeDiff(compare(data, want, image.width))}`).toBe(
        `${pipeline} → ${format}: max diff 0`,
      );
    }
  });
});

it("fails a tile-set job whose join fails with ENCODE_FAILED, naming why", async () => {
  class BrokenJoin extends SharpCodec {
    override async joinTileSet(): Promise<string> {
      throw new Error("disk full");
    }
  }
  const broken = await startEmbedded({ codec: new BrokenJoin(), threads: 1, loops: 1, pollMs: 50 });
  try {
    const job = await broken.coordinator.submit(await loadPhoto("coins.png"), parsePipeline("invert"), { format: "dzi" });
    const done = await broken.coordinator.wait(job.id);
    expect([done.status, done.error]).toEqual(["failed", { code: "ENCODE_FAILED", message: "encoding dzi failed: disk full" }]);
  } finally {
    await broken.stop();
  }
});
