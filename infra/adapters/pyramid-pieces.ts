/**
 * The pyramidal TIFF result as pieces: each band's worker compresses its tiles
 * (./pyramid encodeBandPieces), and the coordinator joins them into one tiled BigTIFF with a
 * pyramid, lossless (deflate), never holding the result decoded. RGBA, since no band can tell
 * whether every pixel of the image is opaque or grey (making it smaller where it is belongs
 * to channel-aware images).
 */

import type { RgbaImage } from "@tessera/kernels";
import type { PieceOptions } from "../../engine/ports/codec.js";
import { encodeBandPieces, joinTiff, type PyramidLayout, pyramidLayout } from "./pyramid/index.js";

const tiffLayout = (width: number, height: number, bandRows: number): PyramidLayout =>
  pyramidLayout({ format: "tiff", width, height, bandHeight: bandRows, channels: 4 });

export function encodeTiffPiece(band: RgbaImage, options: PieceOptions): Promise<Uint8Array> {
  const data =
    band.data instanceof Uint8ClampedArray
      ? band.data
      : new Uint8ClampedArray(band.data.buffer, band.data.byteOffset, band.data.length);
  return encodeBandPieces(
    { width: band.width, height: band.height, data },
    options.band,
    tiffLayout(band.width, options.height, options.bandRows),
  );
}

/** Joins the bands' pieces into the TIFF file, in memory (it is compressed: a fraction of the pixels). */
export async function joinTiffPieces(
  pieces: readonly Uint8Array[],
  width: number,
  height: number,
  bandRows: number,
): Promise<Uint8Array> {
  const writes: { bytes: Uint8Array; at: number }[] = [];
  let size = 0;
  await joinTiff(tiffLayout(width, height, bandRows), pieces, async (bytes, at) => {
    // The join reuses its buffers: keep a copy of what it hands over.
    writes.push({ bytes: bytes.slice(), at });
    size = Math.max(size, at + bytes.length);
  });
  const file = new Uint8Array(size);
  for (const { bytes, at } of writes) file.set(bytes, at);
  return file;
}
