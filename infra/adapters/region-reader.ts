/**
 * Rows of an encoded image (its bytes, or its file), decoded without decoding the rest of it
 * (Codec.regions). A tiled TIFF shown as stored is read where it lies: libvips reads only the
 * tiles a region crosses. Anything else is rewritten once, streaming (libvips reads it sequentially and writes a row of
 * tiles at a time), as an uncompressed tiled TIFF in a temporary file, and read from there. So
 * a large source that cannot be cut at the bitstream level (see ./jpeg) is still never decoded
 * into one buffer: memory holds the rows asked for, not the image. A small one (up to the
 * codec's decodeWholePixels) is decoded whole instead: one decode, where the copy costs a
 * decode, a write and a read back.
 */

import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Image } from "@tessera/kernels";
import sharp, { type Sharp } from "sharp";
import { CodecError, type EncodedSource, type ImageHeader, type RegionReader } from "../../engine/ports/codec.js";
import { sharpInput, withReadAt } from "./source-input.js";
import { removeStaleTempFiles } from "./temp-files.js";

/** Temporary tiled copies are named with this prefix in the OS's temporary folder. */
export const REGION_TEMP_PREFIX = "tessera-regions-";
/** Tile side of the temporary copy: a band of 512 rows reads two rows of tiles. */
const TEMP_TILE = 256;

/** Runs decodes within the codec's concurrency limit. */
export type RunSlot = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * The same colour handling as SharpCodec.decode, so that a region is byte-identical to the
 * same rows of the whole image decoded; without the alpha channel when the image is opaque
 * (its alpha would be 255 throughout): RGB, a quarter less to hold, store and read.
 */
const upright = (image: Sharp, opaque: boolean): Sharp => {
  const srgb = image.autoOrient().toColourspace("srgb");
  return opaque ? srgb : srgb.ensureAlpha();
};

/** Rows decoded as sharp gives them: RGBA, or RGB (an opaque image's). */
function rowsImage(width: number, height: number, channels: number, bytes: Uint8Array): Image {
  if (channels !== 3 && channels !== 4) throw new Error(`rows decoded to ${channels} channels, not RGB or RGBA`);
  const data = new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.length);
  return channels === 3 ? { width, height, channels, data } : { width, height, data };
}

/**
 * Whether `source` is a TIFF whose first image is stored in tiles (TileWidth, tag 322, in its
 * first IFD), read from the header alone (the IFD may lie anywhere in the file: libtiff writes
 * it after the pixels). Classic TIFF and BigTIFF, either byte order.
 */
export function isTiledTiff(source: EncodedSource): Promise<boolean> {
  return withReadAt(source, async (read) => {
    const head = await read(0, 16);
    if (head.length < 16) return false;
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const order = view.getUint16(0);
    if (order !== 0x4949 && order !== 0x4d4d) return false;
    const little = order === 0x4949;
    const magic = view.getUint16(2, little);
    const big = magic === 43;
    if (magic !== 42 && !big) return false;
    const ifdAt = big ? Number(view.getBigUint64(8, little)) : view.getUint32(4, little);
    const countBytes = big ? 8 : 2;
    const entryBytes = big ? 20 : 12;
    const countField = await read(ifdAt, countBytes);
    if (countField.length < countBytes) return false;
    const counts = new DataView(countField.buffer, countField.byteOffset, countField.byteLength);
    const count = big ? Number(counts.getBigUint64(0, little)) : counts.getUint16(0, little);
    // Tags are sorted (TIFF 6.0) and fewer than 40 come before 322: the first 64 entries hold
    // it when it is there (a BigTIFF's count is 64 bits; nothing is read for a forged one).
    const entries = await read(ifdAt + countBytes, Math.min(count, 64) * entryBytes);
    const tags = new DataView(entries.buffer, entries.byteOffset, entries.byteLength);
    for (let at = 0; at + 2 <= entries.length; at += entryBytes) if (tags.getUint16(at, little) === 322) return true;
    return false;
  });
}

/** Regions read straight from a tiled TIFF where it lies, in memory or in its file. */
function tiledRegions(source: EncodedSource, header: SourceHeader, slot: RunSlot): RegionReader {
  return readerOver(
    header,
    slot,
    () => sharp(sharpInput(source), { limitInputPixels: false, failOn: "truncated" }),
    async () => {},
  );
}

/** Regions read from a tiled, uncompressed copy of the image written once to a temporary file. */
async function copiedRegions(
  source: EncodedSource,
  header: SourceHeader,
  slot: RunSlot,
  sweeping: Promise<void>,
): Promise<RegionReader> {
  await sweeping;
  const path = join(tmpdir(), `${REGION_TEMP_PREFIX}${process.pid}-${randomUUID()}.tif`);
  try {
    await decodeAll(source, header.opaque, slot, (image) =>
      image.tiff({ tile: true, tileWidth: TEMP_TILE, tileHeight: TEMP_TILE, compression: "none", bigtiff: true }).toFile(path),
    );
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return readerOver(
    header,
    slot,
    () => sharp(path, { limitInputPixels: false }),
    () => rm(path, { force: true }),
  );
}

/** Regions copied out of the whole source, decoded once (a small one: see decodeWholePixels). */
async function decodedRegions(source: EncodedSource, header: SourceHeader, slot: RunSlot): Promise<RegionReader> {
  const { data: whole, info } = await decodeAll(source, header.opaque, slot, (image) =>
    image.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true }),
  );
  const rowBytes = header.width * info.channels;
  return regionReader(
    header,
    // A copy: the caller owns its rows (it may hand their buffer to a thread).
    async (y0, y1) =>
      rowsImage(header.width, y1 - y0, info.channels, new Uint8Array(whole.subarray(y0 * rowBytes, y1 * rowBytes))),
    async () => {},
  );
}

/** The whole source decoded upright, streaming, into `write`; a failure is the source's (CORRUPT_IMAGE). */
async function decodeAll<T>(
  source: EncodedSource,
  opaque: boolean,
  slot: RunSlot,
  write: (image: Sharp) => Promise<T>,
): Promise<T> {
  try {
    const image = () => sharp(sharpInput(source), { limitInputPixels: false, failOn: "truncated", sequentialRead: true });
    return await slot(() => write(upright(image(), opaque)));
  } catch (cause) {
    throw new CodecError("CORRUPT_IMAGE", `the image could not be decoded: ${(cause as Error).message}`, { cause });
  }
}

function readerOver(header: SourceHeader, slot: RunSlot, open: () => Sharp, close: () => Promise<void>): RegionReader {
  const { width } = header;
  return regionReader(
    header,
    async (y0, y1) => {
      try {
        const { data, info } = await slot(() =>
          upright(open(), header.opaque)
            .extract({ left: 0, top: y0, width, height: y1 - y0 })
            .raw({ depth: "uchar" })
            .toBuffer({ resolveWithObject: true }),
        );
        return rowsImage(info.width, info.height, info.channels, data);
      } catch (cause) {
        throw new CodecError("CORRUPT_IMAGE", `rows ${y0}..${y1} could not be decoded: ${(cause as Error).message}`, { cause });
      }
    },
    close,
  );
}

/** A RegionReader of `header`'s image whose reads are checked to lie inside it. */
function regionReader(
  header: SourceHeader,
  read: (y0: number, y1: number) => Promise<Image>,
  close: () => Promise<void>,
): RegionReader {
  const { width, height, opaque } = header;
  return {
    width,
    height,
    opaque,
    async read(y0: number, y1: number): Promise<Image> {
      if (!(Number.isInteger(y0) && Number.isInteger(y1) && 0 <= y0 && y0 < y1 && y1 <= height))
        throw new RangeError(`rows ${y0}..${y1} are not inside the image's ${height} rows`);
      return read(y0, y1);
    },
    close,
  };
}

let swept: Promise<void> | undefined;

/** Removes the copies of processes that died holding them, once per process, before its first copy. */
const sweepRegionCopies = (): Promise<void> => {
  // Best effort: a leftover costs disk, not correctness.
  swept ??= removeStaleTempFiles(tmpdir(), REGION_TEMP_PREFIX).catch(() => undefined);
  return swept;
};

/**
 * What the reader is told of the image from its header: `stored` when it is shown as stored
 * (no EXIF rotation: only then are a tiled TIFF's regions the displayed image's rows), and
 * `opaque` when it has no alpha channel.
 */
export interface SourceHeader extends ImageHeader {
  readonly stored: boolean;
  readonly opaque: boolean;
}

/** A reader of `source`'s rows; one of up to `decodeWholePixels` pixels is decoded whole at once. */
export async function openRegions(
  source: EncodedSource,
  header: SourceHeader,
  slot: RunSlot,
  decodeWholePixels: number,
): Promise<RegionReader> {
  if (header.format === "tiff" && header.stored && (await isTiledTiff(source))) return tiledRegions(source, header, slot);
  if (header.width * header.height <= decodeWholePixels) return decodedRegions(source, header, slot);
  return await copiedRegions(source, header, slot, sweepRegionCopies());
}
