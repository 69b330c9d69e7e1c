// A job whose result is a TIFF: the last stage's workers compress their bands' tiles, the
// coordinator joins them into a tiled pyramidal BigTIFF. Its first page is run() exactly, and
// the file is the same bytes whatever the tile size (so whatever the bands).

import { parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { type Embedded, startEmbedded } from "../../roles/embedded.js";
import { compare, describe as describeDiff, loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

describe("pyramidal TIFF results", () => {
  let embedded: Embedded;
  beforeAll(async () => {
    embedded = await startEmbedded({ codec: new SharpCodec(), threads: 2, loops: 2, pollMs: 50 });
  });
  afterAll(() => embedded.stop());

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
