// A final band comes to the encoder either as RGBA or already in the channels the result stores
// (grey, or RGB when opaque): the pool threads pack each tile's core (Kernels.runWindow with a
// one- or three-channel target, workers/band-runner.ts resultChannels), so the band takes a
// quarter (grey) or three quarters (RGB) of the memory. Both must make the same piece, byte for
// byte, in every format encoded in pieces. And a JPEG piece decodes to RGB, as decode() less alpha.

import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { OutputFormat } from "../../engine/ports/codec.js";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { PHOTO_DIR } from "../helpers/images.js";

const FORMATS: OutputFormat[] = ["png", "tiff", "dzi", "jpeg"];

/** A band of a photo as RGBA (opaque), and the same band as grey (R kept) and as RGB. */
async function bands() {
  const { data, info } = await sharp(`${PHOTO_DIR}coffee.png`)
    .resize(300, 256, { fit: "fill" })
    .ensureAlpha(1)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const rgba = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  // Grey: R copied into G and B, so the RGBA band is grey and its compact form is R.
  const greyRgba = rgba.map((_, i) => ((i & 3) === 3 ? 255 : (rgba[i & ~3] as number)));
  const grey = new Uint8ClampedArray(n).map((_, p) => rgba[p * 4] as number);
  const rgb = new Uint8ClampedArray(n * 3).map((_, i) => rgba[Math.floor(i / 3) * 4 + (i % 3)] as number);
  const size = { width: info.width, height: info.height };
  return {
    colour: { rgba: { ...size, data: rgba }, compact: { ...size, channels: 3 as const, data: rgb }, grey: false },
    grey: { rgba: { ...size, data: greyRgba }, compact: { ...size, channels: 1 as const, data: grey }, grey: true },
  };
}

describe("a band packed by the threads encodes as the RGBA band does", () => {
  for (const format of FORMATS) {
    it(`${format}: grey and RGB bands`, async () => {
      const codec = new SharpCodec();
      for (const kind of Object.values(await bands())) {
        const options = { grey: kind.grey, opaque: true, bandRows: 256, band: 0, height: 256 };
        const fromRgba = await codec.encodePiece(kind.rgba, format, options);
        const fromCompact = await codec.encodePiece(kind.compact, format, options);
        expect(Buffer.compare(Buffer.from(fromCompact), Buffer.from(fromRgba))).toBe(0);
      }
    });
  }

  it("refuses a band in channels the result does not store", async () => {
    const { colour } = await bands();
    const options = { grey: true, opaque: true, bandRows: 256, band: 0, height: 256 };
    await expect(new SharpCodec().encodePiece(colour.compact, "png", options)).rejects.toThrow(
      "a band of 3 channels for a result that stores 1",
    );
  });
});

// The decode side: a JPEG piece has no alpha, so the workers decode it as RGB (decodeOpaque),
// which must be decode()'s pixels less their alpha, whatever the JPEG's colour model.
describe("decodeOpaque", () => {
  it("gives decode()'s pixels without alpha for colour, grey and CMYK JPEGs", async () => {
    const codec = new SharpCodec();
    const photo = sharp(`${PHOTO_DIR}rocket.jpg`).resize(200);
    const jpegs = {
      colour: await photo.clone().jpeg({ quality: 90 }).toBuffer(),
      grey: await photo.clone().greyscale().jpeg({ quality: 90 }).toBuffer(),
      cmyk: await photo.clone().toColourspace("cmyk").jpeg({ quality: 90 }).toBuffer(),
    };
    for (const [name, jpeg] of Object.entries(jpegs)) {
      const bytes = new Uint8Array(jpeg);
      const rgba = await codec.decode(bytes);
      const rgb = await codec.decodeOpaque(bytes);
      expect([rgb.width, rgb.height, rgb.channels], name).toEqual([rgba.width, rgba.height, 3]);
      const dropped = rgba.data.filter((_, i) => (i & 3) !== 3);
      expect(Buffer.compare(Buffer.from(rgb.data), Buffer.from(dropped)), name).toBe(0);
    }
  });

  it("refuses a truncated file as decode() does", async () => {
    const jpeg = await sharp(`${PHOTO_DIR}rocket.jpg`).resize(200).jpeg().toBuffer();
    const cut = new Uint8Array(jpeg.subarray(0, jpeg.length >> 1));
    await expect(new SharpCodec().decodeOpaque(cut)).rejects.toMatchObject({ code: "CORRUPT_IMAGE" });
  });
});
