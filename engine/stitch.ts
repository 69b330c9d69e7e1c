/**
 * Moving pixels between images, tile cores and windows. Pure copies on RGBA8 rows; no I/O.
 */

import type { Rect, RgbaImage } from "@tessera/kernels";
import { type Grid, tileRect } from "./tiling.js";

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
