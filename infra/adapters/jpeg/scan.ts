/**
 * The scan walker: one pass over a sequential Huffman scan that skips every block without
 * decoding it and records, at the start of each MCU row, what a cut there needs: the bit offset,
 * and for each component where its first DC codeword lies and the absolute DC value it stands for
 * (the predictor carried in from the row above plus the coded difference).
 *
 * This runs serially on the gateway before any parallel work, so the loop is written for speed:
 * un-stuffed bytes, 32-bit peeks at a plain bit offset, table-driven codes, AC symbols skipped by
 * their total length without reading their extra bits.
 */

import { FAST_BITS, type HuffmanDecoder, slowEntry } from "./huffman.js";
import type { McuGeometry } from "./markers.js";

export interface ScanIndex {
  /** Bit offset of each MCU row's first bit; entry mcusY is the bit after the last MCU. */
  readonly rowBit: Float64Array;
  /** By row × component (scan order): bit offset and length (code + extra bits) of the row's first DC codeword. */
  readonly dcBit: Float64Array;
  readonly dcLength: Uint8Array;
  /** By row × component: the absolute DC value of the row's first block. */
  readonly dcValue: Int32Array;
}

const SHIFT = 32 - FAST_BITS;
const CORRUPT = -1;
const TRUNCATED = -2;

/** What the row walker reads: every table and per-block array flat and typed, so the hot loop stays monomorphic. */
interface Walk {
  readonly view: DataView;
  readonly totalBits: number;
  readonly mcusX: number;
  /** By block of an MCU, in coding order: its component, whether it is the component's first, its tables' offsets in `fast`. */
  readonly comp: Int32Array;
  readonly first: Uint8Array;
  readonly dcAt: Int32Array;
  readonly acAt: Int32Array;
  /** Every fast table, one after another. */
  readonly fast: Int32Array;
  readonly dcOf: readonly HuffmanDecoder[];
  readonly acOf: readonly HuffmanDecoder[];
  readonly pred: Int32Array;
}

/**
 * Walks `geometry`'s MCUs through `data` (un-stuffed, `length` bytes, zero-padded) with each scan
 * component's DC and AC decoders. Returns the index, or a reason when the data is corrupt or ends early.
 */
export function indexScan(
  data: Uint8Array,
  length: number,
  geometry: McuGeometry,
  dc: readonly HuffmanDecoder[],
  ac: readonly HuffmanDecoder[],
): ScanIndex | string {
  const { mcusX, mcusY, blocks } = geometry;
  const nc = blocks.length;
  const comp: number[] = [];
  for (let c = 0; c < nc; c++) for (let b = 0; b < (blocks[c] as number); b++) comp.push(c);
  const size = 1 << FAST_BITS;
  const fast = new Int32Array(2 * nc * size);
  for (let c = 0; c < nc; c++) {
    fast.set((dc[c] as HuffmanDecoder).fast, 2 * c * size);
    fast.set((ac[c] as HuffmanDecoder).fast, (2 * c + 1) * size);
  }
  const walk: Walk = {
    view: new DataView(data.buffer, data.byteOffset, data.byteLength),
    totalBits: length * 8,
    mcusX,
    comp: Int32Array.from(comp),
    first: Uint8Array.from(comp, (c, b) => (b === 0 || comp[b - 1] !== c ? 1 : 0)),
    dcAt: Int32Array.from(comp, (c) => 2 * c * size),
    acAt: Int32Array.from(comp, (c) => (2 * c + 1) * size),
    fast,
    dcOf: comp.map((c) => dc[c] as HuffmanDecoder),
    acOf: comp.map((c) => ac[c] as HuffmanDecoder),
    pred: new Int32Array(nc),
  };
  const rowBit = new Float64Array(mcusY + 1);
  const record = new Float64Array(3 * nc);
  const dcBit = new Float64Array(mcusY * nc);
  const dcLength = new Uint8Array(mcusY * nc);
  const dcValue = new Int32Array(mcusY * nc);
  let pos = 0;
  for (let row = 0; row < mcusY; row++) {
    rowBit[row] = pos;
    const next = walkRow(walk, pos, record);
    if (next === CORRUPT) return `corrupt JPEG: a Huffman code in MCU row ${row} matches no table entry`;
    if (next === TRUNCATED) return `truncated JPEG: the image data ends in MCU row ${row} of ${mcusY}`;
    for (let c = 0; c < nc; c++) {
      dcBit[row * nc + c] = record[3 * c] as number;
      dcLength[row * nc + c] = record[3 * c + 1] as number;
      dcValue[row * nc + c] = record[3 * c + 2] as number;
    }
    pos = next;
  }
  rowBit[mcusY] = pos;
  return { rowBit, dcBit, dcLength, dcValue };
}

/**
 * Skips one MCU row from bit `pos`, keeping the DC predictors, and writes each component's first
 * DC codeword (bit, length, absolute value) to `record`. Returns the bit after the row, CORRUPT or TRUNCATED.
 */
function walkRow(walk: Walk, start: number, record: Float64Array): number {
  const { view, fast, comp, first, dcAt, acAt, pred, mcusX, totalBits } = walk;
  const nb = comp.length;
  let pos = start;
  for (let mx = 0; mx < mcusX; mx++) {
    for (let b = 0; b < nb; b++) {
      // DC: the category code, then `size` bits of difference.
      let w = view.getInt32(pos >>> 3) << (pos & 7);
      let e = fast[(dcAt[b] as number) + (w >>> SHIFT)] as number;
      if (e === 0) {
        e = slowEntry(walk.dcOf[b] as HuffmanDecoder, w >>> 16, false);
        if (e < 0) return CORRUPT;
      }
      const codeLength = e & 0xff;
      const size = e >>> 8;
      // The difference's bits are usually still in the same 32-bit peek (25 bits are valid in it).
      // Branch-free: categories and signs are random, so branches on them mispredict half the time.
      const x = codeLength + size <= 25 ? w << codeLength : view.getInt32((pos + codeLength) >>> 3) << ((pos + codeLength) & 7);
      let diff = (x >>> 1) >>> (31 - size); // 0 when size is 0
      diff += ((diff - (1 << (size - 1))) >> 31) & (1 - (1 << size)); // negative when the top bit is 0
      const c = comp[b] as number;
      const value = (pred[c] as number) + diff;
      pred[c] = value;
      if (mx === 0 && first[b] === 1) {
        record[3 * c] = pos;
        record[3 * c + 1] = codeLength + size;
        record[3 * c + 2] = value;
      }
      pos += codeLength + size;
      // AC: skip each symbol by its code length plus its size, until the block is full.
      const ac = acAt[b] as number;
      for (let k = 1; k < 64; ) {
        w = view.getInt32(pos >>> 3) << (pos & 7);
        e = fast[ac + (w >>> SHIFT)] as number;
        if (e === 0) {
          e = slowEntry(walk.acOf[b] as HuffmanDecoder, w >>> 16, true);
          if (e < 0) return CORRUPT;
        }
        // Every symbol in the window when the block is still open before the last of them, else the first alone.
        if (k + (e >>> 25) < 64) {
          pos += (e >>> 12) & 63;
          k += (e >>> 18) & 127;
        } else {
          pos += e & 31;
          k += (e >>> 5) & 127;
        }
      }
    }
    if (pos > totalBits) return TRUNCATED;
  }
  return pos;
}
