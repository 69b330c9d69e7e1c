/**
 * How many kernel threads `tessera process` starts, decided before sharp is loaded so the pool
 * can boot alongside it: no more than the image has tiles. A thread costs a V8 isolate and
 * 60–90 ms of boot (and its teardown at exit), so a small image on a 16-core machine should
 * not start 16 of them. Small PNGs and JPEGs state their size in their first bytes; any other
 * input, or a file too big to be a few tiles, gets every thread asked for. An image of one tile
 * gets none: its kernels run on the main thread.
 */

import { readFile, stat } from "node:fs/promises";
import { readJpegLayout } from "../infra/adapters/jpeg/markers.js";

/** Files above this are read by the codec only: an image this size is rarely a few tiles. */
const SMALL_FILE_BYTES = 4 * 1024 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR or a JPEG's frame header; undefined for anything else. */
export function statedSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length >= 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  const jpeg = readJpegLayout(bytes);
  return typeof jpeg === "string" ? undefined : { width: jpeg.width, height: jpeg.height };
}

/** At most `requested`, and no more than the image at `input` has tiles of `tileSize`. */
export async function threadsFor(input: string, requested: number, tileSize: number): Promise<number> {
  return (await poolFor(input, requested, tileSize)).threads;
}

/**
 * The pool for `tessera process` on `input`: threads as threadsFor says, and `inline` (no
 * threads at all, the kernels on the main thread) when the image is a single tile, whose
 * kernels take less than one thread's boot.
 */
export async function poolFor(input: string, requested: number, tileSize: number): Promise<{ threads: number; inline: boolean }> {
  const tiles = await statedTiles(input, tileSize);
  if (tiles === undefined) return { threads: requested, inline: false };
  return { threads: Math.max(1, Math.min(requested, tiles)), inline: tiles === 1 };
}

/** Tiles of `tileSize` in the image at `input`, where a small file's header states its size. */
async function statedTiles(input: string, tileSize: number): Promise<number | undefined> {
  try {
    if ((await stat(input)).size > SMALL_FILE_BYTES) return undefined;
    const size = statedSize(await readFile(input));
    if (!size || size.width < 1 || size.height < 1) return undefined;
    return Math.ceil(size.width / tileSize) * Math.ceil(size.height / tileSize);
  } catch {
    return undefined; // a missing or unreadable input is reported by the preflight, with its own words
  }
}
