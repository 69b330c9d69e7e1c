/**
 * The coordinator's half, independent of the output: takes band pieces in order and turns them
 * into tile rows ready to write, building whatever no band could.
 *
 * Each level is a stream of rows, top to bottom. A row arrives raw (from a piece, or shrunk
 * here from the two rows above it when it straddles bands), or as part of a tile row a band
 * already compressed, which the stream skips. Per level the join keeps one tile row of raw
 * rows: when its last row arrives, it is handed to the encoder, and the buffer serves the next
 * tile row. Nothing else of a level stays, so memory follows the width and never the height.
 */

import {
  bandLevelRows,
  levelOf,
  type PyramidLayout,
  rowFromBand,
  TILE,
  tileRowEnd,
  tileRowFromBand,
  tileRowRows,
} from "./layout.js";
import { unpackPiece } from "./piece.js";
import { downsampleRow } from "./pixels.js";
import { type TileRowEncoder, tileRowEncoder } from "./tiles.js";

export interface TileRowOut {
  readonly level: number;
  readonly tileRow: number;
  readonly tiles: readonly Uint8Array[];
}

export interface JoinStats {
  /** Bytes the join holds now: its row buffers, and tile rows being encoded or waiting to be written. */
  readonly retainedBytes: number;
  /** The most it held at once. */
  readonly peakRetainedBytes: number;
}

type Completed = { level: number; tileRow: number; end: number; held: number; tiles: Promise<readonly Uint8Array[]> };

export class LevelJoin {
  private readonly next: number[];
  private readonly buffers: (Uint8Array | undefined)[];
  private readonly scratch: (Uint8Array | undefined)[];
  private nextBand = 0;
  private retained = 0;
  private peak = 0;
  /** Tile rows completed while the current piece is read. */
  private completed: Completed[] = [];

  constructor(
    private readonly layout: PyramidLayout,
    private readonly encode: TileRowEncoder = tileRowEncoder(layout),
  ) {
    this.next = layout.levels.map(() => 0);
    this.buffers = layout.levels.map(() => undefined);
    this.scratch = layout.levels.map(() => undefined);
  }

  get stats(): JoinStats {
    return { retainedBytes: this.retained, peakRetainedBytes: this.peak };
  }

  /**
   * Reads the next band's piece and writes every tile row completed in it, in the order of
   * (full-resolution row after its end, level): the order one top-to-bottom pass over the
   * whole image completes them, so the output is the same bytes whatever the band height.
   */
  async band(blob: Uint8Array, write: (out: TileRowOut) => Promise<void>): Promise<void> {
    const { layout } = this;
    if (this.nextBand >= layout.bands) throw new Error(`the join got more than the layout's ${layout.bands} band pieces`);
    const piece = unpackPiece(blob, (level) => levelOf(layout, level).width * layout.channels);
    if (piece.key !== layout.key) throw new Error(`band piece ${piece.band} was encoded for another layout than this join's`);
    if (piece.band !== this.nextBand) {
      throw new Error(`band pieces must be joined in band order: expected band ${this.nextBand}, got band ${piece.band}`);
    }
    let p = 0;
    for (const s of piece.sections) {
      if (s.kind === "rows") {
        const { r0, r1 } = bandLevelRows(layout, piece.band, s.level);
        if (s.level > layout.stripLevel || s.first < r0 || s.first + s.count > r1) {
          throw new Error(`band piece ${piece.band} holds level ${s.level} rows that are not its own`);
        }
        const data = piece.payloads[p++] as Uint8Array;
        const rowBytes = levelOf(layout, s.level).width * layout.channels;
        for (let i = 0; i < s.count; i++) this.push(s.level, s.first + i, data.subarray(i * rowBytes, (i + 1) * rowBytes));
      } else {
        const tiles = piece.payloads.slice(p, p + s.sizes.length);
        p += s.sizes.length;
        this.skip(s.level, s.tileRow, tiles.length);
        const end = tileRowEnd(layout, s.level, s.tileRow);
        this.completed.push({ level: s.level, tileRow: s.tileRow, end, held: 0, tiles: Promise.resolve(tiles) });
      }
    }
    this.nextBand++;
    const completed = this.completed.sort((a, b) => a.end - b.end || a.level - b.level);
    this.completed = [];
    const done = await Promise.all(
      completed.map(async (c) => {
        const tiles = await c.tiles;
        // Encoded: the raw pixels it held go, its compressed bytes stay until written.
        const bytes = c.held ? tiles.reduce((n, t) => n + t.length, 0) : 0;
        this.hold(bytes - c.held);
        return { ...c, tiles, held: bytes };
      }),
    );
    for (const c of done) {
      await write(c);
      this.hold(-c.held);
    }
  }

  /** Throws unless every band has been joined and every level is complete. */
  finish(): void {
    const { layout } = this;
    if (this.nextBand !== layout.bands) {
      throw new Error(`the join got ${this.nextBand} of the layout's ${layout.bands} band pieces`);
    }
    layout.levels.forEach((l, level) => {
      if (this.next[level] !== l.height) throw new Error(`level ${level} ended at row ${this.next[level]} of ${l.height}`);
    });
  }

  private hold(bytes: number): void {
    this.retained += bytes;
    this.peak = Math.max(this.peak, this.retained);
  }

  /** A band compressed level-ℓ tile row k: its rows will not come raw. */
  private skip(level: number, tileRow: number, tiles: number): void {
    const { r0, r1 } = tileRowRows(this.layout, level, tileRow);
    if (!tileRowFromBand(this.layout, level, tileRow) || this.next[level] !== r0 || tiles !== levelOf(this.layout, level).cols) {
      throw new Error(`level ${level} tile row ${tileRow} is out of place in band piece ${this.nextBand}`);
    }
    this.next[level] = r1;
  }

  private push(level: number, r: number, row: Uint8Array): void {
    const { layout } = this;
    const l = levelOf(layout, level);
    const rowBytes = l.width * layout.channels;
    if (r !== this.next[level]) throw new Error(`level ${level}: row ${r} arrived where row ${this.next[level]} was due`);
    const tileRow = Math.floor(r / TILE);
    const { r0, r1 } = tileRowRows(layout, level, tileRow);
    if (tileRowFromBand(layout, level, tileRow)) throw new Error(`level ${level}: row ${r} arrived raw in a band's tile row`);
    const buffer = this.buffers[level] ?? this.allocate(level, rowBytes * Math.min(TILE, l.height));
    buffer.set(row, (r - r0) * rowBytes);
    this.next[level] = r + 1;
    const rowAt = (i: number): Uint8Array => buffer.subarray((i - r0) * rowBytes, (i - r0 + 1) * rowBytes);
    // The next level's row below this pair, unless a band computed it.
    if (level + 1 < layout.levels.length && (r % 2 === 1 || r === l.height - 1) && !rowFromBand(layout, level + 1, r >> 1)) {
      const out = this.scratch[level + 1] ?? this.allocateScratch(level + 1);
      downsampleRow(r % 2 ? rowAt(r - 1) : rowAt(r), r % 2 ? rowAt(r) : undefined, l.width, layout.channels, out);
      this.push(level + 1, r >> 1, out);
    }
    if (r === r1 - 1) {
      const held = l.cols * TILE * TILE * layout.channels; // what the encoders copy the tiles into, at most
      this.hold(held);
      const end = tileRowEnd(layout, level, tileRow);
      const tiles = this.encode(level, tileRow, buffer.subarray(0, (r1 - r0) * rowBytes), r1 - r0);
      // Awaited with the band's other tile rows; this spare handler only keeps a failure that
      // lands after a bad piece stopped the band from counting as unhandled.
      tiles.catch(() => undefined);
      this.completed.push({ level, tileRow, end, held, tiles });
    }
  }

  private allocate(level: number, bytes: number): Uint8Array {
    const buffer = new Uint8Array(bytes);
    this.buffers[level] = buffer;
    this.hold(bytes);
    return buffer;
  }

  private allocateScratch(level: number): Uint8Array {
    const row = new Uint8Array(levelOf(this.layout, level).width * this.layout.channels);
    this.scratch[level] = row;
    this.hold(row.length);
    return row;
  }
}

/**
 * The most a join of this layout holds, from the width alone: per level one tile row of raw
 * rows and a row of scratch, plus at most two of its tile rows in flight (a piece completes at
 * most two per level it does not compress itself: the one it finishes and the image's last),
 * each as whole tiles, raw or compressed (zlib may add 0.03% and a few bytes per tile).
 */
export function joinMemoryBound(layout: PyramidLayout): number {
  const c = layout.channels;
  return layout.levels.reduce((n, l) => {
    const rows = l.width * c * (Math.min(TILE, l.height) + 1);
    return n + rows + 2 * l.cols * (TILE * TILE * c * 1.001 + 64);
  }, 0);
}
