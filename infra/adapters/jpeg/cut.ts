/**
 * Cuts a sequential JPEG into standalone JPEGs of horizontal bands without decoding pixels, so each
 * worker decodes only its own band.
 *
 * A piece is the file's header (height patched, Exif/XMP and comments dropped) and the entropy-coded
 * bits of whole MCU rows copied from the original. The only bits that change are each component's
 * first DC codeword: DC values are coded as differences from the previous block, and a new file
 * starts from 0, so that codeword is rewritten as the absolute value. Blocks are identical, so the
 * piece decodes to the same pixels, except near its top and bottom edges where chroma upsampling
 * would have read the neighbouring rows; one MCU row of context on each side keeps the asked rows exact.
 */

import { BitWriter, type ByteAlloc, countFF, stuff, unstuff } from "./bits.js";
import {
  canonicalCodes,
  dcCategory,
  dcExtraBits,
  dhtSegment,
  extendTable,
  type HuffmanDecoder,
  huffmanDecoder,
} from "./huffman.js";
import {
  APP1,
  COM,
  DRI,
  EOI,
  type HuffmanSpec,
  type JpegLayout,
  mcuGeometry,
  readJpegLayout,
  SOI,
  scanProblem,
} from "./markers.js";
import { indexScan, type ScanIndex } from "./scan.js";

export interface JpegPiece {
  bytes: Uint8Array;
  top: number;
  rows: number;
}

export interface JpegCutter {
  readonly width: number;
  readonly height: number;
  /** Height of one MCU row in pixels: 8 × the largest vertical sampling factor (8 or 16 in practice). */
  readonly mcuHeight: number;
  /**
   * A standalone JPEG that decodes to pixel rows [top, top + rows) of the image, covering at least
   * rows [y0, y1) with one extra MCU row of context above and below where the image has one
   * (chroma upsampling in libjpeg reads the neighbouring chroma rows). Decoding the piece with
   * sharp and taking rows [y0 - top, y1 - top) gives exactly rows [y0, y1) of decoding the whole file.
   */
  cut(y0: number, y1: number): JpegPiece;
  /** The file it cuts from, as it came. */
  readonly encoded: Uint8Array;
}

interface DcCode {
  readonly code: Int32Array;
  readonly length: Uint8Array;
}

/** The DC codes a piece starting at one MCU row writes its first DC values with, and any DHT segments it needs for that. */
interface DcPlan {
  /** By scan component. */
  readonly codes: readonly DcCode[];
  readonly dht: readonly Uint8Array[];
}

/**
 * What the walk over a JPEG's scan finds: the un-stuffed entropy-coded data and where each MCU
 * row starts in it. Typed arrays only, so that a scan made on another thread crosses over
 * without a copy (scan-thread.ts).
 */
export interface ScannedJpeg {
  readonly data: Uint8Array;
  readonly index: ScanIndex;
}

/**
 * A cutter for `bytes`, or the reason this file cannot be cut (the caller then decodes it whole).
 * Supports baseline and extended sequential Huffman JPEGs (SOF0/SOF1), 8-bit, grey or 3 components,
 * any sampling factors, one scan, no restart interval. Never throws: unsupported and corrupt files
 * alike come back as `{ unsupported }`. The whole scan is walked once here; cuts are then copies.
 */
export function jpegCutter(bytes: Uint8Array): JpegCutter | { unsupported: string } {
  const scanned = scanJpeg(bytes);
  return "unsupported" in scanned ? scanned : cutterOf(bytes, scanned);
}

/**
 * The serial part of jpegCutter: the walk over every MCU of `bytes`' scan (tens of ms at 24 MP).
 * The scan's un-stuffed data (the size of the file) is allocated by `alloc`.
 */
export function scanJpeg(bytes: Uint8Array, alloc?: ByteAlloc): ScannedJpeg | { unsupported: string } {
  const layout = checkedLayout(bytes);
  if (typeof layout === "string") return { unsupported: layout };
  const dc: HuffmanDecoder[] = [];
  const ac: HuffmanDecoder[] = [];
  // Components usually share tables (both chroma ones, in a camera's JPEG): each is built once.
  const built = new Map<string, HuffmanDecoder | undefined>();
  const decoderFor = (spec: HuffmanSpec | undefined, key: string, isAc: boolean) => {
    if (!built.has(key)) built.set(key, spec && huffmanDecoder(spec, isAc));
    return built.get(key);
  };
  for (const s of layout.scan) {
    const d = decoderFor(layout.dcTables[s.dc], `dc${s.dc}`, false);
    const a = decoderFor(layout.acTables[s.ac], `ac${s.ac}`, true);
    if (!d || !a) return { unsupported: TABLE_OVERFULL };
    dc.push(d);
    ac.push(a);
  }
  const { data, length } = unstuff(bytes, layout.ecsStart, layout.ecsEnd, alloc);
  const index = indexScan(data, length, mcuGeometry(layout), dc, ac);
  return typeof index === "string" ? { unsupported: index } : { data, index };
}

/** A cutter over `bytes` from their scan (scanJpeg's, made here or on another thread). */
export function cutterOf(bytes: Uint8Array, scanned: ScannedJpeg): JpegCutter | { unsupported: string } {
  const layout = checkedLayout(bytes);
  if (typeof layout === "string") return { unsupported: layout };
  const geometry = mcuGeometry(layout);
  if (scanned.index.rowBit.length !== geometry.mcusY + 1) return { unsupported: "the scan given is of another image" };
  const dcCodes: DcCode[] = [];
  for (const s of layout.scan) {
    const spec = layout.dcTables[s.dc];
    const codes = spec && canonicalCodes(spec);
    if (!codes) return { unsupported: TABLE_OVERFULL };
    dcCodes.push(codes);
  }
  const cutter = new Cutter(bytes, layout, geometry.mcuHeight, geometry.mcusY, scanned.data, scanned.index, dcCodes);
  // Check every row now so that cut() cannot fail later.
  for (let row = 0; row < geometry.mcusY; row++) {
    const plan = cutter.planDc(row);
    if (typeof plan === "string") return { unsupported: plan };
  }
  return cutter;
}

const TABLE_OVERFULL = "corrupt JPEG: a Huffman table has more codes than fit their lengths";

function checkedLayout(bytes: Uint8Array): JpegLayout | string {
  const layout = readJpegLayout(bytes);
  if (typeof layout === "string") return layout;
  return scanProblem(layout) ?? layout;
}

class Cutter implements JpegCutter {
  readonly width: number;
  readonly height: number;
  private readonly prefix: Uint8Array;
  private readonly sos: Uint8Array;
  private readonly heightAt: number;
  private readonly dcTableIds: number[];
  private readonly dcSpecs: (HuffmanSpec | undefined)[];
  private readonly plain: DcPlan;

  constructor(
    readonly encoded: Uint8Array,
    layout: JpegLayout,
    readonly mcuHeight: number,
    private readonly mcuRows: number,
    private readonly data: Uint8Array,
    private readonly index: ScanIndex,
    dcCodes: readonly DcCode[],
  ) {
    this.width = layout.width;
    this.height = layout.height;
    this.dcTableIds = layout.scan.map((s) => s.dc);
    this.dcSpecs = layout.dcTables;
    this.plain = { codes: dcCodes, dht: [] };
    // SOI and the segments a decoder needs (tables, frame, APPn such as JFIF, ICC and Adobe); SOS apart,
    // since a piece may need a DHT segment just before it.
    const kept = layout.segments.filter((s) => s.marker !== APP1 && s.marker !== COM && s.marker !== DRI);
    this.prefix = new Uint8Array(2 + kept.reduce((n, s) => n + s.end - s.start, 0));
    this.prefix.set([0xff, SOI]);
    let o = 2;
    this.heightAt = 0;
    for (const s of kept) {
      if (s === layout.sof) this.heightAt = o + 5;
      this.prefix.set(encoded.subarray(s.start, s.end), o);
      o += s.end - s.start;
    }
    this.sos = encoded.slice(layout.sos.start, layout.sos.end);
  }

  /**
   * How a piece starting at MCU row `row` codes its first DC values. The absolute value may need a
   * size category that an optimised DC table has no code for (a smooth gradient never codes a large
   * difference); the piece then redefines that table with the missing categories appended.
   */
  planDc(row: number): DcPlan | string {
    const { dcValue } = this.index;
    const nc = this.dcTableIds.length;
    let missing: Map<number, number[]> | undefined;
    for (let c = 0; c < nc; c++) {
      const size = dcCategory(dcValue[row * nc + c] ?? 0);
      if ((this.plain.codes[c]?.length[size] ?? 0) > 0) continue;
      missing ??= new Map();
      const id = this.dcTableIds[c] ?? 0;
      const list = missing.get(id) ?? [];
      if (!list.includes(size)) list.push(size);
      missing.set(id, list);
    }
    if (!missing) return this.plain;
    const byTable = new Map<number, DcCode>();
    const dht: Uint8Array[] = [];
    for (const [id, sizes] of missing) {
      const spec = extendTable(
        this.dcSpecs[id] as HuffmanSpec,
        sizes.sort((a, b) => a - b),
      );
      const codes = spec && canonicalCodes(spec);
      if (!spec || !codes) return `DC Huffman table ${id} has no room for the size categories a cut at MCU row ${row} needs`;
      byTable.set(id, codes);
      dht.push(dhtSegment(0, id, spec));
    }
    const codes = this.dcTableIds.map((id, c) => byTable.get(id) ?? (this.plain.codes[c] as DcCode));
    return { codes, dht };
  }

  cut(y0: number, y1: number): JpegPiece {
    if (!Number.isInteger(y0) || !Number.isInteger(y1) || y0 < 0 || y1 > this.height || y0 >= y1) {
      throw new RangeError(`cut(${y0}, ${y1}): rows must be integers with 0 <= y0 < y1 <= ${this.height} (the image height)`);
    }
    const mh = this.mcuHeight;
    const m0 = Math.max(0, Math.floor(y0 / mh) - 1);
    const m1 = Math.min(this.mcuRows, Math.ceil(y1 / mh) + 1);
    const top = m0 * mh;
    const rows = Math.min(this.height, m1 * mh) - top;
    const { rowBit, dcBit, dcLength, dcValue } = this.index;
    const plan = this.planDc(m0) as DcPlan; // checked for every row at construction
    const start = rowBit[m0] ?? 0;
    const end = rowBit[m1] ?? 0;
    const nc = this.dcTableIds.length;
    // Each rewritten DC codeword is at most 16 + 11 bits; 4 bytes each covers the growth.
    const writer = new BitWriter(Math.ceil((end - start) / 8) + 4 * nc + 8);
    let from = start;
    for (let c = 0; c < nc; c++) {
      const at = m0 * nc + c;
      const dcAt = dcBit[at] ?? 0;
      writer.copy(this.data, from, dcAt - from);
      const value = dcValue[at] ?? 0;
      const size = dcCategory(value);
      const codes = plan.codes[c] as DcCode;
      writer.write(codes.code[size] ?? 0, codes.length[size] ?? 0);
      writer.write(dcExtraBits(value, size), size);
      from = dcAt + (dcLength[at] ?? 0);
    }
    writer.copy(this.data, from, end - from);
    const length = writer.padToByte();
    const headerLength = this.prefix.length + plan.dht.reduce((n, s) => n + s.length, 0) + this.sos.length;
    const out = new Uint8Array(headerLength + length + countFF(writer.buffer, length) + 2);
    out.set(this.prefix);
    out[this.heightAt] = rows >> 8;
    out[this.heightAt + 1] = rows & 0xff;
    let o = this.prefix.length;
    for (const segment of [...plan.dht, this.sos]) {
      out.set(segment, o);
      o += segment.length;
    }
    o = stuff(writer.buffer, length, out, o);
    out[o] = 0xff;
    out[o + 1] = EOI;
    return { bytes: out, top, rows };
  }
}
