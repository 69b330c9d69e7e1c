// Placing a tile's luma window in kernel memory for the analysis kernels of components and
// hough-lines. Both read whole v128s, up to 15 bytes past the end of a row, so the window is
// followed by 16 bytes of slack that is always addressable.

import { KernelError } from "../errors.js";
import { align16, type Heap } from "../wasm.js";
import type { AnalysisTile } from "./types.js";

/** Where a tile's window went, and where its core starts. */
export interface PlacedWindow {
  /** Byte offset of the core's first pixel; rows are `stride` bytes apart. */
  readonly core: number;
  readonly stride: number;
  /** First byte after the window (and its slack) that the caller may use, 16-byte aligned. */
  readonly free: number;
}

/** Checks a tile's shape; a malformed tile is a caller bug, reported as INVALID_IMAGE. */
export function checkTile(op: string, tile: AnalysisTile): void {
  const { width, height, core, grey } = tile;
  const whole = (v: number): boolean => Number.isInteger(v) && v >= 0;
  const ok =
    whole(width) &&
    whole(height) &&
    grey.length === width * height &&
    [core.x, core.y, core.width, core.height].every(whole) &&
    core.x + core.width <= width &&
    core.y + core.height <= height;
  if (!ok) {
    throw new KernelError(
      "INVALID_IMAGE",
      `${op}: the tile's window (${width}×${height}, ${grey.length} bytes) and core (${core.x},${core.y} ${core.width}×${core.height}) do not fit together; cut tiles with cutTile`,
    );
  }
}

/** Copies the window to the bottom of the heap, resets scratch above it and makes `extra` more bytes addressable. */
export function placeWindow(heap: Heap, tile: AnalysisTile, extra: number): PlacedWindow {
  const base = align16(heap.wasm.heapBase());
  const free = align16(base + tile.grey.length + 16);
  heap.ensure(free + extra);
  heap.u8.set(tile.grey, base);
  heap.wasm.scratchReset(free);
  return { core: base + tile.core.y * tile.width + tile.core.x, stride: tile.width, free };
}
