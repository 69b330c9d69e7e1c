/**
 * Joins: band pieces in, a TIFF file or a tile set out, plus the one-call forms that encode a
 * whole image in memory as a single band (the same bytes as any band height gives).
 */

import { encodeBandPieces } from "./band.js";
import { type JoinStats, LevelJoin } from "./join-levels.js";
import { type PyramidLayout, type PyramidOptions, pyramidLayout } from "./layout.js";
import { imageChannels, type RgbaBand } from "./pixels.js";
import { type TiffSink, TiffWriter } from "./tiff-file.js";
import { descriptor, tileName } from "./tiles.js";

/** The bands' pieces, in band order; promises are awaited one at a time, in order. */
export type PieceSource = Iterable<Uint8Array | Promise<Uint8Array>> | AsyncIterable<Uint8Array>;

/** Writes one file of a tile set; `name` is relative to the set's folder ("a_files/9/0_0.png"). */
export type TileSink = (name: string, bytes: Uint8Array) => Promise<void>;

/** Told after each band's piece is joined (the coordinator's progress, and the tests' probe). */
export interface JoinOptions {
  readonly onBand?: (band: number, stats: JoinStats) => void;
}

export interface TiffJoinStats extends JoinStats {
  /** The TIFF's tile index (16 bytes a tile), held until the IFDs are written at the end. */
  readonly indexBytes: number;
}

/** Joins a TIFF layout's pieces into a pyramidal BigTIFF written through `sink`. */
export async function joinTiff(
  layout: PyramidLayout,
  pieces: PieceSource,
  sink: TiffSink,
  options: JoinOptions = {},
): Promise<TiffJoinStats> {
  if (layout.format !== "tiff") throw new RangeError(`joinTiff needs a tiff layout, got ${layout.format}`);
  const join = new LevelJoin(layout);
  const file = new TiffWriter(layout, sink);
  let band = 0;
  for await (const piece of pieces) {
    await join.band(piece, (out) => file.writeTiles(out.level, out.tileRow, out.tiles));
    options.onBand?.(band++, join.stats);
  }
  join.finish();
  await file.finish();
  return { ...join.stats, indexBytes: file.indexBytes };
}

/**
 * Joins a Deep Zoom or IIIF layout's pieces into tile files written through `sink`, and last
 * the descriptor (`<name>.dzi` or `info.json`), so a viewer that finds the descriptor finds
 * every tile it names.
 */
export async function joinTiles(
  layout: PyramidLayout,
  pieces: PieceSource,
  sink: TileSink,
  options: JoinOptions = {},
): Promise<JoinStats> {
  if (layout.format === "tiff") throw new RangeError("joinTiles needs a dzi or iiif layout, got tiff");
  const join = new LevelJoin(layout);
  let band = 0;
  for await (const piece of pieces) {
    await join.band(piece, async (out) => {
      for (let col = 0; col < out.tiles.length; col++) {
        await sink(tileName(layout, out.level, col, out.tileRow), out.tiles[col] as Uint8Array);
      }
    });
    options.onBand?.(band++, join.stats);
  }
  join.finish();
  const { name, bytes } = descriptor(layout);
  await sink(name, bytes);
  return join.stats;
}

export type WholeImageOptions = Omit<PyramidOptions, "width" | "height" | "bandHeight" | "channels" | "format"> & {
  /** Default: the fewest that hold the image (imageChannels). */
  readonly channels?: PyramidOptions["channels"];
};

function wholeLayout(image: RgbaBand, format: PyramidOptions["format"], options: WholeImageOptions): PyramidLayout {
  const channels = options.channels ?? imageChannels(image);
  return pyramidLayout({ ...options, format, width: image.width, height: image.height, bandHeight: image.height, channels });
}

/** A whole image as a pyramidal BigTIFF, in one call. */
export async function writePyramidTiff(image: RgbaBand, sink: TiffSink, options: WholeImageOptions = {}): Promise<void> {
  const layout = wholeLayout(image, "tiff", options);
  await joinTiff(layout, [encodeBandPieces(image, 0, layout)], sink);
}

/** A whole image as a pyramidal BigTIFF file's bytes, in memory. */
export async function encodePyramidTiff(image: RgbaBand, options: WholeImageOptions = {}): Promise<Uint8Array> {
  const chunks: { at: number; bytes: Uint8Array }[] = [];
  await writePyramidTiff(image, async (bytes, at) => void chunks.push({ at, bytes }), options);
  const out = new Uint8Array(Math.max(...chunks.map((c) => c.at + c.bytes.length)));
  for (const c of chunks) out.set(c.bytes, c.at);
  return out;
}

/** A whole image as a Deep Zoom or IIIF tile set, in one call. */
export async function writePyramidTiles(
  image: RgbaBand,
  format: "dzi" | "iiif",
  sink: TileSink,
  options: WholeImageOptions = {},
): Promise<void> {
  const layout = wholeLayout(image, format, options);
  await joinTiles(layout, [encodeBandPieces(image, 0, layout)], sink);
}
