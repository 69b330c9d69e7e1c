/**
 * A PNG result encoded band by band, in parallel, and joined without decoding (as pigz does for
 * gzip). A PNG's pixels are one zlib stream of filtered rows; a deflate stream can be cut at any
 * byte-aligned flush, and its Adler-32 checksum combined from the pieces' own. So each band's
 * worker filters its rows and deflates them ending in a sync flush (not a final block), and the
 * coordinator writes the header, the pieces one after another, an empty final block and the
 * combined checksum. The file differs from libpng's bytes but decodes to the same pixels.
 *
 * Filters: Paeth for every row but a band's first, which uses Sub, since Paeth and Up read
 * the row above, which belongs to another band. Deflate: level 6 with the Z_RLE strategy:
 * after Paeth a photograph's residuals have few long matches, and on a 24 MP RGB result it
 * took the bands' encoding from 14.4 s to 3.6 s (summed) for a file 6% larger, still 6% smaller
 * than libpng's through sharp.
 */

import { promisify } from "node:util";
import { constants, crc32, deflateRaw } from "node:zlib";

const deflate = promisify(deflateRaw);
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** IDAT chunks are at most this long (PNG allows 2^31 - 1; readers stream them either way). */
const MAX_IDAT = 1 << 30;
const ADLER_BASE = 65521;

/** How many bytes a pixel has: grey, RGB or RGBA (8 bits each). */
export type PngChannels = 1 | 3 | 4;

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    // 5552 bytes is the most that can be summed before b could overflow 32 bits (zlib's NMAX).
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i] as number;
      b += a;
    }
    a %= ADLER_BASE;
    b %= ADLER_BASE;
  }
  return ((b << 16) | a) >>> 0;
}

/** The Adler-32 of two sequences one after the other, from theirs (zlib's adler32_combine). */
function adler32Combine(first: number, second: number, secondLength: number): number {
  const rem = secondLength % ADLER_BASE;
  let sum1 = first & 0xffff;
  let sum2 = (rem * sum1) % ADLER_BASE;
  sum1 += (second & 0xffff) + ADLER_BASE - 1;
  sum2 += ((first >>> 16) & 0xffff) + ((second >>> 16) & 0xffff) + ADLER_BASE - rem;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum2 >= 2 * ADLER_BASE) sum2 -= 2 * ADLER_BASE;
  if (sum2 >= ADLER_BASE) sum2 -= ADLER_BASE;
  return ((sum2 << 16) | sum1) >>> 0;
}

const paeth = (a: number, b: number, c: number): number => {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/** The band's rows as PNG scanlines: a filter byte, then the filtered samples of `channels` per pixel. */
function filterRows(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: PngChannels,
  from: PngChannels,
): Uint8Array {
  const stride = width * channels;
  const raw = new Uint8Array(stride); // this row, `channels` samples a pixel
  const above = new Uint8Array(stride);
  const out = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    if (from === channels) raw.set(pixels.subarray(y * stride, (y + 1) * stride));
    else {
      for (let x = 0, i = y * width * from; x < width; x++, i += from)
        for (let c = 0; c < channels; c++) raw[x * channels + c] = pixels[i + c] as number;
    }
    const row = y * (stride + 1);
    const first = y === 0;
    out[row] = first ? 1 : 4; // Sub, else Paeth
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? (raw[i - channels] as number) : 0;
      const predicted = first ? left : paeth(left, above[i] as number, i >= channels ? (above[i - channels] as number) : 0);
      out[row + 1 + i] = ((raw[i] as number) - predicted) & 0xff;
    }
    above.set(raw);
  }
  return out;
}

/** A band's piece: its Adler-32 and filtered length (8 bytes), then its deflate data (sync-flushed). */
export async function encodePngPiece(
  band: { width: number; height: number; channels?: PngChannels; data: Uint8Array | Uint8ClampedArray },
  channels: PngChannels,
): Promise<Uint8Array> {
  const filtered = filterRows(band.data, band.width, band.height, channels, band.channels ?? 4);
  const compressed = await deflate(filtered, { level: 6, strategy: constants.Z_RLE, finishFlush: constants.Z_SYNC_FLUSH });
  const piece = new Uint8Array(8 + compressed.length);
  const view = new DataView(piece.buffer);
  view.setUint32(0, adler32(filtered));
  view.setUint32(4, filtered.length);
  piece.set(compressed, 8);
  return piece;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The PNG file of the bands' pieces, top to bottom. */
export function joinPngPieces(pieces: readonly Uint8Array[], width: number, height: number, channels: PngChannels): Uint8Array {
  let adler = 1; // of nothing
  const parts: Uint8Array[] = [new Uint8Array([0x78, 0x9c])]; // zlib header: deflate, 32 KB window, default level
  for (const [band, piece] of pieces.entries()) {
    if (piece.length < 8) throw new Error(`PNG piece of band ${band} is ${piece.length} bytes: truncated`);
    const view = new DataView(piece.buffer, piece.byteOffset, piece.byteLength);
    adler = adler32Combine(adler, view.getUint32(0), view.getUint32(4));
    parts.push(piece.subarray(8));
  }
  const trailer = new Uint8Array(7);
  trailer.set([0x03, 0x00], 0); // an empty final block (fixed Huffman, end of block only)
  new DataView(trailer.buffer).setUint32(3, adler);
  parts.push(trailer.subarray(0, 2), trailer.subarray(3));
  const stream = concat(parts);
  const header = new Uint8Array(13);
  const h = new DataView(header.buffer);
  h.setUint32(0, width);
  h.setUint32(4, height);
  header.set([8, channels === 1 ? 0 : channels === 3 ? 2 : 6, 0, 0, 0], 8); // 8 bits; grey, RGB or RGBA
  const idats: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += MAX_IDAT) idats.push(chunk("IDAT", stream.subarray(at, at + MAX_IDAT)));
  return concat([new Uint8Array(SIGNATURE), chunk("IHDR", header), ...idats, chunk("IEND", new Uint8Array(0))]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
