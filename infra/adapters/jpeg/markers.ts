/**
 * JPEG marker segments: the header of a file up to its first scan, parsed just enough for entropy-level
 * surgery (the frame, the tables, the scan), and where that scan's entropy-coded data ends. Shared by
 * the band cutter and the band joiner, which copy header segments verbatim and never touch pixels.
 * Only sequential Huffman files (SOF0/SOF1) get through: every other kind of JPEG is reported with the
 * reason, as a string, so the caller can decode it whole instead.
 */

export const SOI = 0xd8;
export const EOI = 0xd9;
export const SOS = 0xda;
export const DHT = 0xc4;
export const DQT = 0xdb;
export const DRI = 0xdd;
export const COM = 0xfe;
export const APP1 = 0xe1;
export const RST0 = 0xd0;

/** One marker segment: bytes [start, end) from its 0xFF to the end of its body. */
export interface Segment {
  readonly marker: number;
  readonly start: number;
  readonly end: number;
}

export interface FrameComponent {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly tq: number;
}

/** A Huffman table as stored in DHT: `counts[i]` codes of length i + 1, then the symbols in code order. */
export interface HuffmanSpec {
  readonly counts: Uint8Array;
  readonly symbols: Uint8Array;
}

/** A scan component: its index in the frame and its DC and AC table ids. */
export interface ScanComponent {
  readonly frameIndex: number;
  readonly dc: number;
  readonly ac: number;
}

export interface JpegLayout {
  /** Every segment between SOI and SOS, in file order (fill bytes between them dropped). */
  readonly segments: Segment[];
  readonly sof: Segment;
  readonly width: number;
  readonly height: number;
  readonly components: FrameComponent[];
  readonly restartInterval: number;
  /** Table definitions in force at the scan, by id 0..3 (a later DHT/DQT for an id replaces an earlier). */
  readonly dcTables: (HuffmanSpec | undefined)[];
  readonly acTables: (HuffmanSpec | undefined)[];
  /** Each quantisation table's DQT bytes (precision/id byte and values), for comparing files. */
  readonly quantTables: (Uint8Array | undefined)[];
  readonly sos: Segment;
  readonly scan: ScanComponent[];
  /** The scan's entropy-coded data, still byte-stuffed: bytes [ecsStart, ecsEnd). */
  readonly ecsStart: number;
  readonly ecsEnd: number;
  /** The marker that ends the entropy-coded data (EOI in a well-formed file), or -1 when the file ends first. */
  readonly next: number;
  /** Whether RSTn markers occur inside the entropy-coded data. */
  readonly hasRestarts: boolean;
}

/** Where the MCUs of a scan lie: MCU size in pixels, MCUs per row and column, blocks per MCU by scan component. */
export interface McuGeometry {
  readonly mcuWidth: number;
  readonly mcuHeight: number;
  readonly mcusX: number;
  readonly mcusY: number;
  readonly blocks: number[];
}

const hex = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(2, "0")}`;

const OTHER_SOF: Record<number, string> = {
  194: "a progressive JPEG (SOF2)",
  195: "a lossless JPEG (SOF3)",
  197: "a hierarchical JPEG (SOF5)",
  198: "a hierarchical progressive JPEG (SOF6)",
  199: "a hierarchical lossless JPEG (SOF7)",
  201: "an arithmetic-coded JPEG (SOF9)",
  202: "an arithmetic-coded progressive JPEG (SOF10)",
  203: "an arithmetic-coded lossless JPEG (SOF11)",
  205: "an arithmetic-coded hierarchical JPEG (SOF13)",
  206: "an arithmetic-coded hierarchical progressive JPEG (SOF14)",
  207: "an arithmetic-coded hierarchical lossless JPEG (SOF15)",
};

/**
 * Parses a sequential Huffman JPEG (SOF0/SOF1, 8-bit, 1 or 3 components, one scan holding every
 * component) up to its scan and finds the end of the scan's data. Returns a one-line reason instead
 * when the file is something else, truncated or malformed.
 */
export function readJpegLayout(bytes: Uint8Array): JpegLayout | string {
  const n = bytes.length;
  if (n < 4 || bytes[0] !== 0xff || bytes[1] !== SOI) return "not a JPEG file (it does not start with the SOI marker FF D8)";
  const u16 = (i: number): number => ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  const segments: Segment[] = [];
  const dcTables: (HuffmanSpec | undefined)[] = [];
  const acTables: (HuffmanSpec | undefined)[] = [];
  const quantTables: (Uint8Array | undefined)[] = [];
  let sof: Segment | undefined;
  let width = 0;
  let height = 0;
  let components: FrameComponent[] = [];
  let restartInterval = 0;
  let p = 2;
  for (;;) {
    if (p >= n) return "truncated JPEG: the file ends before the image data";
    if (bytes[p] !== 0xff) return `corrupt JPEG: expected a marker at byte ${p}, found ${hex(bytes[p] ?? 0)}`;
    let q = p + 1;
    while (q < n && bytes[q] === 0xff) q++; // fill bytes may precede any marker
    const marker = bytes[q] ?? -1;
    if (marker < 0 || q + 2 >= n) return "truncated JPEG: the file ends before the image data";
    if (marker === EOI) return "the JPEG has no image data (EOI before any scan)";
    if (marker === SOI || marker === 0x01 || (marker >= RST0 && marker <= RST0 + 7) || marker === 0)
      return `corrupt JPEG: unexpected marker FF ${hex(marker).slice(2)} at byte ${q - 1} before the image data`;
    const seg: Segment = { marker, start: q - 1, end: q + 1 + u16(q + 1) };
    const body = q + 3;
    if (seg.end - body < 0 || seg.end > n)
      return `truncated JPEG: the FF ${hex(marker).slice(2)} segment at byte ${q - 1} runs past the end of the file`;
    const other = OTHER_SOF[marker];
    if (other) return `${other}: only baseline and extended sequential Huffman JPEGs (SOF0/SOF1) can be cut or joined`;
    if (marker === 0xcc) return "an arithmetic-coded JPEG (DAC segment): only Huffman-coded JPEGs can be cut or joined";
    if (marker === 0xc0 || marker === 0xc1) {
      if (sof) return "corrupt JPEG: more than one frame header (SOF)";
      sof = seg;
      const nf = bytes[body + 5] ?? 0;
      if (seg.end - body !== 6 + 3 * nf) return `corrupt JPEG: the frame header (SOF) at byte ${seg.start} has the wrong length`;
      if (bytes[body] !== 8) return `a ${bytes[body]}-bit JPEG: only 8-bit samples are supported`;
      height = u16(body + 1);
      width = u16(body + 3);
      if (height === 0) return "the JPEG's height is given by a DNL marker after the data, which is not supported";
      if (width === 0) return "corrupt JPEG: the frame header gives a width of 0";
      if (nf !== 1 && nf !== 3)
        return `a JPEG with ${nf} components (${nf === 4 ? "CMYK or YCCK" : "unusual"}): only 1 (grey) or 3 components are supported`;
      components = [];
      for (let c = 0; c < nf; c++) {
        const at = body + 6 + 3 * c;
        const hv = bytes[at + 1] ?? 0;
        const comp = { id: bytes[at] ?? 0, h: hv >> 4, v: hv & 15, tq: bytes[at + 2] ?? 0 };
        if (comp.h < 1 || comp.h > 4 || comp.v < 1 || comp.v > 4)
          return `corrupt JPEG: component ${comp.id} has sampling factors ${comp.h}×${comp.v}`;
        components.push(comp);
      }
    } else if (marker === DHT) {
      for (let i = body; i < seg.end; ) {
        const tc = (bytes[i] ?? 0) >> 4;
        const th = (bytes[i] ?? 0) & 15;
        const counts = bytes.slice(i + 1, i + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        if (tc > 1 || th > 3 || i + 17 + total > seg.end)
          return `corrupt JPEG: bad Huffman table segment (DHT) at byte ${seg.start}`;
        (tc === 0 ? dcTables : acTables)[th] = { counts, symbols: bytes.slice(i + 17, i + 17 + total) };
        i += 17 + total;
      }
    } else if (marker === DQT) {
      for (let i = body; i < seg.end; ) {
        const size = 1 + ((bytes[i] ?? 0) >> 4 ? 128 : 64);
        if (((bytes[i] ?? 0) & 15) > 3 || i + size > seg.end)
          return `corrupt JPEG: bad quantisation table segment (DQT) at byte ${seg.start}`;
        quantTables[(bytes[i] ?? 0) & 15] = bytes.slice(i, i + size);
        i += size;
      }
    } else if (marker === DRI) {
      restartInterval = u16(body);
    } else if (marker === SOS) {
      if (!sof) return "corrupt JPEG: the scan (SOS) comes before the frame header (SOF)";
      return readScan(bytes, { segments, sof, width, height, components, restartInterval, dcTables, acTables, quantTables }, seg);
    } else if (!(marker >= 0xe0 && marker <= 0xef) && marker !== COM) {
      return `a JPEG with an unexpected FF ${hex(marker).slice(2)} segment before the scan: not supported`;
    }
    segments.push(seg);
    p = seg.end;
  }
}

type Header = Omit<JpegLayout, "sos" | "scan" | "ecsStart" | "ecsEnd" | "next" | "hasRestarts">;

/** Checks the SOS segment against the frame and the tables, and finds where its entropy-coded data ends. */
function readScan(bytes: Uint8Array, header: Header, sos: Segment): JpegLayout | string {
  const body = sos.start + 4;
  const ns = bytes[body] ?? 0;
  if (sos.end - body !== 4 + 2 * ns) return `corrupt JPEG: the scan header (SOS) at byte ${sos.start} has the wrong length`;
  const nf = header.components.length;
  if (ns !== nf) return `a JPEG whose first scan holds ${ns} of its ${nf} components (a multi-scan JPEG): not supported`;
  const scan: ScanComponent[] = [];
  for (let i = 0; i < ns; i++) {
    const id = bytes[body + 1 + 2 * i];
    const t = bytes[body + 2 + 2 * i] ?? 0;
    const frameIndex = header.components.findIndex((c) => c.id === id);
    if (frameIndex < 0 || scan.some((s) => s.frameIndex === frameIndex))
      return `corrupt JPEG: the scan names component ${id}, which the frame header does not define once`;
    const comp = { frameIndex, dc: t >> 4, ac: t & 15 };
    if (!header.dcTables[comp.dc] || !header.acTables[comp.ac])
      return `corrupt JPEG: component ${id} uses a Huffman table that no DHT segment defines`;
    scan.push(comp);
  }
  const ss = bytes[body + 1 + 2 * ns];
  const se = bytes[body + 2 + 2 * ns];
  const a = bytes[body + 3 + 2 * ns];
  if (ss !== 0 || se !== 63 || a !== 0)
    return `corrupt JPEG: a sequential scan with spectral selection ${ss}..${se} and approximation ${a}`;
  const blocks = nf === 1 ? 1 : header.components.reduce((s, c) => s + c.h * c.v, 0);
  if (blocks > 10) return `a JPEG with ${blocks} blocks per MCU: libjpeg allows at most 10`;

  // The data runs to the first marker that is neither a stuffed 0xFF 0x00 nor a restart marker.
  const n = bytes.length;
  let hasRestarts = false;
  let i = sos.end;
  for (;;) {
    const f = bytes.indexOf(0xff, i);
    if (f < 0) return { ...header, sos, scan, ecsStart: sos.end, ecsEnd: n, next: -1, hasRestarts };
    let m = f + 1;
    while (m < n && bytes[m] === 0xff) m++;
    const marker = m < n ? (bytes[m] ?? -1) : -1;
    if (marker === 0 && m === f + 1) {
      i = m + 1;
    } else if (marker >= RST0 && marker <= RST0 + 7) {
      hasRestarts = true;
      i = m + 1;
    } else {
      return { ...header, sos, scan, ecsStart: sos.end, ecsEnd: f, next: marker, hasRestarts };
    }
  }
}

/** The MCU layout of a layout's scan. One component is a non-interleaved scan: one 8×8 block per MCU. */
export function mcuGeometry(layout: JpegLayout): McuGeometry {
  const comps = layout.components;
  if (comps.length === 1) {
    return { mcuWidth: 8, mcuHeight: 8, mcusX: Math.ceil(layout.width / 8), mcusY: Math.ceil(layout.height / 8), blocks: [1] };
  }
  const hmax = Math.max(...comps.map((c) => c.h));
  const vmax = Math.max(...comps.map((c) => c.v));
  const blocks = layout.scan.map((s) => {
    const c = comps[s.frameIndex] as FrameComponent;
    return c.h * c.v;
  });
  return {
    mcuWidth: 8 * hmax,
    mcuHeight: 8 * vmax,
    mcusX: Math.ceil(layout.width / (8 * hmax)),
    mcusY: Math.ceil(layout.height / (8 * vmax)),
    blocks,
  };
}

/** Why a parsed layout's scan cannot be cut or joined as one run of MCUs, or undefined when it can. */
export function scanProblem(layout: JpegLayout): string | undefined {
  if (layout.restartInterval > 0)
    return `a JPEG with restart markers (restart interval ${layout.restartInterval} MCUs): cutting such files is not supported`;
  if (layout.hasRestarts) return "corrupt JPEG: restart markers in the data without a restart interval (DRI)";
  if (layout.next === SOS || layout.next === DHT || layout.next === DQT || layout.next === DRI)
    return "a JPEG with more than one scan: only single-scan sequential JPEGs are supported";
  if (layout.next !== EOI && layout.next !== -1)
    return `corrupt JPEG: marker FF ${hex(layout.next).slice(2)} at byte ${layout.ecsEnd} inside the image data`;
  return undefined;
}
