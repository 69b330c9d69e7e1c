/**
 * Huffman tables for skipping through a JPEG scan and for writing one DC codeword.
 *
 * The scan walker never needs coefficient values except DC differences, so an AC lookup does not
 * decode a symbol: it says how many bits the symbol and its extra bits take and how far it moves
 * along the block (run + 1, 16 for ZRL, 64 for end of block). Codes up to FAST_BITS long (nearly
 * all of them) are one table lookup; longer ones take the canonical-code slow path. AC symbols
 * with their extra bits mostly take 3 to 6 bits, so one lookup skips every symbol whose code lies
 * whole in the FAST_BITS window: half as many lookups or fewer on photographs.
 */

import type { HuffmanSpec } from "./markers.js";

export const FAST_BITS = 12;

export interface HuffmanDecoder {
  /**
   * Indexed by the next FAST_BITS bits; 0 when the code is longer than FAST_BITS. DC tables:
   * (category << 8) | code length. AC tables: the fields of acEntry.
   */
  readonly fast: Int32Array;
  /** Largest code of each length 1..16 (-1 when none), and the symbol index of each length's first code minus that code. */
  readonly maxCode: Int32Array;
  readonly valOffset: Int32Array;
  readonly symbols: Uint8Array;
}

/** The canonical codes of a table: code and length by symbol (length 0: no code). Undefined when the table is invalid. */
export function canonicalCodes(spec: HuffmanSpec): { code: Int32Array; length: Uint8Array } | undefined {
  const code = new Int32Array(256);
  const length = new Uint8Array(256);
  let next = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < (spec.counts[len - 1] ?? 0); i++) {
      const sym = spec.symbols[k++] ?? 0;
      if (next >= 1 << len) return undefined; // more codes than fit in len bits
      code[sym] = next++;
      length[sym] = len;
    }
    next <<= 1;
  }
  return { code, length };
}

/** How far along the block a symbol moves: run + 1, or 16 for ZRL, or 64 (to the end) for end of block. */
function advance(sym: number): number {
  // libjpeg ends the block on any size-0 symbol other than ZRL (0xF0), so do we.
  return (sym & 15) === 0 ? (sym === 0xf0 ? 16 : 64) : (sym >> 4) + 1;
}

/**
 * An AC entry: bits to skip and advance for the first symbol alone, the same for all the symbols
 * the window holds, and the advance before the last of those. When the block is still open after
 * all but the last (k + before < 64) they all belong to it; otherwise only the first does.
 */
export function acEntry(skip1: number, adv1: number, skip: number, adv: number, before = 0): number {
  return skip1 | (adv1 << 5) | (skip << 12) | (adv << 18) | (before << 25);
}

/** Builds the lookup tables for one DHT table; `ac` picks the entry format. Undefined when the table is invalid. */
export function huffmanDecoder(spec: HuffmanSpec, ac: boolean): HuffmanDecoder | undefined {
  const codes = canonicalCodes(spec);
  if (!codes) return undefined;
  const fast = new Int32Array(1 << FAST_BITS);
  const maxCode = new Int32Array(17).fill(-1);
  const valOffset = new Int32Array(17);
  // Symbol + 1 (0: none) and code length by window, for the codes that fit in it.
  const symbolAt = new Int32Array(1 << FAST_BITS);
  const lengthAt = new Uint8Array(1 << FAST_BITS);
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const count = spec.counts[len - 1] ?? 0;
    if (count === 0) continue;
    const first = codes.code[spec.symbols[k] ?? 0] ?? 0;
    valOffset[len] = k - first;
    maxCode[len] = first + count - 1;
    for (let i = 0; i < count; i++, k++) {
      const sym = spec.symbols[k] ?? 0;
      if (len > FAST_BITS) continue;
      const base = (codes.code[sym] ?? 0) << (FAST_BITS - len);
      symbolAt.fill(sym + 1, base, base + (1 << (FAST_BITS - len)));
      lengthAt.fill(len, base, base + (1 << (FAST_BITS - len)));
    }
  }
  const mask = (1 << FAST_BITS) - 1;
  for (let w = 0; w <= mask; w++) {
    const sym = (symbolAt[w] ?? 0) - 1;
    if (sym < 0) continue;
    const len = lengthAt[w] ?? 0;
    if (!ac) {
      fast[w] = ((sym & 15) << 8) | len;
      continue;
    }
    // Take symbols while their codes lie whole in the window (the last one's extra bits may run past it).
    let bits = 0;
    let adv = 0;
    let before = 0;
    let first = 0;
    for (;;) {
      const next = (w << bits) & mask;
      const s = (symbolAt[next] ?? 0) - 1;
      const l = lengthAt[next] ?? 0;
      if (s < 0 || l > FAST_BITS - bits) break;
      before = adv;
      bits += l + (s & 15);
      adv += advance(s);
      if (first === 0) first = acEntry(bits, adv, 0, 0);
      if (adv >= 64 || bits >= FAST_BITS) break;
    }
    fast[w] = first | acEntry(0, 0, bits, Math.min(adv, 64), before);
  }
  return { fast, maxCode, valOffset, symbols: spec.symbols };
}

/**
 * Decodes the code at the top of `peek16` (the next 16 bits) the slow way, for codes longer than
 * FAST_BITS. Returns the same entry format as the fast table, or -1 when no code matches (corrupt data).
 */
export function slowEntry(d: HuffmanDecoder, peek16: number, ac: boolean): number {
  for (let len = FAST_BITS + 1; len <= 16; len++) {
    const code = peek16 >>> (16 - len);
    if (code <= (d.maxCode[len] ?? -1)) {
      const sym = d.symbols[code + (d.valOffset[len] ?? 0)] ?? 0;
      const skip = len + (sym & 15);
      return ac ? acEntry(skip, advance(sym), skip, advance(sym)) : ((sym & 15) << 8) | len;
    }
  }
  return -1;
}

/**
 * `spec` with `extra` symbols (absent from it) appended as 16-bit codes. The codes of the existing
 * symbols do not change, since canonical codes are assigned in list order and the new ones come
 * last, so data coded with the old table still decodes with the new one. Undefined when the table
 * has no room for them (the all-ones code stays unused, as the standard asks).
 */
export function extendTable(spec: HuffmanSpec, extra: readonly number[]): HuffmanSpec | undefined {
  if (extra.length === 0) return spec;
  const counts = spec.counts.slice();
  counts[15] = (counts[15] ?? 0) + extra.length;
  const symbols = new Uint8Array(spec.symbols.length + extra.length);
  symbols.set(spec.symbols);
  symbols.set(extra, spec.symbols.length);
  const extended = { counts, symbols };
  const codes = canonicalCodes(extended);
  const last = extra[extra.length - 1] ?? 0;
  return codes && codes.code[last] !== 0xffff ? extended : undefined;
}

/** A DHT segment defining one table: class 0 (DC) or 1 (AC), id 0..3. */
export function dhtSegment(tableClass: number, id: number, spec: HuffmanSpec): Uint8Array {
  const length = 2 + 1 + 16 + spec.symbols.length;
  const out = new Uint8Array(2 + length);
  out.set([0xff, 0xc4, length >> 8, length & 0xff, (tableClass << 4) | id]);
  out.set(spec.counts, 5);
  out.set(spec.symbols, 21);
  return out;
}

/** The size category of a DC value: the number of bits of its magnitude. */
export function dcCategory(value: number): number {
  let m = value < 0 ? -value : value;
  let s = 0;
  while (m > 0) {
    s++;
    m >>= 1;
  }
  return s;
}

/** The extra bits that follow a DC category code: the value itself, or value - 1 in `size` bits when negative. */
export function dcExtraBits(value: number, size: number): number {
  return value < 0 ? value + (1 << size) - 1 : value;
}
