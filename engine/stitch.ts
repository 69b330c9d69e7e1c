/**
 * Moving pixels between whole images, tile cores and windows. Pure copies on RGBA8 rows; no
 * I/O (the caller fetches tiles from wherever they live).
 */

import type { Rect, RgbaImage } from "@tessera/kernels";
import { type Grid, tileRect, tilesOverlapping } from "./tiling.js";

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

function intersect(a: Rect, b: Rect): Rect | undefined {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  return x1 > x && y1 > y ? { x, y, width: x1 - x, height: y1 - y } : undefined;
}

/**
 * Assembles `window` from the cores of the tiles that cover it; `core(i)` returns tile i's
 * core pixels (for example read from a BlobStore). Reads only the tiles the window touches.
 */
export async function assembleWindow(
  g: Grid,
  window: Rect,
  core: (index: number) => Promise<RgbaImage>,
): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const out = { width: window.width, height: window.height, data: new Uint8ClampedArray(window.width * window.height * 4) };
  await Promise.all(
    tilesOverlapping(g, window).map(async (i) => {
      const rect = tileRect(g, i);
      const area = intersect(rect, window);
      if (area) blit(await core(i), rect, out, window, area);
    }),
  );
  return out;
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
