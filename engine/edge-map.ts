/**
 * Canny's hysteresis at the coordinator, a band at a time. The last canny stage leaves its
 * class map as a layer of bands: grey for an opaque image (greyLayer in plan.ts), taken into
 * the map as they are, else RGBA, packed. They are read one by one into a map of one byte per
 * pixel (Kernels.classMap), the map is reduced once, and the edges are given back a band or a
 * window at a time, with the layer's alpha. So the coordinator holds a quarter of the
 * RGBA image and the bands in hand (bandsAtOnce), never the whole layer (at 100 MP, 100 MB and
 * twelve 20 MB bands where it held 400 MB of bands and the map).
 *
 * The bands read to gather the map are kept (as many as are in hand at once) and reused for
 * the edges: every fresh buffer costs a page fault per 4 KB, which on a small VM is more than
 * the whole hysteresis (docs/performance.md, "Fresh memory").
 */

import { type ClassMap, type Kernels, MAX_PIXELS } from "@tessera/kernels";
import { readLayerBand, readLayerRows } from "./band-store.js";
import { SweptEdges } from "./edge-sweep.js";
import { inOrder } from "./in-order.js";
import type { BlobStore } from "./ports/blob-store.js";
import { bandCount, bandRows, type Grid } from "./tiling.js";

/** Bytes of RGBA bands the finish holds at once: at 24 MP every band, at 1 GP three. */
const BANDS_BUDGET = 256 * 1024 * 1024;

/**
 * Bands read, or encoded, at once: as many as fit BANDS_BUDGET, at least two (one encoding
 * while the next is made) and at most sixteen (enough to keep a wide machine's encoders busy).
 */
export function bandsAtOnce(grid: Grid): number {
  const bandBytes = grid.width * grid.tileSize * 4;
  return Math.max(2, Math.min(16, Math.floor(BANDS_BUDGET / bandBytes)));
}

/** Canny's edges after its hysteresis, read a band or a window at a time (EdgeMap, SweptEdges). */
export interface Edges {
  /** Bands in hand at once. */
  readonly atOnce: number;
  /** The hysteresis; before any rows are read. */
  reduce(): void | Promise<void>;
  /** Rows [y0, y1) as RGBA edges with the alpha of `layer`'s rows (an image with alpha). */
  rows(blobs: BlobStore, layer: string, rows: { y0: number; y1: number }): Promise<Uint8Array>;
  /** Rows [y0, y1) of an opaque image's edges, one byte a pixel. */
  greyRows(rows: { y0: number; y1: number }): Uint8Array | Promise<Uint8Array>;
  /** A buffer rows() or greyRows() returned, free for the next rows. */
  give(buffer: Uint8Array): void;
}

/**
 * `layer`'s classes gathered for the hysteresis: into one map (EdgeMap) when the image fits
 * one (MAX_PIXELS, 268 MP), else kept as bands and spread band by band (SweptEdges), which is
 * slower (every band read and written again per sweep) but holds a band, not the image.
 */
export function gatherEdges(
  blobs: BlobStore,
  kernels: Kernels,
  layer: string,
  grid: Grid,
  channels: 1 | 4,
  started?: EdgeMap,
): Promise<Edges> {
  if (started) return started.gather(blobs, layer, channels);
  if (EdgeMap.fits(grid)) return EdgeMap.start(kernels, grid).gather(blobs, layer, channels);
  return SweptEdges.gather(blobs, kernels, layer, grid, channels);
}

/**
 * A class map, gathered band by band (as the stage's bands finish, or all at the end), reduced
 * once, and the band buffers kept from gathering it.
 */
export class EdgeMap implements Edges {
  private readonly spare: Uint8Array[] = [];
  /** Bands in the map, or on their way into it. */
  private readonly added = new Map<number, Promise<void>>();
  /** Bands in hand at once (bandsAtOnce). */
  readonly atOnce: number;

  private constructor(
    private readonly map: ClassMap,
    private readonly grid: Grid,
  ) {
    this.atOnce = bandsAtOnce(grid);
  }

  /** Whether the image's classes fit one map (MAX_PIXELS); larger ones are swept band by band (SweptEdges). */
  static fits(grid: Grid): boolean {
    return grid.width * grid.height <= MAX_PIXELS;
  }

  /** An empty map for `grid`: add() bands to it, then gather() the rest. */
  static start(kernels: Kernels, grid: Grid): EdgeMap {
    return new EdgeMap(kernels.classMap(grid.width, grid.height), grid);
  }

  /**
   * Puts band `band` of `layer`'s classes (canny's, one band per blob, of `channels` bytes a
   * pixel) in the map, once however often it is asked. The job driver adds each band as it
   * finishes, so that what was the finish's serial gather (24 MP on 2 cores: 110–165 ms of
   * reads and copies after the last band) runs while the other bands compute. A failed read
   * is forgotten, to be read again by gather().
   */
  add(blobs: BlobStore, layer: string, band: number, channels: 1 | 4): Promise<void> {
    const known = this.added.get(band);
    if (known) return known;
    const adding = readLayerBand(blobs, layer, this.grid, band, channels).then((bytes) => {
      const { y0 } = bandRows(this.grid, band);
      if (channels === 1) this.map.putGrey(y0, bytes);
      else this.map.pack(y0, bytes);
      this.give(bytes);
    });
    this.added.set(band, adding);
    adding.catch(() => this.added.delete(band));
    return adding;
  }

  /** Every band of `layer` in the map: those not added yet read now, `atOnce` at a time; reduce() next. */
  async gather(blobs: BlobStore, layer: string, channels: 1 | 4): Promise<EdgeMap> {
    const bands = Array.from({ length: bandCount(this.grid) }, (_, band) => band);
    await inOrder(bands, this.atOnce, (band) => this.add(blobs, layer, band, channels));
    return this;
  }

  /** The hysteresis, once, over the whole map. */
  reduce(): void {
    this.map.reduce();
  }

  /**
   * Rows [y0, y1) as RGBA edges, with the alpha of `layer`'s rows (an image with alpha: an
   * opaque one's edges are greyRows); give() the buffer back once done with it.
   */
  async rows(blobs: BlobStore, layer: string, rows: { y0: number; y1: number }): Promise<Uint8Array> {
    const read = await readLayerRows(blobs, layer, this.grid, rows.y0, rows.y1);
    const rgba = new Uint8Array(read.data.buffer, read.data.byteOffset, read.data.length);
    this.map.unpack(rows.y0, rgba);
    return rgba;
  }

  /** Rows [y0, y1) of an opaque image's edges as grey, one byte a pixel; give() the buffer back once done with it. */
  greyRows(rows: { y0: number; y1: number }): Uint8Array {
    const grey = this.take((rows.y1 - rows.y0) * this.grid.width);
    this.map.greyRows(rows.y0, grey);
    return grey;
  }

  /** A buffer rows() or greyRows() returned, free for the next rows. */
  give(buffer: Uint8Array): void {
    if (this.spare.length < this.atOnce) this.spare.push(buffer);
  }

  /** A kept buffer of at least `bytes` (its own view only: a small read may share its ArrayBuffer), or a new one. */
  private take(bytes: number): Uint8Array {
    const index = this.spare.findIndex((b) => b.length >= bytes);
    if (index < 0) return new Uint8Array(bytes);
    return (this.spare.splice(index, 1)[0] as Uint8Array).subarray(0, bytes);
  }
}
