/**
 * Bands in a BlobStore. A layer is one image cut into bands (the grid's rows of tiles):
 *
 *   <layer>/b<band>          the band's rows, raw RGBA8 (a stage's output), or its window
 *                            (the rows grown by a halo) in a window layer
 *   <layer>/b<band>.<format> the band encoded as a piece of a file (a JPEG cut from the
 *                            source, or a result band that joins into the final file)
 *   <layer>/h<band>          the band's 256-bin luma histogram (Uint32 little-endian)
 *
 * Writing a band twice writes the same bytes, so a redelivered band is harmless; a band's
 * output blob is written last, so its existence means the band is done.
 */

import type { Image, RgbaImage } from "@tessera/kernels";
import { bandName } from "./blob-names.js";
import type { BlobStore } from "./ports/blob-store.js";
import { bandCount, bandRows, bandWindowRows, type Grid } from "./tiling.js";

const BAND_BLOB = /^b(\d+)(\.[a-z]+)?$/;

/** The bands of an output layer whose result (raw or piece) exists. */
export async function doneBands(blobs: BlobStore, layer: string): Promise<Set<number>> {
  const done = new Set<number>();
  for (const blob of await blobs.list(`${layer}/b`)) {
    const match = BAND_BLOB.exec(blob.name.slice(layer.length + 1));
    if (match) done.add(Number(match[1]));
  }
  return done;
}

/** Rows [y0, y1) of a whole image as an image: a view, not a copy (rows are contiguous). */
export function rowsOf(image: Image, y0: number, y1: number): { width: number; height: number; data: Uint8ClampedArray } {
  const rowBytes = image.width * (image.channels ?? 4);
  const data = image.data.subarray(y0 * rowBytes, y1 * rowBytes);
  return {
    width: image.width,
    height: y1 - y0,
    data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
  };
}

const bytesOf = (image: Image): Uint8Array => new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length);

/**
 * Writes band `band`'s window (its rows grown by `halo`) of a whole image to `<layer>/b<band>`.
 * The blob is a view of the image (a store may keep it), so the image must not change after.
 */
export function writeBandWindow(
  blobs: BlobStore,
  layer: string,
  g: Grid,
  image: RgbaImage,
  band: number,
  halo: number,
): Promise<void> {
  const { y0, y1 } = bandWindowRows(g, band, halo);
  return putBandWindow(blobs, layer, band, rowsOf(image, y0, y1));
}

/** Writes band `band`'s window, given as its rows, to `<layer>/b<band>` (the store may keep it). */
export function putBandWindow(blobs: BlobStore, layer: string, band: number, window: Image): Promise<void> {
  return blobs.put(bandName(layer, band), bytesOf(window));
}

/**
 * Reads band `band`'s window from the blob `name` (see writeBandWindow), checking its size:
 * into `into` when given (its length the window's), straight from the store where it can.
 * The window holds `channels` bytes a pixel (RGBA, RGB for an opaque source's, grey for edges).
 */
export async function readBandWindow(
  blobs: BlobStore,
  name: string,
  g: Grid,
  band: number,
  halo: number,
  into?: Uint8Array,
  channels: 1 | 3 | 4 = 4,
): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const { y0, y1 } = bandWindowRows(g, band, halo);
  const expected = (y1 - y0) * g.width * channels;
  let bytes: Uint8Array;
  if (into && blobs.getInto) {
    const size = await blobs.getInto(name, into);
    if (size !== expected) throw new Error(`band ${name} has ${size} bytes, expected ${expected}`);
    bytes = into;
  } else {
    bytes = await blobs.get(name);
    if (bytes.length !== expected) throw new Error(`band ${name} has ${bytes.length} bytes, expected ${expected}`);
    if (into) {
      into.set(bytes);
      bytes = into;
    }
  }
  return { width: g.width, height: y1 - y0, data: new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.length) };
}

/**
 * Rows [y0, y1) of a raw band layer, with one ranged read from each band they cross: a
 * window reads its own band and only the halo rows of its neighbours. The layer holds
 * `channels` bytes a pixel (RGBA, or grey: see StageInput).
 */
export async function readLayerRows(
  blobs: BlobStore,
  layer: string,
  g: Grid,
  y0: number,
  y1: number,
  into?: Uint8Array,
  channels: 1 | 4 = 4,
): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const rowBytes = g.width * channels;
  // Bytes as Uint8Array: set() between equal element types is a memcpy; into a
  // Uint8ClampedArray it would convert element by element.
  const out = into ?? new Uint8Array((y1 - y0) * rowBytes);
  if (out.length !== (y1 - y0) * rowBytes)
    throw new RangeError(`rows ${y0}..${y1} need ${(y1 - y0) * rowBytes} bytes, not ${out.length}`);
  const first = Math.floor(y0 / g.tileSize);
  const last = Math.min(bandCount(g) - 1, Math.floor((y1 - 1) / g.tileSize));
  await Promise.all(
    Array.from({ length: last - first + 1 }, async (_, i) => {
      const band = first + i;
      const rows = bandRows(g, band);
      const from = Math.max(y0, rows.y0);
      const to = Math.min(y1, rows.y1);
      const name = bandName(layer, band);
      const whole = from === rows.y0 && to === rows.y1;
      const at = (from - y0) * rowBytes;
      const length = (to - from) * rowBytes;
      const short = (got: number) =>
        new Error(`band ${name} is short: ${got} bytes for rows ${from}..${to} of a ${g.width}-wide layer`);
      // A whole band (a window's own) goes straight into place where the store can read into it.
      if (whole && blobs.getInto) {
        const size = await blobs.getInto(name, out.subarray(at, at + length));
        if (size !== length) throw short(size);
        return;
      }
      const bytes = whole ? await blobs.get(name) : await blobs.getRange(name, (from - rows.y0) * rowBytes, length);
      if (bytes.length !== length) throw short(bytes.length);
      out.set(bytes, at);
    }),
  );
  return { width: g.width, height: y1 - y0, data: new Uint8ClampedArray(out.buffer, out.byteOffset, out.length) };
}

/**
 * A whole raw layer as its bands' bytes, one buffer per band, top to bottom: for a caller that
 * works band by band (encoding a piece per band), which then never needs the image in one buffer.
 */
export function readLayerBands(blobs: BlobStore, layer: string, g: Grid): Promise<Uint8Array[]> {
  return Promise.all(Array.from({ length: bandCount(g) }, (_, band) => readLayerBand(blobs, layer, g, band)));
}

/** Band `band` of a raw layer of `channels` bytes a pixel (RGBA, or a grey layer's one), its size checked. */
export async function readLayerBand(
  blobs: BlobStore,
  layer: string,
  g: Grid,
  band: number,
  channels: 1 | 4 = 4,
): Promise<Uint8Array> {
  const { y0, y1 } = bandRows(g, band);
  const name = bandName(layer, band);
  const bytes = await blobs.get(name);
  const expected = (y1 - y0) * g.width * channels;
  if (bytes.length !== expected) throw new Error(`band ${name} has ${bytes.length} bytes, expected ${expected}`);
  return bytes;
}

export function writeBand(blobs: BlobStore, layer: string, band: number, image: RgbaImage): Promise<void> {
  return blobs.put(bandName(layer, band), bytesOf(image));
}
