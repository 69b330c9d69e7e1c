/**
 * A band's piece: what a worker stores for the join, in one blob.
 *
 *   "TPY1" | header length (u32 LE) | header (JSON) | payloads, in the header's order
 *
 * The header names the layout (its key) and the band, and lists sections in the order the
 * join consumes them (by level, then row): a run of raw rows (`count` rows of the level's
 * width × channels bytes) or a tile row the band compressed (one payload per tile, left to
 * right, of the listed sizes).
 */

export type Section =
  | { readonly kind: "rows"; readonly level: number; readonly first: number; readonly count: number }
  | { readonly kind: "tiles"; readonly level: number; readonly tileRow: number; readonly sizes: readonly number[] };

export interface Piece {
  readonly key: string;
  readonly band: number;
  readonly sections: readonly Section[];
  /** One payload per rows section; one per tile of a tiles section. */
  readonly payloads: readonly Uint8Array[];
}

const MAGIC = 0x31595054; // "TPY1" read as a little-endian u32

export function packPiece(piece: Piece): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ key: piece.key, band: piece.band, sections: piece.sections }));
  const out = new Uint8Array(8 + header.length + piece.payloads.reduce((n, p) => n + p.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.length, true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const payload of piece.payloads) {
    out.set(payload, at);
    at += payload.length;
  }
  return out;
}

/**
 * Reads a piece without copying its payloads. `rowBytes(level)` gives a raw row's size, to
 * check every payload against the blob's length before the join trusts any of it.
 */
export function unpackPiece(blob: Uint8Array, rowBytes: (level: number) => number): Piece {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (blob.length < 8 || view.getUint32(0, true) !== MAGIC) throw new Error("not a pyramid band piece (no TPY1 header)");
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > blob.length) throw new Error("a pyramid band piece is truncated in its header");
  let header: { key?: unknown; band?: unknown; sections?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(blob.subarray(8, 8 + headerLength)));
  } catch {
    throw new Error("a pyramid band piece has a corrupt header");
  }
  if (typeof header.key !== "string" || !Number.isInteger(header.band) || !Array.isArray(header.sections)) {
    throw new Error("a pyramid band piece has a corrupt header");
  }
  const sections = header.sections as Section[];
  const payloads: Uint8Array[] = [];
  let at = 8 + headerLength;
  const take = (length: number): void => {
    if (!Number.isInteger(length) || length < 0 || at + length > blob.length) {
      throw new Error(`pyramid band piece ${header.band} is truncated`);
    }
    payloads.push(blob.subarray(at, at + length));
    at += length;
  };
  for (const s of sections) {
    if (s.kind === "rows") take(s.count * rowBytes(s.level));
    else if (s.kind === "tiles" && Array.isArray(s.sizes)) s.sizes.forEach(take);
    else throw new Error(`pyramid band piece ${header.band} has an unknown section`);
  }
  if (at !== blob.length)
    throw new Error(`pyramid band piece ${header.band} has ${blob.length - at} bytes after its last section`);
  return { key: header.key, band: header.band as number, sections, payloads };
}
