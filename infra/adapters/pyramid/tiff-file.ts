/**
 * The BigTIFF container around the tiles: tile data in the order the join completes it, then
 * one IFD per level (full resolution first, each further one a reduced image, chained), then
 * the 16-byte header at offset 0 that points at the first IFD.
 *
 * The header comes last because it holds the first IFD's offset, which follows every tile:
 * no TIFF can be streamed strictly front to back without knowing every tile's compressed
 * size in advance (libtiff and libvips seek back too). So the sink takes a position: every
 * write but the last continues where the previous ended, from byte 16 on, and the last is
 * the header at 0. A file writes at positions; a block blob stages the header's block last
 * and lists it first.
 */

import { type Level, type PyramidLayout, TILE } from "./layout.js";

/** Writes `bytes` at byte `at` of the file; see the module comment for the order of calls. */
export type TiffSink = (bytes: Uint8Array, at: number) => Promise<void>;

export const TIFF_HEADER_BYTES = 16;

const SHORT = 3;
const LONG = 4;
const LONG8 = 16;
const TYPE_BYTES: Record<number, number> = { [SHORT]: 2, [LONG]: 4, [LONG8]: 8 };

interface Entry {
  readonly tag: number;
  readonly type: number;
  readonly values: ArrayLike<number>;
}

export class TiffWriter {
  private at = TIFF_HEADER_BYTES;
  /** The tile index: where each tile of each level starts and how long it is (row-major). */
  private readonly offsets: Float64Array[];
  private readonly counts: Float64Array[];

  constructor(
    private readonly layout: PyramidLayout,
    private readonly sink: TiffSink,
  ) {
    this.offsets = layout.levels.map((l) => new Float64Array(l.cols * l.rows));
    this.counts = layout.levels.map((l) => new Float64Array(l.cols * l.rows));
  }

  /** Bytes the tile index holds: 16 per tile, the one part of the join that grows with the image. */
  get indexBytes(): number {
    return this.offsets.reduce((n, a) => n + 2 * a.byteLength, 0);
  }

  async writeTiles(level: number, tileRow: number, tiles: readonly Uint8Array[]): Promise<void> {
    const offsets = this.offsets[level] as Float64Array;
    const counts = this.counts[level] as Float64Array;
    const cols = (this.layout.levels[level] as Level).cols;
    for (let col = 0; col < tiles.length; col++) {
      const tile = tiles[col] as Uint8Array;
      await this.sink(tile, this.at);
      offsets[tileRow * cols + col] = this.at;
      counts[tileRow * cols + col] = tile.length;
      this.at += tile.length;
    }
  }

  /** Writes the IFDs after the last tile, then the header. */
  async finish(): Promise<void> {
    const pad = (8 - (this.at % 8)) % 8; // IFDs on 8-byte boundaries, as BigTIFF readers prefer
    if (pad) await this.sink(new Uint8Array(pad), this.at);
    let at = this.at + pad;
    const levels = this.layout.levels.map((_, l) => this.entries(l));
    const sizes = levels.map(blockBytes);
    const starts = sizes.map((_, l) => at + sizes.slice(0, l).reduce((a, b) => a + b, 0));
    for (let l = 0; l < levels.length; l++) {
      const next = l + 1 < levels.length ? (starts[l + 1] as number) : 0;
      const block = encodeBlock(levels[l] as Entry[], starts[l] as number, next);
      await this.sink(block, at);
      at += block.length;
    }
    const header = new Uint8Array(TIFF_HEADER_BYTES);
    const view = new DataView(header.buffer);
    header.set([0x49, 0x49]); // "II": little-endian
    view.setUint16(2, 43, true); // BigTIFF
    view.setUint16(4, 8, true); // offsets are 8 bytes
    view.setBigUint64(8, BigInt(starts[0] as number), true);
    await this.sink(header, 0);
  }

  private entries(level: number): Entry[] {
    const l = this.layout.levels[level] as Level;
    const c = this.layout.channels;
    const samples = (v: number): number[] => new Array<number>(c).fill(v);
    const entries: Entry[] = [
      // NewSubfileType 1: a reduced-resolution version of the first image (the pyramid's levels).
      ...(level > 0 ? [{ tag: 254, type: LONG, values: [1] }] : []),
      { tag: 256, type: LONG, values: [l.width] },
      { tag: 257, type: LONG, values: [l.height] },
      { tag: 258, type: SHORT, values: samples(8) },
      { tag: 259, type: SHORT, values: [8] }, // Adobe deflate (zlib)
      { tag: 262, type: SHORT, values: [c === 1 ? 1 : 2] }, // BlackIsZero or RGB
      { tag: 277, type: SHORT, values: [c] },
      { tag: 284, type: SHORT, values: [1] }, // samples interleaved
      { tag: 317, type: SHORT, values: [2] }, // horizontal predictor
      { tag: 322, type: SHORT, values: [TILE] },
      { tag: 323, type: SHORT, values: [TILE] },
      { tag: 324, type: LONG8, values: this.offsets[level] as Float64Array },
      { tag: 325, type: LONG8, values: this.counts[level] as Float64Array },
      ...(c === 4 ? [{ tag: 338, type: SHORT, values: [2] }] : []), // unassociated alpha
      { tag: 339, type: SHORT, values: samples(1) }, // unsigned integers
    ];
    return entries;
  }
}

const entryBytes = (e: Entry): number => (TYPE_BYTES[e.type] as number) * e.values.length;
const ifdBytes = (entries: readonly Entry[]): number => 8 + 20 * entries.length + 8;

/** An IFD followed by the values too long to sit in their entries (8 bytes in BigTIFF). */
function blockBytes(entries: readonly Entry[]): number {
  return ifdBytes(entries) + entries.reduce((n, e) => n + (entryBytes(e) > 8 ? entryBytes(e) : 0), 0);
}

function encodeBlock(entries: readonly Entry[], start: number, next: number): Uint8Array {
  const out = new Uint8Array(blockBytes(entries));
  const view = new DataView(out.buffer);
  const put = (at: number, type: number, value: number): void => {
    if (type === SHORT) view.setUint16(at, value, true);
    else if (type === LONG) view.setUint32(at, value, true);
    else view.setBigUint64(at, BigInt(value), true);
  };
  view.setBigUint64(0, BigInt(entries.length), true);
  let extra = ifdBytes(entries);
  entries.forEach((e, i) => {
    const at = 8 + 20 * i;
    view.setUint16(at, e.tag, true);
    view.setUint16(at + 2, e.type, true);
    view.setBigUint64(at + 4, BigInt(e.values.length), true);
    const size = TYPE_BYTES[e.type] as number;
    let to = at + 12;
    if (entryBytes(e) > 8) {
      view.setBigUint64(at + 12, BigInt(start + extra), true);
      to = extra;
      extra += entryBytes(e);
    }
    for (let k = 0; k < e.values.length; k++) put(to + k * size, e.type, e.values[k] as number);
  });
  view.setBigUint64(8 + 20 * entries.length, BigInt(next), true);
  return out;
}
