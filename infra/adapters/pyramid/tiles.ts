/**
 * Encoding one tile row into its tiles, for each output: TIFF tiles (whole 256×256 tiles,
 * horizontal predictor, zlib) and image tiles for Deep Zoom and IIIF (cut to the image,
 * JPEG or PNG through sharp). Both read the pixels they are given before their first await,
 * so the caller may reuse its row buffer as soon as the call returns its promise.
 */

import { promisify } from "node:util";
import zlib from "node:zlib";
import sharp from "sharp";
import { levelOf, type PyramidLayout, TILE } from "./layout.js";
import { copyTile } from "./pixels.js";

/** Encodes the tiles of level-ℓ tile row k, left to right, from its `rows` rows of pixels. */
export type TileRowEncoder = (level: number, tileRow: number, pixels: Uint8Array, rows: number) => Promise<Uint8Array[]>;

const deflate = promisify(zlib.deflate);

// Every tile is encoded once from bytes handed over once: libvips' operation cache would only
// hold on to tiles nobody asks for again (the codec adapter says the same for bands).
sharp.cache(false);

export function tileRowEncoder(layout: PyramidLayout): TileRowEncoder {
  return layout.format === "tiff" ? tiffTileRow(layout) : imageTileRow(layout);
}

function tiffTileRow(layout: PyramidLayout): TileRowEncoder {
  const c = layout.channels;
  const options: zlib.ZlibOptions = {
    level: layout.deflateLevel,
    strategy: layout.deflateStrategy === "rle" ? zlib.constants.Z_RLE : zlib.constants.Z_DEFAULT_STRATEGY,
  };
  return (level, _tileRow, pixels, rows) => {
    const { width, cols } = levelOf(layout, level);
    const tiles: Promise<Buffer>[] = [];
    for (let col = 0; col < cols; col++) tiles.push(deflate(predictedTile(pixels, width, rows, c, col), options));
    return Promise.all(tiles);
  };
}

/**
 * A whole 256×256 TIFF tile, copied out of its tile row with Predictor 2 applied on the way
 * (horizontal differencing, TIFF 6.0 §14): each sample minus the same sample of the pixel to
 * its left, mod 256, which turns a photograph's smooth rows into small residuals that zlib
 * codes in far fewer bytes. Padding beyond the image is left 0: right of the image that
 * decodes as the row's last pixel repeated, below it as black; readers crop both away.
 */
function predictedTile(pixels: Uint8Array, width: number, rows: number, c: number, col: number): Uint8Array {
  const tile = new Uint8Array(TILE * TILE * c);
  const w = Math.min(TILE, width - col * TILE) * c;
  for (let y = 0; y < rows; y++) {
    const s = (y * width + col * TILE) * c;
    const o = y * TILE * c;
    for (let k = 0; k < c; k++) tile[o + k] = pixels[s + k] as number;
    for (let j = c; j < w; j++) tile[o + j] = (pixels[s + j] as number) - (pixels[s + j - c] as number);
  }
  return tile;
}

function imageTileRow(layout: PyramidLayout): TileRowEncoder {
  const c = layout.channels;
  return (level, _tileRow, pixels, rows) => {
    const { width, cols } = levelOf(layout, level);
    const tiles: Promise<Buffer>[] = [];
    for (let col = 0; col < cols; col++) {
      const w = Math.min(TILE, width - col * TILE);
      const tile = copyTile(pixels, width, rows, c, col, w);
      const raw = sharp(tile, { raw: { width: w, height: rows, channels: c } });
      // Left alone, sharp writes a one-channel image as RGB.
      const image = c === 1 ? raw.toColourspace("b-w") : raw;
      tiles.push(layout.tileFormat === "png" ? image.png().toBuffer() : image.jpeg({ quality: layout.quality }).toBuffer());
    }
    return Promise.all(tiles);
  };
}

/** Where a Deep Zoom or IIIF tile is written, relative to the tile set's folder. */
export function tileName(layout: PyramidLayout, level: number, col: number, row: number): string {
  if (layout.format === "dzi") {
    // Deep Zoom numbers levels from 1×1 (0) up to full resolution.
    return `${layout.name}_files/${layout.levels.length - 1 - level}/${col}_${row}.${layout.tileFormat}`;
  }
  if (layout.format !== "iiif") throw new Error(`a ${layout.format} pyramid has no tile files`);
  // IIIF level 0: a tile is named by its region at full resolution and its size at its scale.
  const s = 2 ** level;
  const { width, height } = levelOf(layout, level);
  const x = col * TILE * s;
  const y = row * TILE * s;
  const w = Math.min(TILE * s, layout.width - x);
  const h = Math.min(TILE * s, layout.height - y);
  const region = x === 0 && y === 0 && w === layout.width && h === layout.height ? "full" : `${x},${y},${w},${h}`;
  const size = `${Math.min(TILE, width - col * TILE)},${Math.min(TILE, height - row * TILE)}`;
  return `${region}/${size}/0/default.${layout.tileFormat === "png" ? "png" : "jpg"}`;
}

/** The descriptor a viewer opens first: `<name>.dzi` or `info.json`. */
export function descriptor(layout: PyramidLayout): { name: string; bytes: Uint8Array } {
  if (layout.format === "dzi") {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" Format="${layout.tileFormat}" Overlap="0" TileSize="${TILE}">\n` +
      `  <Size Width="${layout.width}" Height="${layout.height}"/>\n` +
      "</Image>\n";
    return { name: `${layout.name}.dzi`, bytes: new TextEncoder().encode(xml) };
  }
  if (layout.format !== "iiif") throw new Error(`a ${layout.format} pyramid has no descriptor file`);
  const info = {
    "@context": "http://iiif.io/api/image/3/context.json",
    id: layout.id,
    type: "ImageService3",
    protocol: "http://iiif.io/api/image",
    profile: "level0",
    width: layout.width,
    height: layout.height,
    tiles: [{ width: TILE, height: TILE, scaleFactors: layout.levels.map((_, l) => 2 ** l) }],
  };
  return { name: "info.json", bytes: new TextEncoder().encode(`${JSON.stringify(info, null, 2)}\n`) };
}
