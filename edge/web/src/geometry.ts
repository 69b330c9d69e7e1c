// Sizes and rectangles: the preview's downscale and the job's tile grid.

export interface Size {
  width: number;
  height: number;
}

/** The preview's longest side. */
export const PREVIEW_MAX_SIDE = 1024;

/** Scales (width, height) down so the longest side is at most `maxSide`; never scales up. Integer, ≥ 1. */
export function fitWithin(width: number, height: number, maxSide = PREVIEW_MAX_SIDE): Size {
  const longest = Math.max(width, height);
  if (longest <= maxSide) return { width, height };
  const scale = maxSide / longest;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The rectangle of tile `index` (row-major) of a grid over an image, in image pixels, clipped to the image. */
export function tileRect(index: number, grid: { tileSize: number; cols: number }, image: Size): Rect {
  const col = index % grid.cols;
  const row = Math.floor(index / grid.cols);
  const x = col * grid.tileSize;
  const y = row * grid.tileSize;
  return {
    x,
    y,
    width: Math.max(0, Math.min(grid.tileSize, image.width - x)),
    height: Math.max(0, Math.min(grid.tileSize, image.height - y)),
  };
}

/** Scales a rectangle by `s` and snaps it to whole device pixels, so adjacent tiles share edges. */
export function scaleRect(r: Rect, s: number): Rect {
  const x = Math.round(r.x * s);
  const y = Math.round(r.y * s);
  return { x, y, width: Math.round((r.x + r.width) * s) - x, height: Math.round((r.y + r.height) * s) - y };
}
