// Running an analysis op over a grey image in one piece or cut into tiles, in one thread. The
// engine distributes the same two halves (tile, reduce) over threads and machines; these are
// the reference drivers, and the tests' proof that tiled == whole for every op.

import type { Heap } from "../wasm.js";
import type { AnalysisData, AnalysisOp, AnalysisTile } from "./types.js";

/** A grey image: one byte of luma per pixel, row-major. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** The tile whose core is `core` (image coordinates), with `halo` pixels of context clipped to the image. */
export function cutTile(
  image: GreyImage,
  core: { x: number; y: number; width: number; height: number },
  halo: number,
): AnalysisTile {
  const x0 = Math.max(0, core.x - halo);
  const y0 = Math.max(0, core.y - halo);
  const x1 = Math.min(image.width, core.x + core.width + halo);
  const y1 = Math.min(image.height, core.y + core.height + halo);
  const width = x1 - x0;
  const height = y1 - y0;
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const from = (y0 + y) * image.width + x0;
    grey.set(image.data.subarray(from, from + width), y * width);
  }
  return {
    grey,
    width,
    height,
    core: { x: core.x - x0, y: core.y - y0, width: core.width, height: core.height },
    origin: { x: x0, y: y0 },
    image: { width: image.width, height: image.height },
  };
}

/** The op on the whole image as one tile. */
export function analyseWhole<P, T>(heap: Heap, op: AnalysisOp<P, T>, image: GreyImage, params: P): AnalysisData {
  const tile = cutTile(image, { x: 0, y: 0, width: image.width, height: image.height }, 0);
  return op.reduce([op.tile(heap, tile, params)], image, params);
}

/** The op on tiles of `tileWidth × tileHeight` (the last row and column smaller), reduced together. */
export function analyseTiled<P, T>(
  heap: Heap,
  op: AnalysisOp<P, T>,
  image: GreyImage,
  params: P,
  tileWidth: number,
  tileHeight = tileWidth,
): AnalysisData {
  const halo = op.halo(params);
  const partials: T[] = [];
  for (let y = 0; y < image.height; y += tileHeight) {
    for (let x = 0; x < image.width; x += tileWidth) {
      const core = { x, y, width: Math.min(tileWidth, image.width - x), height: Math.min(tileHeight, image.height - y) };
      partials.push(op.tile(heap, cutTile(image, core, halo), params));
    }
  }
  return op.reduce(partials, image, params);
}
