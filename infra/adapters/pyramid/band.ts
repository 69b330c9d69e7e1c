/**
 * The worker's half: one band of the result in, its piece out. The band computes every
 * pyramid row that lies wholly inside it down to the strip level, compresses the tile rows
 * it wholly contains above that level, and keeps as raw rows only what the join needs: rows
 * of tile rows that cross into a neighbouring band (the join assembles those) and the strip
 * level's rows (from which the join builds the small levels).
 */

import { bandLevelRows, bandSpan, levelOf, type PyramidLayout, TILE, tileRowFromBand, tileRowRows } from "./layout.js";
import { packPiece, type Section } from "./piece.js";
import { downsampleRow, type RgbaBand, toChannels } from "./pixels.js";
import { tileRowEncoder } from "./tiles.js";

/** Tile rows a band compresses at once. */
const TILE_ROWS_IN_FLIGHT = 2;

type Pending = { section: Section; payloads: Uint8Array[] } | { level: number; tileRow: number; tiles: Promise<Uint8Array[]> };

/** Encodes band `bandIndex` (its full-resolution rows, RGBA or as stored) into the bytes joinTiff or joinTiles take (its piece). */
export async function encodeBandPieces(band: RgbaBand, bandIndex: number, layout: PyramidLayout): Promise<Uint8Array> {
  const { y0, y1 } = bandSpan(layout, bandIndex);
  if (band.width !== layout.width || band.height !== y1 - y0) {
    throw new RangeError(
      `band ${bandIndex} holds rows ${y0}..${y1 - 1}, so it must be ${layout.width}×${y1 - y0}; got ${band.width}×${band.height}`,
    );
  }
  const given = band.channels ?? 4;
  if (band.data.length !== band.width * band.height * given) {
    const kind = given === 4 ? "RGBA" : given === 3 ? "RGB" : "grey";
    throw new RangeError(`band ${bandIndex}: ${band.data.length} bytes is not ${band.width}×${band.height} ${kind} pixels`);
  }
  const c = layout.channels;
  const encode = tileRowEncoder(layout);
  const pending: Pending[] = [];
  const inFlight: Promise<unknown>[] = [];
  let rows = toChannels(band, c, `band ${bandIndex}`);
  let first = y0;
  for (let level = 0; level <= layout.stripLevel; level++) {
    const { r0, r1 } = bandLevelRows(layout, bandIndex, level);
    // A level's rows come from the level above's, so once a band holds none, it holds none below.
    if (r0 === r1) break;
    const { width } = levelOf(layout, level);
    const rowBytes = width * c;
    if (level > 0) {
      rows = shrink(rows, first, levelOf(layout, level - 1), r0, r1, c);
      first = r0;
    }
    const slice = (a: number, b: number): Uint8Array => rows.subarray((a - first) * rowBytes, (b - first) * rowBytes);
    if (level === layout.stripLevel) {
      pending.push({ section: { kind: "rows", level, first: r0, count: r1 - r0 }, payloads: [slice(r0, r1)] });
      break;
    }
    for (let k = Math.floor(r0 / TILE); k * TILE < r1; k++) {
      const span = tileRowRows(layout, level, k);
      if (tileRowFromBand(layout, level, k)) {
        // A few tile rows at a time keep every zlib thread busy; all of a tall band's at once
        // would copy it whole into tiles before the first is compressed.
        const earlier = inFlight.length >= TILE_ROWS_IN_FLIGHT ? inFlight.shift() : undefined;
        if (earlier) await earlier;
        const tiles = encode(level, k, slice(span.r0, span.r1), span.r1 - span.r0);
        tiles.catch(() => undefined); // a failure surfaces from the Promise.all below; never unhandled
        inFlight.push(tiles);
        pending.push({ level, tileRow: k, tiles });
      } else {
        const a = Math.max(r0, span.r0);
        const b = Math.min(r1, span.r1);
        pending.push({ section: { kind: "rows", level, first: a, count: b - a }, payloads: [slice(a, b)] });
      }
    }
  }
  // All at once, so that a failed tile is one rejection, never an unhandled one.
  const done = await Promise.all(
    pending.map(async (p) => {
      if ("section" in p) return p;
      const tiles = await p.tiles;
      const section: Section = { kind: "tiles", level: p.level, tileRow: p.tileRow, sizes: tiles.map((t) => t.length) };
      return { section, payloads: tiles };
    }),
  );
  const sections = done.map((d) => d.section);
  const payloads = done.flatMap((d) => d.payloads);
  return packPiece({ key: layout.key, band: bandIndex, sections, payloads });
}

/** Level rows [r0, r1) from the level above's rows (which start at row `first`). */
function shrink(
  above: Uint8Array,
  first: number,
  from: { width: number; height: number },
  r0: number,
  r1: number,
  c: number,
): Uint8Array {
  const inBytes = from.width * c;
  const outBytes = Math.ceil(from.width / 2) * c;
  const out = new Uint8Array((r1 - r0) * outBytes);
  const row = (r: number): Uint8Array => above.subarray((r - first) * inBytes, (r - first + 1) * inBytes);
  for (let r = r0; r < r1; r++) {
    const lower = 2 * r + 1 < from.height ? row(2 * r + 1) : undefined;
    downsampleRow(row(2 * r), lower, from.width, c, out.subarray((r - r0) * outBytes, (r - r0 + 1) * outBytes));
  }
  return out;
}
