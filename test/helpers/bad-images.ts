// Hostile and broken inputs, made in code so the suite needs no fixture files.

import { readFileSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { PHOTO_DIR } from "./images.js";

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A real decompression bomb: a valid 1-bit PNG of side × side black pixels whose zlib stream
 * of zeros is a few kilobytes (20000² is 400 MP; decoded to RGBA it would be 1.6 GB).
 */
export function pngBomb(side = 20000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.writeUInt8(1, 8); // bit depth 1
  ihdr.writeUInt8(0, 9); // greyscale
  const rowBytes = 1 + Math.ceil(side / 8); // filter byte + packed pixels
  const raw = Buffer.alloc(rowBytes * side); // all zero: filter 0, black
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export const photoBytes = (name: string): Buffer => readFileSync(PHOTO_DIR + name);

/** The first `fraction` of a file: a header that parses and data that ends too early. */
export const truncated = (bytes: Buffer, fraction = 0.3): Buffer => bytes.subarray(0, Math.floor(bytes.length * fraction));

export async function encoded(format: "webp" | "tiff" | "gif" | "png", width = 64, height = 48): Promise<Buffer> {
  return sharp(photoBytes("coffee.png")).resize(width, height, { fit: "fill" }).toFormat(format).toBuffer();
}
