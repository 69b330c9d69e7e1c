/**
 * Pyramid results as pieces: each band's worker compresses its tiles (./pyramid
 * encodeBandPieces), and the coordinator joins them, never holding the result decoded, into
 * one tiled pyramidal BigTIFF (lossless, deflate) or into a tile set for deep-zoom viewers:
 * Deep Zoom (`result.dzi` + `result_files/`) or IIIF level 0 (`info.json` + tiles), with
 * lossless PNG tiles. The job says what every pixel is (EncodeOptions): grey and opaque → one
 * channel, opaque → RGB, otherwise RGBA; no band could tell for the whole image.
 */

import type { Image } from "@tessera/kernels";
import {
  type EncodeOptions,
  IIIF_PLACEHOLDER_ID,
  type JoinedStream,
  type PieceOptions,
  type PieceSource,
  storedChannels,
  type TileSetFormat,
} from "../../engine/ports/codec.js";
import { ChunkChannel } from "./chunk-channel.js";
import {
  encodeBandPieces,
  joinTiff,
  joinTiles,
  type PyramidFormat,
  type PyramidLayout,
  pyramidLayout,
  TIFF_HEADER_BYTES,
} from "./pyramid/index.js";

const layoutOf = (
  format: PyramidFormat,
  width: number,
  height: number,
  bandRows: number,
  options: EncodeOptions,
): PyramidLayout =>
  pyramidLayout({
    format,
    width,
    height,
    bandHeight: bandRows,
    channels: storedChannels(options),
    ...(format !== "tiff" && { tileFormat: "png", name: "result", id: IIIF_PLACEHOLDER_ID }),
  });

/** Band `options.band` of a result, RGBA or already in the stored channels, as its piece. */
export function encodePyramidPiece(band: Image, format: PyramidFormat, options: PieceOptions): Promise<Uint8Array> {
  const data =
    band.data instanceof Uint8ClampedArray
      ? band.data
      : new Uint8ClampedArray(band.data.buffer, band.data.byteOffset, band.data.length);
  const layout = layoutOf(format, band.width, options.height, options.bandRows, options);
  const { width, height, channels } = band;
  return encodeBandPieces({ width, height, ...(channels !== undefined && { channels }), data }, options.band, layout);
}

/** Joins the bands' pieces into the TIFF file, in memory (it is compressed: a fraction of the pixels). */
export async function joinTiffPieces(
  pieces: readonly Uint8Array[],
  width: number,
  height: number,
  bandRows: number,
  options: EncodeOptions,
): Promise<Uint8Array> {
  const writes: { bytes: Uint8Array; at: number }[] = [];
  let size = 0;
  await joinTiff(layoutOf("tiff", width, height, bandRows, options), pieces, async (bytes, at) => {
    // The join reuses its buffers: keep a copy of what it hands over.
    writes.push({ bytes: bytes.slice(), at });
    size = Math.max(size, at + bytes.length);
  });
  const file = new Uint8Array(size);
  for (const { bytes, at } of writes) file.set(bytes, at);
  return file;
}

/**
 * Joins the bands' pieces into the TIFF file as a stream: tiles and IFDs as the join writes
 * them, pieces awaited one at a time, and the 16-byte header (which points at the IFDs after
 * every tile) as a head known only at the end: see BlobStore.putStream. Memory is the join's
 * own (a tile row per level), whatever the file's size.
 */
export function streamTiffPieces(
  pieces: PieceSource,
  width: number,
  height: number,
  bandRows: number,
  options: EncodeOptions,
): JoinedStream {
  const channel = new ChunkChannel();
  let header: Uint8Array | undefined;
  let next = TIFF_HEADER_BYTES;
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    joinTiff(layoutOf("tiff", width, height, bandRows, options), pieces, async (bytes, at) => {
      if (at === 0) {
        header = bytes.slice();
        return;
      }
      if (at !== next) throw new Error(`the TIFF join wrote at ${at}, expected ${next}: it must write front to back`);
      next += bytes.length;
      // The join reuses its buffers: hand on a copy.
      await channel.push(bytes.slice());
    }).then(
      () => channel.close(),
      (err: unknown) => channel.fail(err),
    );
  };
  return {
    data: {
      [Symbol.asyncIterator]: () => {
        start();
        return channel[Symbol.asyncIterator]();
      },
    },
    head: {
      bytes: TIFF_HEADER_BYTES,
      value: () => {
        if (!header) throw new Error("the TIFF join ended without writing its header");
        return header;
      },
    },
  };
}

/** Joins a tile set, handing each file to `put`; resolves with the descriptor's name. */
export async function joinTileSetPieces(
  format: TileSetFormat,
  pieces: PieceSource,
  width: number,
  height: number,
  bandRows: number,
  put: (name: string, bytes: Uint8Array) => Promise<void>,
  options: EncodeOptions,
): Promise<string> {
  // The join may reuse a buffer once its put resolves; a store may keep what it is given.
  await joinTiles(layoutOf(format, width, height, bandRows, options), pieces, (name, bytes) => put(name, bytes.slice()));
  return format === "dzi" ? "result.dzi" : "info.json";
}
