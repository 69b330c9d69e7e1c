/**
 * Tile layers in a BlobStore. A layer is one image cut on a grid: `<prefix>/t<index>` holds
 * tile index's core as raw RGBA8 (its size follows from the grid). Writing the same tile twice
 * writes the same bytes, so a redelivered tile is harmless.
 */

import type { Rect, RgbaImage } from "@tessera/kernels";
import type { BlobStore } from "./ports/blob-store.js";
import { assembleWindow, cutRect, placeTile } from "./stitch.js";
import { type Grid, tileCount, windowRect } from "./tiling.js";

export const tileName = (layer: string, index: number): string => `${layer}/t${index}`;
export const histogramName = (layer: string, index: number): string => `${layer}/h${index}`;

/**
 * Tile `index`'s blob as pixels: its core, or with `halo` > 0 its whole window from a window
 * layer (see writeLayer). The size is checked against the grid, so a truncated blob is an error.
 */
export async function readTile(
  blobs: BlobStore,
  layer: string,
  g: Grid,
  index: number,
  halo = 0,
): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const rect = windowRect(g, index, halo);
  const bytes = await blobs.get(tileName(layer, index));
  if (bytes.length !== rect.width * rect.height * 4) {
    throw new Error(`tile ${tileName(layer, index)} has ${bytes.length} bytes, expected ${rect.width * rect.height * 4}`);
  }
  return { width: rect.width, height: rect.height, data: new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.length) };
}

/** The window `rect` of a layer, from only the tiles it overlaps. */
export function readWindow(
  blobs: BlobStore,
  layer: string,
  g: Grid,
  rect: Rect,
): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  return assembleWindow(g, rect, (i) => readTile(blobs, layer, g, i));
}

export function writeTile(blobs: BlobStore, layer: string, index: number, core: RgbaImage): Promise<void> {
  return blobs.put(tileName(layer, index), new Uint8Array(core.data.buffer, core.data.byteOffset, core.data.length));
}

/**
 * Cuts a whole image into a layer, `parallel` puts at a time. With `halo` > 0 each blob holds
 * tile i's whole window (its core grown by the halo): a window layer, read with one get per
 * tile instead of assembling up to nine neighbours, and used by one tile only.
 */
export async function writeLayer(
  blobs: BlobStore,
  layer: string,
  g: Grid,
  image: RgbaImage,
  halo = 0,
  parallel = 8,
): Promise<void> {
  const n = tileCount(g);
  for (let i = 0; i < n; i += parallel) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + parallel); j++)
      batch.push(writeTile(blobs, layer, j, cutRect(image, windowRect(g, j, halo))));
    await Promise.all(batch);
  }
}

/** Reads a whole layer back into one image. */
export async function readLayer(
  blobs: BlobStore,
  layer: string,
  g: Grid,
): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  return readWindow(blobs, layer, g, { x: 0, y: 0, width: g.width, height: g.height });
}

/**
 * Reads a whole layer into one image, deleting each tile as soon as it is placed: the peak is
 * one image plus one tile, not two images (what keeps a 100 MP job inside its memory budget).
 */
export async function stitchLayer(
  blobs: BlobStore,
  layer: string,
  g: Grid,
): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const out = { width: g.width, height: g.height, data: new Uint8ClampedArray(g.width * g.height * 4) };
  for (let i = 0; i < tileCount(g); i++) {
    placeTile(g, i, await readTile(blobs, layer, g, i), out);
    await blobs.delete(tileName(layer, i));
  }
  return out;
}
