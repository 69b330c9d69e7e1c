/**
 * Tile grids: where each tile's core lies, the window (core + halo, clamped to the image) a
 * worker reads for it, and how tiles are grouped into sessions.
 *
 *   ┌──────┬──────┬──┐   cores: tileSize × tileSize, the last row/column smaller
 *   │  0   │  1   │2 │   window of tile 4 with halo h: its core grown by h on every side,
 *   ├──────┼──────┼──┤   cut back to the image, so clamping at a window edge that is an
 *   │  3   │  4   │5 │   image edge is clamping at the image (what makes tiled == whole)
 *   └──────┴──────┴──┘
 */

import type { Rect } from "@tessera/kernels";

export const DEFAULT_TILE_SIZE = 512;
/** Smaller tiles spend more on halos and messages than on pixels; the contract floor. */
export const MIN_TILE_SIZE = 16;

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

/** Indexes of the tiles whose cores overlap `rect`, row-major. */
export function tilesOverlapping(g: Grid, rect: Rect): number[] {
  const c0 = Math.floor(rect.x / g.tileSize);
  const c1 = Math.floor((rect.x + rect.width - 1) / g.tileSize);
  const r0 = Math.floor(rect.y / g.tileSize);
  const r1 = Math.floor((rect.y + rect.height - 1) / g.tileSize);
  const out: number[] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) out.push(r * g.cols + c);
  return out;
}

/**
 * Groups tiles into bands of up to `perBand` consecutive tiles (row-major). A band is one
 * session: a worker that accepts it runs its tiles back to back (their windows overlap, so
 * reads stay warm), while other workers take other bands of the same job. Small bands spread
 * one job over every worker; sessions of many jobs interleave on the queue.
 */
export function bands(g: Grid, perBand: number): number[][] {
  const out: number[][] = [];
  const n = tileCount(g);
  for (let i = 0; i < n; i += perBand) out.push(Array.from({ length: Math.min(perBand, n - i) }, (_, k) => i + k));
  return out;
}

/** Tiles per band: about one band per worker thread in flight, at least 1, at most 8. */
export function defaultBandSize(g: Grid): number {
  return Math.max(1, Math.min(8, Math.ceil(tileCount(g) / 32)));
}
