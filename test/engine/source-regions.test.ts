// A source that cannot be cut at the bitstream level (anything but a baseline JPEG) is read a
// band's window at a time as the first stage dispatches: the coordinator never decodes it
// whole, and a PNG, a striped TIFF and a tiled TIFF of one photograph give the same result.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { edgesLayer, sourceLayer, stageLayer } from "../../engine/blob-names.js";
import { resultEncoding } from "../../engine/job-finish.js";
import { REGION_TEMP_PREFIX } from "../../infra/adapters/region-reader.js";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { type Embedded, startEmbedded } from "../../roles/embedded.js";
import { compare, describe as describeDiff, PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { fileSource } from "../helpers/source-file.js";

/** A codec that records every whole-image decode it is asked for. */
class CountingCodec extends SharpCodec {
  readonly decoded: number[] = [];
  override async decode(bytes: Uint8Array) {
    this.decoded.push(bytes.length);
    return super.decode(bytes);
  }
}

const rgba = async (bytes: Uint8Array) => {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
};

describe("sources read a region at a time", () => {
  // Every source copied as a large one would be (these photographs are under the size that
  // is decoded whole instead), so the path a gigapixel PNG takes is the one tested.
  const codec = new CountingCodec({ decodeWholePixels: 0 });
  let embedded: Embedded;
  beforeAll(async () => {
    embedded = await startEmbedded({ codec, threads: 2, loops: 2, pollMs: 50 });
  });
  afterAll(() => embedded.stop());

  it("gives byte-identical results from a PNG, a striped TIFF and a tiled TIFF, decoding none of them whole", async () => {
    const photo = sharp(`${PHOTO_DIR}chelsea.png`);
    const sources = {
      png: await photo.clone().png().toBuffer(),
      "striped tiff": await photo.clone().tiff({ compression: "lzw" }).toBuffer(),
      "tiled tiff": await photo.clone().tiff({ tile: true, tileWidth: 128, tileHeight: 128, compression: "deflate" }).toBuffer(),
    };
    // A global op in the middle: its stage reads the first stage's bands, not the source.
    const steps = parsePipeline("gaussian-blur(sigma=2) | equalize | sobel");
    const image = await rgba(sources.png);
    const want = (await kernels()).run(image, steps).data;
    for (const [name, bytes] of Object.entries(sources)) {
      const job = await embedded.coordinator.submit(bytes, steps, { format: "png", tileSize: 64 });
      const done = await embedded.coordinator.wait(job.id);
      expect(done.status, done.error?.message).toBe("succeeded");
      const got = await rgba(await embedded.blobs.get(done.result as string));
      expect(`${name}: ${describeDiff(compare(got.data, want, image.width))}`).toBe(`${name}: max diff 0`);
    }
    expect(codec.decoded).toEqual([]);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`${REGION_TEMP_PREFIX}${process.pid}-`))).toEqual([]);
  });

  it("holds an opaque source's windows as RGB and a grey stage's layer as one byte a pixel, with run()'s result", async () => {
    /** Every blob's size as it was put (the stages' layers are deleted once read). */
    const sizes = new Map<string, number>();
    class Recording extends MemoryBlobStore {
      override async put(name: string, data: Uint8Array): Promise<void> {
        sizes.set(name, data.length);
        return super.put(name, data);
      }
    }
    const blobs = new Recording();
    const own = await startEmbedded({ codec, blobs, threads: 2, loops: 2, pollMs: 50 });
    try {
      const source = await sharp(`${PHOTO_DIR}chelsea.png`).removeAlpha().png().toBuffer();
      // Stage 0 (grayscale) ends in equalize: its layer is grey, and only stage 1 reads it.
      const steps = parsePipeline("grayscale | equalize | gaussian-blur(sigma=1) | sobel");
      const job = await own.coordinator.submit(source, steps, { format: "png", tileSize: 64 });
      const done = await own.coordinator.wait(job.id);
      expect(done.status, done.error?.message).toBe("succeeded");
      const image = await rgba(source);
      const got = await rgba(await blobs.get(done.result as string));
      expect(describeDiff(compare(got.data, (await kernels()).run(image, steps).data, image.width))).toBe("max diff 0");
      // Band 0 holds rows 0..64; stage 0 reads no halo.
      expect(sizes.get(`${sourceLayer(job.id)}/b0`)).toBe(64 * image.width * 3);
      expect(sizes.get(`${stageLayer(job.id, 0)}/b0`)).toBe(64 * image.width);

      // canny's edges go to the next stage as grey windows: band 0's is rows 0..65 (box-blur's halo).
      const edgeSteps = parsePipeline("canny | box-blur(radius=1)");
      const edgeJob = await own.coordinator.submit(source, edgeSteps, { format: "png", tileSize: 64 });
      const edgeDone = await own.coordinator.wait(edgeJob.id);
      expect(edgeDone.status, edgeDone.error?.message).toBe("succeeded");
      const edges = await rgba(await blobs.get(edgeDone.result as string));
      const wantEdges = (await kernels()).run(image, edgeSteps).data;
      expect(describeDiff(compare(edges.data, wantEdges, image.width))).toBe("max diff 0");
      expect(sizes.get(`${edgesLayer(edgeJob.id, 0)}/b0`)).toBe(65 * image.width);
      // ...and its classes go to the finish as a grey layer, as they do where canny ends the
      // pipeline; there the edges are encoded grey, in pieces (PNG) or in one go (WebP).
      expect(sizes.get(`${stageLayer(edgeJob.id, 0)}/b0`)).toBe(64 * image.width);
      const lastSteps = parsePipeline("gaussian-blur(sigma=1) | canny(low=30, high=90)");
      const wantLast = (await kernels()).run(image, lastSteps);
      for (const format of ["png", "webp"] as const) {
        const lastJob = await own.coordinator.submit(source, lastSteps, { format, tileSize: 64 });
        const lastDone = await own.coordinator.wait(lastJob.id);
        expect(lastDone.status, lastDone.error?.message).toBe("succeeded");
        expect(sizes.get(`${stageLayer(lastJob.id, 0)}/b0`)).toBe(64 * image.width);
        const got = await rgba(await blobs.get(lastDone.result as string));
        const want = format === "png" ? wantLast : await rgba(await codec.encode(wantLast, "webp", resultEncoding(lastDone)));
        expect(`${format}: ${describeDiff(compare(got.data, want.data, image.width))}`).toBe(`${format}: max diff 0`);
      }
    } finally {
      await own.stop();
    }
  });

  /** The pixels of a job's PNG result. */
  const resultOf = async (source: Uint8Array, steps: ReturnType<typeof parsePipeline>) => {
    const job = await embedded.coordinator.submit(source, steps, { format: "png", tileSize: 64 });
    const done = await embedded.coordinator.wait(job.id);
    return rgba(await embedded.blobs.get(done.result as string));
  };

  it("takes a source as a file, read where it lies, and releases the file once the job no longer reads it", async () => {
    const photo = sharp(`${PHOTO_DIR}coffee.png`);
    const steps = parsePipeline("gaussian-blur(sigma=1) | sobel");
    const want = (await kernels()).run(await rgba(await photo.clone().png().toBuffer()), steps).data;
    const dir = mkdtempSync(join(tmpdir(), "tessera-test-files-"));
    try {
      for (const [name, bytes] of [
        ["jpeg", await photo.clone().jpeg({ quality: 95 }).toBuffer()],
        ["png", await photo.clone().png().toBuffer()],
        [
          "tiled tiff",
          await photo.clone().tiff({ tile: true, tileWidth: 64, tileHeight: 64, compression: "deflate" }).toBuffer(),
        ],
      ] as const) {
        const path = join(dir, name);
        writeFileSync(path, bytes);
        let released = 0;
        const job = await embedded.coordinator.submit(
          fileSource(path, async () => void released++),
          steps,
          {
            format: "png",
            tileSize: 64,
          },
        );
        const done = await embedded.coordinator.wait(job.id);
        expect(done.status, done.error?.message).toBe("succeeded");
        expect(released, `${name}: released once the job no longer reads it`).toBe(1);
        const got = await rgba(await embedded.blobs.get(done.result as string));
        // The JPEG is lossy: compared with its own bytes submitted from memory instead.
        const expected = name === "jpeg" ? (await resultOf(new Uint8Array(bytes), steps)).data : want;
        expect(`${name}: ${describeDiff(compare(got.data, expected, got.width))}`).toBe(`${name}: max diff 0`);
      }
      // A file that is not an image is refused at submit, and released all the same.
      const bad = join(dir, "bad");
      writeFileSync(bad, "not an image at all");
      let released = 0;
      await expect(
        embedded.coordinator.submit(
          fileSource(bad, async () => void released++),
          steps,
          { format: "png" },
        ),
      ).rejects.toMatchObject({ code: "NOT_AN_IMAGE" });
      expect(released).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a truncated PNG at submit, before the job exists", async () => {
    const png = await sharp(`${PHOTO_DIR}coffee.png`).png().toBuffer();
    const before = embedded.coordinator.list().length;
    await expect(
      embedded.coordinator.submit(png.subarray(0, png.length >> 1), parsePipeline("invert"), { format: "png" }),
    ).rejects.toMatchObject({
      code: "CORRUPT_IMAGE",
    });
    expect(embedded.coordinator.list().length).toBe(before);
  });
});
