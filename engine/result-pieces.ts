/**
 * The last stage's encoded pieces on their way into the result. Small results (JPEG, PNG) are
 * joined in memory, and their pieces are fetched as their bands finish so the join waits on no
 * download. Pyramids (a tiled TIFF, a tile set) can be gigapixels: their joins take pieces one
 * at a time, in band order, and write as they go, so their pieces are read only when the join
 * asks for them and the coordinator never holds a whole result.
 */

import { pieceName } from "./blob-names.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { OutputFormat } from "./ports/codec.js";
import { bandCount, type Grid } from "./tiling.js";

/** Whether the result's join streams, reading pieces one at a time (and so none are prefetched). */
export const streamsPieces = (format: OutputFormat): boolean => format === "tiff" || format === "dzi" || format === "iiif";

/** The pieces of `layer` in band order, each read when the consumer gets to it (a prefetched one is used as it is). */
export async function* piecesInOrder(
  blobs: BlobStore,
  layer: string,
  grid: Grid,
  format: OutputFormat,
  prefetched: ReadonlyMap<number, Promise<Uint8Array>> = new Map(),
): AsyncGenerator<Uint8Array> {
  for (let band = 0; band < bandCount(grid); band++) {
    yield await (prefetched.get(band) ?? blobs.get(pieceName(layer, band, format)));
  }
}
