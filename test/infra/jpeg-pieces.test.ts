// A band of a result as JPEG pieces (infra/adapters/jpeg/pieces.ts, SharpCodec.encodePiece and
// join): how many rows a piece gets, the blob that carries a band's pieces, and a band too wide
// for one restart interval, split into shorter pieces that still join into the whole image.

import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { jpegPieceRows, packPieces, unpackPieces } from "../../infra/adapters/jpeg/pieces.js";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { compare, describe as describeDiff, PHOTO_DIR } from "../helpers/images.js";

const colour = { width: 16, height: 16 };
const grey = { width: 8, height: 8 };

describe("jpegPieceRows", () => {
  it("divides the band into whole MCU rows, at most 256 rows, within 65535 MCUs a piece", () => {
    expect(jpegPieceRows(6000, 512, colour)).toBe(256);
    expect(jpegPieceRows(6000, 64, colour)).toBe(64);
    expect(jpegPieceRows(6000, 48, colour)).toBe(48);
    // 10000 wide, grey: 1250 MCUs a row, so 256 rows (40000 MCUs) fit and 512 (80000) do not.
    expect(jpegPieceRows(10000, 512, grey)).toBe(256);
    // 16400 wide, grey: 2050 MCUs a row; 256 rows would be 65600 MCUs, so 128.
    expect(jpegPieceRows(16400, 512, grey)).toBe(128);
    // One MCU row of a 524280-wide grey image is 65535 MCUs: the widest that can join.
    expect(jpegPieceRows(524_280, 512, grey)).toBe(8);
    expect(jpegPieceRows(524_288, 512, grey)).toBeUndefined();
  });

  it("refuses bands that are not whole MCU rows", () => {
    expect(jpegPieceRows(6000, 100, colour)).toBeUndefined();
    expect(jpegPieceRows(6000, 17, grey)).toBeUndefined();
    expect(jpegPieceRows(6000, 0, grey)).toBeUndefined();
  });
});

describe("packPieces / unpackPieces", () => {
  it("round-trips any number of pieces, empty ones included", () => {
    const pieces = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7)];
    expect(unpackPieces(packPieces(pieces)).map((p) => [...p])).toEqual(pieces.map((p) => [...p]));
    expect(unpackPieces(packPieces([]))).toEqual([]);
  });

  it("says what is wrong with a blob that is not a band of pieces", () => {
    expect(() => unpackPieces(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]))).toThrow(
      "not a band of JPEG pieces (no TJP1 header)",
    );
    const packed = packPieces([new Uint8Array(10)]);
    expect(() => unpackPieces(packed.subarray(0, packed.length - 1))).toThrow("JPEG piece 0 of 1 is truncated");
  });
});

describe("SharpCodec pieces", () => {
  it("joins a grey result too wide for one restart interval a band, from shorter pieces", async () => {
    const codec = new SharpCodec({ maxPixels: 20_000_000 });
    // 16400 × 700, grey: bands of 512 rows are encoded as pieces of 128 (see above).
    const { data, info } = await sharp(`${PHOTO_DIR}camera.png`)
      .resize(16400, 700, { fit: "fill" })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const image = {
      width: info.width,
      height: info.height,
      data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    };
    expect(codec.canJoin("jpeg", image.width, 512, { grey: true })).toBe(true);
    const bands = [
      { y0: 0, y1: 512 },
      { y0: 512, y1: 700 },
    ].map(({ y0, y1 }) => ({
      width: image.width,
      height: y1 - y0,
      data: image.data.subarray(y0 * image.width * 4, y1 * image.width * 4),
    }));
    const encoded = await Promise.all(
      bands.map((b, band) => codec.encodePiece(b, "jpeg", { grey: true, bandRows: 512, band, height: image.height })),
    );
    expect(encoded.map((b) => unpackPieces(b).length)).toEqual([4, 2]);
    const joined = await codec.join("jpeg", encoded, image.width, image.height, 512);
    const whole = await codec.encode(image, "jpeg", { grey: true });
    const [a, b] = await Promise.all([codec.decode(joined), codec.decode(whole)]);
    expect([a.width, a.height]).toEqual([16400, 700]);
    expect(describeDiff(compare(a.data, b.data, a.width))).toBe("max diff 0");
  });

  it("refuses to encode pieces that could not join", async () => {
    const codec = new SharpCodec();
    const band = { width: 64, height: 50, data: new Uint8ClampedArray(64 * 50 * 4) };
    expect(codec.canJoin("jpeg", 64, 50)).toBe(false);
    expect(codec.canJoin("webp", 64, 64)).toBe(false);
    await expect(codec.encodePiece(band, "jpeg", { bandRows: 50, band: 0, height: 50 })).rejects.toThrow(
      "a 64-wide jpeg result in bands of 50 rows cannot be encoded in pieces; check canJoin first",
    );
  });
});

describe("SharpCodec pieces of a pyramidal TIFF result", () => {
  it("joins bands encoded apart into a tiled BigTIFF pyramid whose first page is the image, exactly", async () => {
    const codec = new SharpCodec();
    const { data, info } = await sharp(`${PHOTO_DIR}chelsea.png`).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const image = {
      width: info.width,
      height: info.height,
      data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    };
    const bandRows = 128;
    expect(codec.canJoin("tiff", image.width, bandRows)).toBe(true);
    const encoded = await Promise.all(
      Array.from({ length: Math.ceil(image.height / bandRows) }, (_, band) => {
        const y0 = band * bandRows;
        const y1 = Math.min(image.height, y0 + bandRows);
        const rows = {
          width: image.width,
          height: y1 - y0,
          data: image.data.subarray(y0 * image.width * 4, y1 * image.width * 4),
        };
        return codec.encodePiece(rows, "tiff", { bandRows, band, height: image.height });
      }),
    );
    const file = await codec.join("tiff", encoded, image.width, image.height, bandRows);
    const meta = await sharp(file).metadata();
    expect([meta.format, meta.pages, meta.width, meta.height]).toEqual(["tiff", 2, image.width, image.height]);
    const page0 = await codec.decode(file);
    expect(describeDiff(compare(page0.data, image.data, image.width))).toBe("max diff 0");
  });
});
