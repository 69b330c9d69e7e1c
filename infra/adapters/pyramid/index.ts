/**
 * Pyramid outputs, built from a result's bands without ever holding the whole image:
 * a tiled pyramidal BigTIFF, a Deep Zoom tile set, or a IIIF (Image API 3.0, level 0) tile set.
 *
 * The interface, as the engine calls it:
 *
 *   const layout = pyramidLayout({ format: "tiff" | "dzi" | "iiif", width, height,
 *                                  bandHeight, channels: 1 | 3 | 4, ...format options });
 *   // worker, per band (a pure function of its arguments):
 *   const bytes: Uint8Array = await encodeBandPieces({ width, height, data }, band, layout); // data: RGBA
 *   // coordinator, once, streaming the bands' bytes in band order:
 *   await joinTiff(layout, pieces, (bytes, at) => ...);          // tiff (header last, at 0: tiff-file.ts)
 *   await joinTiles(layout, pieces, (name, bytes) => ...);       // dzi, iiif
 *
 * `pieces` is any (async) iterable of the bands' bytes, or of promises of them, in band order;
 * a piece out of order, from another layout, or missing is an error naming the band.
 * One-call forms for a whole image in memory: writePyramidTiff, encodePyramidTiff,
 * writePyramidTiles. They encode it as a single band; every band height gives the same bytes.
 *
 * What the outputs are:
 * - 256×256 tiles everywhere. Level ℓ is the image halved ℓ times, sides rounded up; each
 *   sample is the mean of the 2×2 block above it rounded half up, and at an odd edge the mean
 *   of the pixels there are. Channels are averaged independently (alpha is not premultiplied).
 * - TIFF: BigTIFF, little-endian; full resolution first, then one IFD per level with
 *   NewSubfileType 1 (reduced image), down to the first level that fits in one tile, like
 *   libvips' `tiff({ tile: true, pyramid: true, bigtiff: true })`; so `sharp(file, { page: n })`
 *   reads level n. Deflate (zlib) with the horizontal predictor; 8-bit grey, RGB, or RGBA with
 *   ExtraSamples = unassociated alpha. Edge tiles are whole 256×256 tiles; readers crop the padding.
 * - Deep Zoom: `<name>.dzi` and `<name>_files/<level>/<col>_<row>.<jpeg|png>`, TileSize 256 and
 *   Overlap 0 (not libvips' 254/1: without overlap a tile is exactly its cell, so a band owns
 *   its tiles outright, and the same tiles serve IIIF), levels from 1×1 up to the image
 *   (ceil(log2(max side)) + 1 of them).
 * - IIIF: `info.json` (ImageService3, profile level0, tiles 256 with a scale factor per level
 *   down to one tile) and `<x,y,w,h | full>/<w,h>/0/default.<jpg|png>`, as libvips' iiif3 layout.
 * - The caller picks the channels (imageChannels computes the fewest for a whole image); a band
 *   whose pixels the choice cannot hold is refused. JPEG tiles are quality 80 by default and
 *   cannot carry alpha.
 *
 * Division of the work: a band compresses every tile row it wholly contains at the levels
 * where it spans at least a tile row (512-row bands: all of levels 0 and 1), and hands the
 * join the rows it cannot finish: rows of tile rows shared with a neighbour, and its rows at
 * the next level (level 2 for 512-row bands: a sixteenth of its pixels). Bands shorter than
 * 256 rows contain no tile row, so then the join compresses every tile: choose bands of
 * 256·2^k rows.
 *
 * Memory of the join: per level one tile row of raw rows, plus at most two tile rows being
 * encoded or waiting to be written (joinMemoryBound, from the width alone; stats report what
 * it actually held), besides the piece in hand. The TIFF join also keeps the tile index,
 * 16 bytes per tile, which it can only write after the last tile.
 */

export { encodeBandPieces } from "./band.js";
export {
  encodePyramidTiff,
  type JoinOptions,
  joinTiff,
  joinTiles,
  type PieceSource,
  type TiffJoinStats,
  type TileSink,
  type WholeImageOptions,
  writePyramidTiff,
  writePyramidTiles,
} from "./join.js";
export { type JoinStats, joinMemoryBound } from "./join-levels.js";
export {
  type Channels,
  type Level,
  type PyramidFormat,
  type PyramidLayout,
  type PyramidOptions,
  pyramidLayout,
  TILE,
  type TileFormat,
} from "./layout.js";
export { imageChannels, type RgbaBand } from "./pixels.js";
export { TIFF_HEADER_BYTES, type TiffSink } from "./tiff-file.js";
