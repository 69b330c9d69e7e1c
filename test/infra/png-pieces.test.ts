// PNG results encoded band by band and joined: the file decodes (sharp, i.e. libpng) to exactly
// the image, for every channel count, odd sizes and any way of cutting it into bands.

import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodePngPiece, joinPngPieces, type PngChannels } from "../../infra/adapters/png-pieces.js";
import { loadPhoto } from "../helpers/images.js";

async function encodeInBands(
  image: { width: number; height: number; data: Uint8ClampedArray },
  rows: number,
  channels: PngChannels,
) {
  const pieces: Uint8Array[] = [];
  for (let y0 = 0; y0 < image.height; y0 += rows) {
    const y1 = Math.min(image.height, y0 + rows);
    const data = image.data.subarray(y0 * image.width * 4, y1 * image.width * 4);
    pieces.push(await encodePngPiece({ width: image.width, height: y1 - y0, data }, channels));
  }
  return joinPngPieces(pieces, image.width, image.height, channels);
}

/** The image's first `channels` samples of every pixel. */
function samples(image: { data: Uint8ClampedArray }, channels: PngChannels): Uint8Array {
  const out = new Uint8Array((image.data.length / 4) * channels);
  for (let i = 0, o = 0; i < image.data.length; i += 4) for (let c = 0; c < channels; c++) out[o++] = image.data[i + c] as number;
  return out;
}

describe("PNG pieces", () => {
  it("join into a PNG that decodes to the image exactly: grey, RGB and RGBA, bands of any height", async () => {
    const photo = await loadPhoto("chelsea.png");
    for (const channels of [1, 3, 4] as const) {
      for (const rows of [1, 7, 64, 300, 1000]) {
        const png = await encodeInBands(photo, rows, channels);
        const meta = await sharp(png).metadata();
        expect([meta.width, meta.height, meta.channels]).toEqual([photo.width, photo.height, channels]);
        // (sharp hands a grey image out as sRGB unless asked for its one channel)
        const decoder = channels === 1 ? sharp(png).extractChannel(0) : sharp(png);
        const { data } = await decoder.raw().toBuffer({ resolveWithObject: true });
        expect(Buffer.compare(data, Buffer.from(samples(photo, channels))), `${channels} channels, bands of ${rows}`).toBe(0);
      }
    }
  });

  it("handles 1×1, one row, one column and alpha that varies", async () => {
    for (const [width, height] of [
      [1, 1],
      [257, 1],
      [1, 300],
    ] as const) {
      const data = new Uint8ClampedArray(width * height * 4).map((_, i) => (i * 97 + 13) % 256);
      const png = await encodeInBands({ width, height, data }, 64, 4);
      const { data: back } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      expect(Buffer.compare(back, Buffer.from(data)), `${width}×${height}`).toBe(0);
    }
  });

  it("refuses a truncated piece, naming its band", () => {
    expect(() => joinPngPieces([new Uint8Array(3)], 1, 1, 1)).toThrow("PNG piece of band 0 is 3 bytes: truncated");
  });
});
