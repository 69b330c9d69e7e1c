/**
 * Canny's hysteresis on an image too large for one class map (EdgeMap holds the whole image's
 * classes in wasm memory, at most MAX_PIXELS): the classes stay in the store, a band at a time,
 * and are spread band by band instead. A band is spread with the edge rows of its neighbours
 * above and below as extra seeds (ClassMap.spread: weak pixels joined to a strong one become
 * strong, the rest stay weak), and spread again whenever a neighbour's boundary row changes,
 * sweeping down and up, until no band changes; then its weak pixels are cleared as its rows are
 * read. A weak path that crosses band borders many times can take a sweep per crossing, but every
 * spread only ever adds edges that the whole-map flood adds too, and once nothing changes every
 * weak pixel joined to a strong one has been reached: the result is the whole map's, exactly.
 *
 * Memory: one band's classes, one band of map in wasm memory and two rows per band. The spread
 * state is its own layer (`<layer>h`, grey), so the stage's classes stay as they were written.
 */

import type { ClassMap, Kernels } from "@tessera/kernels";
import { readLayerBand, readLayerRows } from "./band-store.js";
import { bandName } from "./blob-names.js";
import type { BlobStore } from "./ports/blob-store.js";
import { bandCount, bandRows, type Grid } from "./tiling.js";

export class SweptEdges {
  /** Bands the finish reads at once: two, one read while the other is encoded (each is a blob read, no map to share). */
  readonly atOnce = 2;
  /** Each band's first and last row of spread classes: the seeds its neighbours see. */
  private readonly first: Uint8Array[] = [];
  private readonly last: Uint8Array[] = [];
  private readonly state: string;

  private constructor(
    private readonly blobs: BlobStore,
    private readonly map: ClassMap,
    private readonly grid: Grid,
    layer: string,
  ) {
    this.state = `${layer}h`;
  }

  /** `layer`'s classes (canny's, one band per blob, of `channels` bytes a pixel) copied into the spread state as grey bands. */
  static async gather(blobs: BlobStore, kernels: Kernels, layer: string, grid: Grid, channels: 1 | 4): Promise<SweptEdges> {
    // Room for a band and a row above and below it.
    const edges = new SweptEdges(blobs, kernels.classMap(grid.width, grid.tileSize + 2), grid, layer);
    for (let band = 0; band < bandCount(grid); band++) {
      const bytes = await readLayerBand(blobs, layer, grid, band, channels);
      const grey = channels === 1 ? bytes : edges.packed(bytes);
      await edges.keep(band, grey);
    }
    return edges;
  }

  /** Spreads every band, then each band again whose neighbour's boundary row changed, sweeping down and up, until none changes. */
  async reduce(): Promise<void> {
    const bands = bandCount(this.grid);
    const dirty = new Set(Array.from({ length: bands }, (_, band) => band));
    const down = Array.from({ length: bands }, (_, band) => band);
    const up = [...down].reverse();
    while (dirty.size > 0) {
      for (const band of [...down, ...up]) {
        if (!dirty.delete(band)) continue;
        const { firstChanged, lastChanged } = await this.spreadBand(band);
        if (firstChanged && band > 0) dirty.add(band - 1);
        if (lastChanged && band < bands - 1) dirty.add(band + 1);
      }
    }
  }

  /** Rows [y0, y1) of an opaque image's edges, one byte a pixel. */
  async greyRows(rows: { y0: number; y1: number }): Promise<Uint8Array> {
    return this.edges(rows);
  }

  /** Rows [y0, y1) as RGBA edges, with the alpha of `layer`'s rows (the stage's RGBA classes). */
  async rows(blobs: BlobStore, layer: string, rows: { y0: number; y1: number }): Promise<Uint8Array> {
    const read = await readLayerRows(blobs, layer, this.grid, rows.y0, rows.y1);
    const rgba = new Uint8Array(read.data.buffer, read.data.byteOffset, read.data.length);
    await this.edges(rows, rgba);
    return rgba;
  }

  /**
   * Rows [y0, y1) of the spread state with their weak pixels cleared, through the map a map's
   * height at a time (ClassMap.clearWeak), and written into the R, G and B of `rgba` when given
   * (ClassMap.unpack keeps its alpha).
   */
  private async edges(rows: { y0: number; y1: number }, rgba?: Uint8Array): Promise<Uint8Array> {
    const read = await readLayerRows(this.blobs, this.state, this.grid, rows.y0, rows.y1, undefined, 1);
    const grey = new Uint8Array(read.data.buffer, read.data.byteOffset, read.data.length);
    const width = this.grid.width;
    const most = this.grid.tileSize + 2;
    for (let at = 0; at < rows.y1 - rows.y0; at += most) {
      const count = Math.min(most, rows.y1 - rows.y0 - at);
      const part = grey.subarray(at * width, (at + count) * width);
      this.map.putGrey(0, part);
      this.map.clearWeak(); // rows below `count` hold an earlier chunk's: clearing them is harmless
      this.map.greyRows(0, part);
      if (rgba) this.map.unpack(0, rgba.subarray(at * width * 4, (at + count) * width * 4));
    }
    return grey;
  }

  /** Nothing is kept between reads (EdgeMap keeps buffers; here each read is fresh). */
  give(_buffer: Uint8Array): void {}

  /** Spreads band `band` with its neighbours' boundary rows as seeds; says which of its own boundary rows changed. */
  private async spreadBand(band: number): Promise<{ firstChanged: boolean; lastChanged: boolean }> {
    const { width, tileSize } = this.grid;
    const { y0, y1 } = bandRows(this.grid, band);
    const rows = y1 - y0;
    const before = await readLayerBand(this.blobs, this.state, this.grid, band, 1);
    const none = new Uint8Array(width);
    this.map.putGrey(0, this.last[band - 1] ?? none);
    this.map.putGrey(1, before);
    this.map.putGrey(rows + 1, this.first[band + 1] ?? none);
    if (rows < tileSize) this.map.putGrey(rows + 2, new Uint8Array((tileSize - rows) * width));
    this.map.spread();
    const after = new Uint8Array(rows * width);
    this.map.greyRows(1, after);
    if (Buffer.compare(after, before) === 0) return { firstChanged: false, lastChanged: false };
    const firstChanged = Buffer.compare(after.subarray(0, width), this.first[band] as Uint8Array) !== 0;
    const lastChanged = Buffer.compare(after.subarray((rows - 1) * width), this.last[band] as Uint8Array) !== 0;
    await this.keep(band, after);
    return { firstChanged, lastChanged };
  }

  /** Stores band `band`'s spread classes and remembers its boundary rows. */
  private async keep(band: number, grey: Uint8Array): Promise<void> {
    const width = this.grid.width;
    this.first[band] = grey.slice(0, width);
    this.last[band] = grey.slice(grey.length - width);
    await this.blobs.put(bandName(this.state, band), grey);
  }

  /** An RGBA band's classes (R = G = B) as grey, packed in wasm memory. */
  private packed(rgba: Uint8Array): Uint8Array {
    const rows = rgba.length / (this.grid.width * 4);
    this.map.pack(0, rgba);
    const grey = new Uint8Array(rows * this.grid.width);
    this.map.greyRows(0, grey);
    return grey;
  }
}
