/**
 * Joins JPEGs that workers encoded band by band into one JPEG, so encoding runs in parallel too.
 *
 * Bands encoded alone by the same encoder with the same settings share their tables, and a band
 * whose height is a multiple of the MCU height holds exactly the blocks that encoding the whole image
 * would give for those rows (the DCT, quantisation and 2×2 chroma averaging never cross an MCU row).
 * What differs is only the DC prediction, which restarts at 0 in every band: a restart marker does
 * exactly that, so the joined file is the first band's header with the full height and a restart
 * interval of one band's MCUs, then the bands' entropy-coded data, unchanged, between RST markers.
 */

import { DRI, EOI, type JpegLayout, mcuGeometry, RST0, readJpegLayout, SOI } from "./markers.js";

/** The MCU of the system's output JPEGs: 16×16 for colour (4:2:0), 8×8 for one-channel grey. */
export function jpegOutputMcu(channels: 1 | 3): { width: number; height: number } {
  return channels === 1 ? { width: 8, height: 8 } : { width: 16, height: 16 };
}

/** Whether bands `bandRows` high of a `width`-wide image can be joined: bandRows a multiple of the MCU height and the restart interval (MCUs per band) at most 65535. */
export function canJoinJpegBands(width: number, bandRows: number, mcu: { width: number; height: number }): boolean {
  if (!Number.isInteger(width) || !Number.isInteger(bandRows) || width < 1 || bandRows < 1) return false;
  if (bandRows % mcu.height !== 0) return false;
  return Math.ceil(width / mcu.width) * (bandRows / mcu.height) <= 0xffff;
}

/** Compares two byte arrays (undefined equals only undefined). */
function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** What makes `band` unfit to follow `first` in a join, or undefined when it matches. */
function mismatch(first: JpegLayout, band: JpegLayout): string | undefined {
  const fc = first.components;
  const bc = band.components;
  if (first.sof.marker !== band.sof.marker) return "a different frame type (baseline vs extended)";
  if (fc.length !== bc.length) return `${bc.length} components where band 0 has ${fc.length}`;
  for (let c = 0; c < fc.length; c++) {
    const a = fc[c];
    const b = bc[c];
    if (!a || !b || a.id !== b.id || a.h !== b.h || a.v !== b.v || a.tq !== b.tq)
      return `a different chroma subsampling or component layout (component ${c}: ${b?.h}×${b?.v} vs ${a?.h}×${a?.v})`;
    if (!same(first.quantTables[a.tq], band.quantTables[b.tq]))
      return `a different quantisation table ${a.tq} (encode every band with the same quality)`;
  }
  for (let s = 0; s < first.scan.length; s++) {
    const a = first.scan[s];
    const b = band.scan[s];
    if (!a || !b || a.frameIndex !== b.frameIndex || a.dc !== b.dc || a.ac !== b.ac) return "a different scan layout";
    const dcA = first.dcTables[a.dc];
    const dcB = band.dcTables[b.dc];
    const acA = first.acTables[a.ac];
    const acB = band.acTables[b.ac];
    if (
      !same(dcA?.counts, dcB?.counts) ||
      !same(dcA?.symbols, dcB?.symbols) ||
      !same(acA?.counts, acB?.counts) ||
      !same(acA?.symbols, acB?.symbols)
    )
      return "different Huffman tables (encode every band with optimiseCoding: false so all use the standard tables)";
  }
  return undefined;
}

/**
 * Joins JPEGs of consecutive horizontal bands of one image (each encoded alone by the same encoder
 * with the same settings: baseline, same quantisation and Huffman tables, same sampling, no
 * restart markers; every band but the last exactly `bandRows` high, a multiple of the MCU height)
 * into one JPEG of `width`×`height` whose blocks are the bands' stacked, so it decodes as encoding
 * the whole image with those settings would: the first band's header with the height patched, a
 * DRI segment with an interval of one band's MCUs, and the bands' entropy-coded data separated by
 * RST0..RST7 markers (cycling). Throws an Error saying what differs when the bands do not match.
 */
export function joinJpegBands(bands: readonly Uint8Array[], width: number, height: number, bandRows: number): Uint8Array {
  for (const [name, v] of [
    ["width", width],
    ["height", height],
    ["bandRows", bandRows],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0xffff)
      throw new RangeError(`joinJpegBands: ${name} must be an integer in 1..65535, got ${v}`);
  }
  const count = Math.ceil(height / bandRows);
  if (bands.length !== count) {
    throw new Error(
      `joinJpegBands: a ${height}-row image in bands of ${bandRows} rows needs ${count} bands, got ${bands.length}`,
    );
  }
  const layouts = bands.map((bytes, i) => {
    const layout = readJpegLayout(bytes);
    if (typeof layout === "string") throw new Error(`joinJpegBands: band ${i} cannot be joined: ${layout}`);
    if (layout.restartInterval > 0 || layout.hasRestarts)
      throw new Error(`joinJpegBands: band ${i} has restart markers; encode bands without a restart interval`);
    if (layout.next !== EOI)
      throw new Error(`joinJpegBands: band ${i} is truncated or has more than one scan (no EOI after its data)`);
    const rows = i < count - 1 ? bandRows : height - bandRows * (count - 1);
    if (layout.width !== width || layout.height !== rows)
      throw new Error(`joinJpegBands: band ${i} is ${layout.width}×${layout.height}, expected ${width}×${rows}`);
    return layout;
  });
  const first = layouts[0] as JpegLayout;
  if (count === 1) return (bands[0] as Uint8Array).slice(); // already the whole image
  const geometry = mcuGeometry(first);
  const mcu = { width: geometry.mcuWidth, height: geometry.mcuHeight };
  if (!canJoinJpegBands(width, bandRows, mcu)) {
    throw new Error(
      `joinJpegBands: bands of ${bandRows} rows cannot be joined for MCUs of ${mcu.width}×${mcu.height} at width ${width}: ` +
        "bandRows must be a multiple of the MCU height and one band at most 65535 MCUs",
    );
  }
  for (let i = 1; i < count; i++) {
    const problem = mismatch(first, layouts[i] as JpegLayout);
    if (problem) throw new Error(`joinJpegBands: band ${i} does not match band 0: ${problem}`);
  }

  // Band 0's segments up to SOS (any DRI dropped), our DRI, SOS, then the data between RST markers.
  const b0 = bands[0] as Uint8Array;
  const head = first.segments.filter((s) => s.marker !== DRI);
  const headLength = 2 + head.reduce((n, s) => n + s.end - s.start, 0) + 6 + (first.sos.end - first.sos.start);
  const dataLength = layouts.reduce((n, l) => n + l.ecsEnd - l.ecsStart, 0);
  const out = new Uint8Array(headLength + dataLength + 2 * count);
  out.set([0xff, SOI]);
  let o = 2;
  for (const s of head) {
    out.set(b0.subarray(s.start, s.end), o);
    if (s === first.sof) out.set([height >> 8, height & 0xff], o + 5);
    o += s.end - s.start;
  }
  const interval = geometry.mcusX * (bandRows / geometry.mcuHeight);
  out.set([0xff, DRI, 0, 4, (interval >> 8) & 0xff, interval & 0xff], o);
  o += 6;
  out.set(b0.subarray(first.sos.start, first.sos.end), o);
  o += first.sos.end - first.sos.start;
  for (let i = 0; i < count; i++) {
    const l = layouts[i] as JpegLayout;
    out.set((bands[i] as Uint8Array).subarray(l.ecsStart, l.ecsEnd), o);
    o += l.ecsEnd - l.ecsStart;
    // Each band's encoder padded its last byte with 1-bits before EOI, as a restart marker needs too.
    out.set([0xff, i < count - 1 ? RST0 + (i % 8) : EOI], o);
    o += 2;
  }
  return out;
}
