// A TIFF result joined as a stream (Codec.joinStream into BlobStore.putStream with a head) is
// the same file, byte for byte, as the in-memory join; it takes the pieces one at a time; and
// a store that stops reading mid-way fails the join instead of leaving it waiting.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RgbaImage } from "@tessera/kernels";
import { afterAll, describe, expect, it } from "vitest";
import type { BlobStore } from "../../engine/ports/blob-store.js";
import { FsBlobStore } from "../../infra/adapters/fs-blob-store.js";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { gradient, loadPhoto } from "../helpers/images.js";

const codec = new SharpCodec();
const dir = mkdtempSync(join(tmpdir(), "tessera-joined-stream-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The photo's rows [y0, y1) as a band. */
const rows = (image: RgbaImage, y0: number, y1: number): RgbaImage => ({
  width: image.width,
  height: y1 - y0,
  data: image.data.subarray(y0 * image.width * 4, y1 * image.width * 4),
});

async function piecesOf(image: RgbaImage, bandRows: number): Promise<Uint8Array[]> {
  const pieces: Uint8Array[] = [];
  for (let band = 0, y = 0; y < image.height; band++, y += bandRows) {
    const band_ = rows(image, y, Math.min(image.height, y + bandRows));
    pieces.push(await codec.encodePiece(band_, "tiff", { band, bandRows, height: image.height, opaque: true }));
  }
  return pieces;
}

describe("a pyramidal TIFF joined as a stream", () => {
  const stores: [string, () => BlobStore][] = [
    ["memory", () => new MemoryBlobStore()],
    ["filesystem", () => new FsBlobStore(mkdtempSync(join(dir, "fs-")))],
  ];
  for (const [label, makeStore] of stores) {
    it(`is the in-memory join's file, byte for byte (${label} store)`, async () => {
      const image = await loadPhoto("coffee.png");
      const bandRows = 128;
      const pieces = await piecesOf(image, bandRows);
      const whole = await codec.join("tiff", pieces, image.width, image.height, bandRows, { opaque: true });
      const store = makeStore();
      const joined = codec.joinStream("tiff", pieces, image.width, image.height, bandRows, { opaque: true });
      const info = await store.putStream("result.tif", joined.data, joined.head ? { head: joined.head } : {});
      expect(info.size).toBe(whole.byteLength);
      const stored = await store.get("result.tif");
      expect(Buffer.compare(Buffer.from(stored), Buffer.from(whole))).toBe(0);
      // And sharp reads it as the image it was made from.
      const back = await sharp(stored);
      expect(back).toEqual({ width: image.width, height: image.height });
    });
  }

  it("streams the file out while later pieces are still unasked for", async () => {
    // Tall enough for several of the TIFF's 256-row tile rows.
    const image = gradient(300, 2048);
    const bandRows = 64;
    const pieces = await piecesOf(image, bandRows);
    let handedOut = 0;
    async function* lazily(): AsyncGenerator<Uint8Array> {
      for (const piece of pieces) {
        handedOut++;
        yield piece;
      }
    }
    const joined = codec.joinStream("tiff", lazily(), image.width, image.height, bandRows, { opaque: true });
    // A join that gathered every piece before writing (and so held the whole file) fails here.
    const askedAtFirstChunk: number[] = [];
    for await (const _ of joined.data) askedAtFirstChunk.push(handedOut);
    expect(askedAtFirstChunk[0]).toBeLessThan(pieces.length / 2);
    expect(handedOut).toBe(pieces.length);
    expect(joined.head?.value().byteLength).toBe(16);
  });

  it("fails, instead of waiting forever, when its reader stops early", async () => {
    const image = await loadPhoto("coffee.png");
    const pieces = await piecesOf(image, 32);
    const joined = codec.joinStream("tiff", pieces, image.width, image.height, 32, { opaque: true });
    for await (const _ of joined.data) break;
    // The head is never written: the join stopped.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(() => joined.head?.value()).toThrow("ended without writing its header");
  });
});

/** The size sharp reads from a TIFF's first IFD. */
async function sharp(bytes: Uint8Array): Promise<{ width?: number; height?: number }> {
  const { default: sharpLib } = await import("sharp");
  const meta = await sharpLib(bytes).metadata();
  return { width: meta.width, height: meta.height };
}
