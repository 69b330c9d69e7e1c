/**
 * A band of a result, encoded as one or more JPEG pieces that joinJpegBands can join.
 *
 * A join's restart interval (one piece's MCUs) must fit 16 bits, so a wide band is encoded as
 * several shorter pieces: a 10000-wide grey band (1250 MCUs of 8×8 per MCU row) of 512 rows
 * would be 80000 MCUs, in 256-row pieces it is 40000. Shorter pieces also encode in parallel.
 * The pieces of one band travel as one blob:
 *
 *   "TJP1" | count (u32 LE) | byte length of each piece (u32 LE × count) | the pieces, in order
 */

import type { Image } from "@tessera/kernels";

const MAGIC = 0x31504a54; // "TJP1" read as a little-endian u32
/** Rows above which a piece is split anyway: two pieces of a 512-row band encode side by side. */
const PREFERRED_PIECE_ROWS = 256;

/**
 * Rows per piece for bands `bandRows` high of a `width`-wide image: the largest multiple of
 * the MCU height that divides bandRows (so every band cuts into whole pieces), keeps one piece
 * within 65535 MCUs and, when it can, within PREFERRED_PIECE_ROWS; undefined when none does
 * (bandRows not a multiple of the MCU height, or an image too wide for even one MCU row).
 */
export function jpegPieceRows(width: number, bandRows: number, mcu: { width: number; height: number }): number | undefined {
  if (!Number.isInteger(bandRows) || bandRows < 1 || bandRows % mcu.height !== 0) return undefined;
  const perRow = Math.ceil(width / mcu.width);
  const mcuRows = bandRows / mcu.height;
  let best: number | undefined;
  for (let k = 1; k <= mcuRows; k++) {
    if (mcuRows % k !== 0 || perRow * k > 0xffff) continue;
    const rows = k * mcu.height;
    if (best === undefined || rows <= PREFERRED_PIECE_ROWS) best = rows;
  }
  return best;
}

export function packPieces(pieces: readonly Uint8Array[]): Uint8Array {
  const header = 8 + 4 * pieces.length;
  const out = new Uint8Array(header + pieces.reduce((n, p) => n + p.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, pieces.length, true);
  let at = header;
  pieces.forEach((piece, i) => {
    view.setUint32(8 + 4 * i, piece.length, true);
    out.set(piece, at);
    at += piece.length;
  });
  return out;
}

export function unpackPieces(blob: Uint8Array): Uint8Array[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (blob.length < 8 || view.getUint32(0, true) !== MAGIC) throw new Error("not a band of JPEG pieces (no TJP1 header)");
  const count = view.getUint32(4, true);
  let at = 8 + 4 * count;
  if (at > blob.length) throw new Error(`a band of ${count} JPEG pieces is truncated in its header`);
  return Array.from({ length: count }, (_, i) => {
    const length = view.getUint32(8 + 4 * i, true);
    if (at + length > blob.length) throw new Error(`JPEG piece ${i} of ${count} is truncated`);
    const piece = blob.subarray(at, at + length);
    at += length;
    return piece;
  });
}

/** A band encoded as pieces of `rows` rows each (the last may be shorter), side by side, packed into one blob. */
export async function encodeInPieces(
  band: Image,
  rows: number,
  encode: (piece: Image) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const channels = band.channels ?? 4;
  const rowBytes = band.width * channels;
  const parts = await Promise.all(
    Array.from({ length: Math.ceil(band.height / rows) }, (_, i) => {
      const height = Math.min(rows, band.height - i * rows);
      const data = band.data.subarray(i * rows * rowBytes, (i * rows + height) * rowBytes);
      return encode({ width: band.width, height, channels, data });
    }),
  );
  return packPieces(parts);
}
