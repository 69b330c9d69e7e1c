/**
 * The geometry, in one place: tile grids, where each tile's core lies, the window (core +
 * halo, clamped to the image) a worker reads for it, the bands tiles are grouped into, and the
 * copies that move pixels between images, windows and cores.
 *
 *   ┌──────┬──────┬──┐   cores: tileSize × tileSize, the last row/column smaller
 *   │  0   │  1   │2 │   window of tile 4 with halo h: its core grown by h on every side,
 *   ├──────┼──────┼──┤   cut back to the image, so clamping at a window edge that is an
 *   │  3   │  4   │5 │   image edge is clamping at the image (what makes tiled == whole)
 *   └──────┴──────┴──┘
 */

import type { Rect, RgbaImage } from "@tessera/kernels";

export const DEFAULT_TILE_SIZE = 512;
/** Smaller tiles spend more on halos and messages than on pixels; the contract floor. */
export const MIN_TILE_SIZE = 16;

/**
 * Most tiles one job may have. Each tile costs a halo read, an entry in the tile map and a
 * share of a band's message; past a few thousand a job spends more on bookkeeping than on
 * pixels (12 MP at 16 px was 47,000 tiles and a 29 s POST). The tile size floor for an image
 * (minTileSizeFor) follows from it.
 */
export const MAX_TILES = 4096;

/** The smallest tile size that keeps an image of this size within MAX_TILES tiles. */
export function minTileSizeFor(width: number, height: number): number {
  let size = Math.max(MIN_TILE_SIZE, Math.ceil(Math.sqrt((width * height) / MAX_TILES)));
  while (Math.ceil(width / size) * Math.ceil(height / size) > MAX_TILES) size++;
  return size;
}

export interface Grid {
  readonly width: number;
  readonly height: number;
  readonly tileSize: number;
  readonly cols: number;
  readonly rows: number;
}

export function makeGrid(width: number, height: number, tileSize = DEFAULT_TILE_SIZE): Grid {
  if (!Number.isInteger(tileSize) || tileSize < MIN_TILE_SIZE) {
    throw new RangeError(`tile size must be an integer of at least ${MIN_TILE_SIZE} pixels, got ${tileSize}`);
  }
  return { width, height, tileSize, cols: Math.ceil(width / tileSize), rows: Math.ceil(height / tileSize) };
}

export const tileCount = (g: Grid): number => g.cols * g.rows;

/** The core of tile `index` (row-major). */
export function tileRect(g: Grid, index: number): Rect {
  const x = (index % g.cols) * g.tileSize;
  const y = Math.floor(index / g.cols) * g.tileSize;
  return { x, y, width: Math.min(g.tileSize, g.width - x), height: Math.min(g.tileSize, g.height - y) };
}

/** The core grown by `halo` on every side and clamped to the image. */
export function windowRect(g: Grid, index: number, halo: number): Rect {
  const core = tileRect(g, index);
  const x0 = Math.max(0, core.x - halo);
  const y0 = Math.max(0, core.y - halo);
  const x1 = Math.min(g.width, core.x + core.width + halo);
  const y1 = Math.min(g.height, core.y + core.height + halo);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * Bands are the rows of the grid: band b holds tiles b·cols … b·cols + cols − 1 and the
 * image rows [b·tileSize, (b+1)·tileSize). A band is the unit of work on the queue and in
 * storage. Being full-width, its pixels (and its window: the rows grown by a halo) are one
 * contiguous run of an RGBA image, so cutting, stitching and range reads are plain slices,
 * and an encoder can write it as one piece of a file that joins with the others.
 */
export const bandCount = (g: Grid): number => g.rows;

/** The rows [y0, y1) of band `band`. */
export function bandRows(g: Grid, band: number): { y0: number; y1: number } {
  const y0 = band * g.tileSize;
  return { y0, y1: Math.min(g.height, y0 + g.tileSize) };
}

/** The band's rows grown by `halo` on both sides and clamped to the image. */
export function bandWindowRows(g: Grid, band: number, halo: number): { y0: number; y1: number } {
  const { y0, y1 } = bandRows(g, band);
  return { y0: Math.max(0, y0 - halo), y1: Math.min(g.height, y1 + halo) };
}

/** The tiles of band `band`, left to right. */
export function bandTiles(g: Grid, band: number): number[] {
  return Array.from({ length: g.cols }, (_, c) => band * g.cols + c);
}

// ─── moving pixels between images, tile cores and windows: pure copies on RGBA8 rows ─────

/** Where tile `index`'s core lies inside its window (for runRegion). */
export function coreInWindow(g: Grid, index: number, halo: number): Rect {
  const core = tileRect(g, index);
  const window = windowRect(g, index, halo);
  return { x: core.x - window.x, y: core.y - window.y, width: core.width, height: core.height };
}

/** Copies `src` (a rectangle `from` of the source's coordinates) into `dst` at the same coordinates. */
function blit(
  src: RgbaImage,
  srcOrigin: Rect,
  dst: { width: number; data: Uint8Array | Uint8ClampedArray },
  dstOrigin: Rect,
  area: Rect,
): void {
  const rowBytes = area.width * 4;
  for (let y = 0; y < area.height; y++) {
    const sy = area.y - srcOrigin.y + y;
    const dy = area.y - dstOrigin.y + y;
    const from = (sy * src.width + (area.x - srcOrigin.x)) * 4;
    const to = (dy * dst.width + (area.x - dstOrigin.x)) * 4;
    dst.data.set(src.data.subarray(from, from + rowBytes), to);
  }
}

/** Cuts `rect` out of a whole image, into `into` when given (its length must fit the rect). */
export function cutRect(
  image: RgbaImage,
  rect: Rect,
  into: Uint8ClampedArray = new Uint8ClampedArray(rect.width * rect.height * 4),
): { width: number; height: number; data: Uint8ClampedArray } {
  const out = { width: rect.width, height: rect.height, data: into };
  blit(image, { x: 0, y: 0, width: image.width, height: image.height }, out, rect, rect);
  return out;
}

/**
 * Writes tile `index`'s core pixels into `into`: the whole image, or with `top` the image's
 * rows from `top` down (a band).
 */
export function placeTile(
  g: Grid,
  index: number,
  tile: RgbaImage,
  into: { width: number; data: Uint8Array | Uint8ClampedArray },
  top = 0,
): void {
  const rect = tileRect(g, index);
  blit(tile, rect, into, { x: 0, y: top, width: g.width, height: g.height - top }, rect);
}
