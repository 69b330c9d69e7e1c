// Codec.regions on sharp: rows read on their own are the same bytes as the whole image decoded,
// a tiled TIFF is read tile by tile (never decoded whole), and a temporary tiled copy of any
// other image lives exactly as long as its reader.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Image } from "@tessera/kernels";
import sharp, { type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import { isTiledTiff, REGION_TEMP_PREFIX } from "../../infra/adapters/region-reader.js";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { removeStaleTempFiles } from "../../infra/adapters/temp-files.js";
import { PHOTO_DIR } from "../helpers/images.js";
import { fileSource } from "../helpers/source-file.js";

const codec = new SharpCodec();
/** A codec that copies every source it cannot read where it lies, as it does a large one. */
const copying = new SharpCodec({ decodeWholePixels: 0 });
const copies = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`${REGION_TEMP_PREFIX}${process.pid}-`));

/** The TIFF's first IFD entries as tag → [type, count, value or offset], little-endian classic TIFF only. */
function firstIfd(bytes: Uint8Array): Map<number, { type: number; count: number; value: number }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(view.getUint16(0)).toBe(0x4949);
  const ifd = view.getUint32(4, true);
  const tags = new Map<number, { type: number; count: number; value: number }>();
  for (let i = 0; i < view.getUint16(ifd, true); i++) {
    const at = ifd + 2 + i * 12;
    tags.set(view.getUint16(at, true), {
      type: view.getUint16(at + 2, true),
      count: view.getUint32(at + 4, true),
      value: view.getUint32(at + 8, true),
    });
  }
  return tags;
}

/** Overwrites the compressed bytes of tile `index` with garbage: decoding that tile fails. */
function spoilTile(bytes: Uint8Array, index: number): void {
  const tags = firstIfd(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets = tags.get(324) as { count: number; value: number };
  const counts = tags.get(325) as { count: number; value: number };
  expect(offsets.count).toBeGreaterThan(index);
  const offset = view.getUint32(offsets.value + index * 4, true);
  const length = view.getUint32(counts.value + index * 4, true);
  bytes.fill(0xa5, offset, offset + length);
}

async function wholeRows(bytes: Uint8Array, y0: number, y1: number): Promise<Uint8Array | Uint8ClampedArray> {
  const whole = await codec.decode(bytes);
  return whole.data.subarray(y0 * whole.width * 4, y1 * whole.width * 4);
}

/**
 * A region's rows as RGBA: an opaque image's come as RGB (alpha would be 255 throughout), and
 * must then say so; anything else as RGBA.
 */
function rgbaRows(reader: { opaque: boolean }, rows: Image): Uint8ClampedArray {
  expect(rows.channels).toBe(reader.opaque ? 3 : undefined);
  if (rows.channels !== 3) return rows.data as Uint8ClampedArray;
  const out = new Uint8ClampedArray(rows.width * rows.height * 4).fill(255);
  for (let p = 0; p < rows.width * rows.height; p++) out.set(rows.data.subarray(p * 3, p * 3 + 3), p * 4);
  return out;
}

describe("isTiledTiff", () => {
  it("tells tiled TIFFs and BigTIFFs from striped ones and from other formats, from the header", async () => {
    const photo = sharp(`${PHOTO_DIR}coffee.png`);
    const tiled = await photo.clone().tiff({ tile: true }).toBuffer();
    const bigTiled = await photo.clone().tiff({ tile: true, bigtiff: true }).toBuffer();
    const striped = await photo.clone().tiff().toBuffer();
    const bigStriped = await photo.clone().tiff({ bigtiff: true }).toBuffer();
    const inFile = async (bytes: Uint8Array) => {
      // libtiff writes the IFD after the pixels: read from a file, it is found by its offset.
      const path = join(tmpdir(), `tessera-test-tiff-${process.pid}-${Math.random()}`);
      writeFileSync(path, bytes);
      try {
        return await isTiledTiff(fileSource(path));
      } finally {
        rmSync(path, { force: true });
      }
    };
    for (const read of [isTiledTiff, inFile]) {
      expect(await Promise.all([tiled, bigTiled].map((b) => read(b)))).toEqual([true, true]);
      expect(await Promise.all([striped, bigStriped].map((b) => read(b)))).toEqual([false, false]);
      expect(await read(await photo.clone().png().toBuffer())).toBe(false);
      expect(await read(new Uint8Array([0x49, 0x49, 42, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(false);
    }
  });
});

describe("SharpCodec.regions", () => {
  const formats: [string, (s: Sharp) => Sharp][] = [
    ["tiled TIFF", (s) => s.tiff({ tile: true, tileWidth: 64, tileHeight: 64, compression: "deflate" })],
    ["striped TIFF", (s) => s.tiff({ compression: "lzw" })],
    ["PNG", (s) => s.png()],
    ["WebP (lossless)", (s) => s.webp({ lossless: true })],
    ["progressive JPEG", (s) => s.jpeg({ progressive: true })],
    ["EXIF-rotated JPEG", (s) => s.jpeg().withMetadata({ orientation: 6 })],
    ["16-bit PNG", (s) => s.toColourspace("rgb16").png()],
  ];
  for (const [name, encode] of formats)
    for (const [how, reading, fromFile] of [
      ["decoded whole", codec, false],
      ["copied", copying, false],
      ["copied, from its file", copying, true],
    ] as const) {
      it(`reads any rows of a ${name} byte-identical to the whole image decoded (${how})`, async () => {
        const bytes = await encode(sharp(`${PHOTO_DIR}chelsea.png`)).toBuffer();
        const file = join(tmpdir(), `tessera-test-source-${process.pid}-${Math.random()}`);
        if (fromFile) writeFileSync(file, bytes);
        const reader = await reading.regions(fromFile ? fileSource(file) : bytes);
        try {
          const whole = await codec.decode(bytes);
          expect([reader.width, reader.height]).toEqual([whole.width, whole.height]);
          for (const [y0, y1] of [
            [0, 1],
            [0, 64],
            [37, 101],
            [whole.height - 5, whole.height],
          ] as const) {
            expect(rgbaRows(reader, await reader.read(y0, y1))).toEqual(await wholeRows(bytes, y0, y1));
          }
          await expect(reader.read(10, 10)).rejects.toThrow(`rows 10..10 are not inside the image's ${whole.height} rows`);
        } finally {
          await reader.close();
          rmSync(file, { force: true });
        }
        expect(copies()).toEqual([]);
      });
    }

  it("reads a tiled TIFF tile by tile: a spoiled tile far away does not stop the rows above it", async () => {
    // JPEG-compressed tiles: libvips fails on a broken one, where a broken deflate tile is only
    // a warning (it would decode as garbage, and prove nothing here).
    const bytes = new Uint8Array(
      await sharp(`${PHOTO_DIR}astronaut.png`)
        .tiff({ tile: true, tileWidth: 64, tileHeight: 64, compression: "jpeg" })
        .toBuffer(),
    );
    const good = await wholeRows(bytes, 0, 128);
    const tiles = (firstIfd(bytes).get(324) as { count: number }).count;
    spoilTile(bytes, tiles - 1); // the bottom-right tile
    // Decoding the whole image now fails, so a reader that decoded it whole would fail too.
    await expect(codec.decode(bytes)).rejects.toThrow("could not be decoded");
    const reader = await codec.regions(bytes);
    try {
      expect(copies()).toEqual([]); // read where it lies, not copied
      expect(rgbaRows(reader, await reader.read(0, 128))).toEqual(good);
      await expect(reader.read(reader.height - 64, reader.height)).rejects.toMatchObject({ code: "CORRUPT_IMAGE" });
    } finally {
      await reader.close();
    }
  });

  it("keeps a temporary tiled copy of a large image of another format while open, and removes it on close", async () => {
    const png = await sharp(`${PHOTO_DIR}coins.png`).png().toBuffer();
    const { width = 0, height = 0 } = await sharp(png).metadata();
    const reader = await new SharpCodec({ decodeWholePixels: width * height - 1 }).regions(png);
    expect(copies()).toHaveLength(1);
    await reader.close();
    expect(copies()).toEqual([]);
  });

  it("decodes an image up to decodeWholePixels once, without a copy", async () => {
    const png = await sharp(`${PHOTO_DIR}coins.png`).png().toBuffer();
    const { width = 0, height = 0 } = await sharp(png).metadata();
    const reader = await new SharpCodec({ decodeWholePixels: width * height }).regions(png);
    try {
      expect(copies()).toEqual([]);
      expect(rgbaRows(reader, await reader.read(5, 9))).toEqual(await wholeRows(png, 5, 9));
    } finally {
      await reader.close();
    }
  });

  for (const [how, reading] of [
    ["decoded whole", codec],
    ["copied", copying],
  ] as const)
    it(`refuses a truncated PNG when opened, leaving no temporary file (${how})`, async () => {
      const png = await sharp(`${PHOTO_DIR}coffee.png`).png().toBuffer();
      await expect(reading.regions(png.subarray(0, Math.floor(png.length / 2)))).rejects.toMatchObject({
        code: "CORRUPT_IMAGE",
      });
      expect(copies()).toEqual([]);
    });

  it("checks the pixel limit from the header before reading anything", async () => {
    const small = new SharpCodec({ maxPixels: 1000 });
    await expect(small.regions(await sharp(`${PHOTO_DIR}coins.png`).png().toBuffer())).rejects.toMatchObject({
      code: "TOO_MANY_PIXELS",
    });
    expect(copies()).toEqual([]);
  });
});

describe("removeStaleTempFiles", () => {
  it("removes the copies of processes that are gone, and keeps this process's", async () => {
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    const stale = join(tmpdir(), `${REGION_TEMP_PREFIX}${gone}-test.tif`);
    const mine = join(tmpdir(), `${REGION_TEMP_PREFIX}${process.pid}-test.tif`);
    writeFileSync(stale, "x");
    writeFileSync(mine, "x");
    try {
      await removeStaleTempFiles(tmpdir(), REGION_TEMP_PREFIX);
      expect([existsSync(stale), existsSync(mine)]).toEqual([false, true]);
    } finally {
      rmSync(mine, { force: true });
      rmSync(stale, { force: true });
    }
  });
});
