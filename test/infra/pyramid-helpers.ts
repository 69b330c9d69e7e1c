// Shared by the pyramid tests: images, band-by-band runs of the module, and the independent
// float64 reference for the pyramid levels.

import sharp, { type Sharp } from "sharp";
import {
  type Channels,
  encodeBandPieces,
  joinTiff,
  joinTiles,
  type PyramidLayout,
  type PyramidOptions,
  pyramidLayout,
  type RgbaBand,
  type TiffJoinStats,
} from "../../infra/adapters/pyramid/index.js";
import { PHOTO_DIR, randomBytes } from "../helpers/images.js";

export interface Rgba extends RgbaBand {
  readonly name: string;
  readonly data: Uint8Array;
}

/** A photograph as RGBA, optionally stretched to exactly width×height. */
export async function photo(file: string, size?: { width: number; height: number }): Promise<Rgba> {
  let pipeline = sharp(PHOTO_DIR + file);
  if (size) pipeline = pipeline.resize(size.width, size.height, { fit: "fill" });
  const { data, info } = await pipeline.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const name = size ? `${file} as ${info.width}×${info.height}` : file;
  return { name, width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Noise with every alpha value present, so RGBA is the only lossless choice. */
export function translucent(width: number, height: number, seed = 7): Rgba {
  return { name: `translucent ${width}×${height}`, width, height, data: new Uint8Array(randomBytes(width * height * 4, seed)) };
}

/** Rows [y0, y1) of an image, as the band the engine would hand a worker (a view, not a copy). */
export function rowsOf(image: RgbaBand, y0: number, y1: number): RgbaBand {
  return { width: image.width, height: y1 - y0, data: image.data.subarray(y0 * image.width * 4, y1 * image.width * 4) };
}

/** Every band's piece, as workers would encode them (all at once, like a cluster does). */
export function piecesOf(image: RgbaBand, layout: PyramidLayout): Promise<Uint8Array[]> {
  return Promise.all(
    Array.from({ length: layout.bands }, (_, b) => {
      const y0 = b * layout.bandHeight;
      return encodeBandPieces(rowsOf(image, y0, Math.min(image.height, y0 + layout.bandHeight)), b, layout);
    }),
  );
}

type Format = Omit<PyramidOptions, "width" | "height" | "bandHeight" | "channels">;

export function layoutFor(image: RgbaBand, bandHeight: number, channels: Channels, format: Format): PyramidLayout {
  return pyramidLayout({ ...format, width: image.width, height: image.height, bandHeight, channels });
}

/** A positioned sink into memory, checking the TIFF join's promise: contiguous writes, then the header. */
export function memoryTiffSink(): { sink: (bytes: Uint8Array, at: number) => Promise<void>; bytes: () => Uint8Array } {
  const chunks: { at: number; bytes: Uint8Array }[] = [];
  let end = 16;
  let closed = false;
  const sink = async (bytes: Uint8Array, at: number): Promise<void> => {
    if (closed) throw new Error("write after the header");
    if (at === 0 && bytes.length === 16) closed = true;
    else if (at !== end) throw new Error(`write at ${at}, where ${end} was next`);
    else end += bytes.length;
    chunks.push({ at, bytes: bytes.slice() });
  };
  const bytes = (): Uint8Array => {
    if (!closed) throw new Error("the header was never written");
    const out = new Uint8Array(end);
    for (const c of chunks) out.set(c.bytes, c.at);
    return out;
  };
  return { sink, bytes };
}

export async function tiffByBands(image: RgbaBand, layout: PyramidLayout): Promise<{ file: Uint8Array; stats: TiffJoinStats }> {
  const { sink, bytes } = memoryTiffSink();
  const stats = await joinTiff(layout, await piecesOf(image, layout), sink);
  return { file: bytes(), stats };
}

export async function tilesByBands(image: RgbaBand, layout: PyramidLayout): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  await joinTiles(layout, await piecesOf(image, layout), async (name, bytes) => {
    if (files.has(name)) throw new Error(`${name} written twice`);
    files.set(name, bytes.slice());
  });
  return files;
}

export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * The reference pyramid, written plainly: level 0 is the image in `c` channels; each next
 * level's sample is the float64 mean of the 2×2 block above it (only the pixels that exist at
 * an odd edge), rounded half up. Levels go on until `smallest` holds both sides.
 */
export function referenceLevels(image: RgbaBand, c: Channels, smallest: number): Plane[] {
  const base = new Uint8Array(image.width * image.height * c);
  for (let p = 0; p < image.width * image.height; p++) {
    for (let k = 0; k < c; k++) base[p * c + k] = image.data[p * 4 + k] as number;
  }
  const levels: Plane[] = [{ width: image.width, height: image.height, data: base }];
  for (let up = levels[0] as Plane; up.width > smallest || up.height > smallest; up = levels[levels.length - 1] as Plane) {
    const width = Math.ceil(up.width / 2);
    const height = Math.ceil(up.height / 2);
    const data = new Uint8Array(width * height * c);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let k = 0; k < c; k++) {
          let sum = 0;
          let n = 0;
          for (let dy = 0; dy < 2; dy++) {
            for (let dx = 0; dx < 2; dx++) {
              const sx = 2 * x + dx;
              const sy = 2 * y + dy;
              if (sx < up.width && sy < up.height) {
                sum += up.data[(sy * up.width + sx) * c + k] as number;
                n++;
              }
            }
          }
          data[(y * width + x) * c + k] = Math.floor(sum / n + 0.5);
        }
      }
    }
    levels.push({ width, height, data });
  }
  return levels;
}

/** The w×h region at (x, y) of a plane. */
export function region(plane: Plane, c: number, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * c);
  for (let r = 0; r < h; r++) {
    const from = ((y + r) * plane.width + x) * c;
    out.set(plane.data.subarray(from, from + w * c), r * w * c);
  }
  return out;
}

/** Index and values of the first differing byte, or undefined when equal. */
export function firstDifference(got: Uint8Array, want: Uint8Array): string | undefined {
  if (got.length !== want.length) return `length ${got.length}, want ${want.length}`;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return `byte ${i}: got ${got[i]}, want ${want[i]}`;
  return undefined;
}

/**
 * Decodes an image file with sharp to its raw samples, as many as the file holds: sharp would
 * turn a one-channel file into three on its way out unless told the file's colourspace.
 */
export async function decode(
  file: Uint8Array,
  page?: number,
): Promise<{ width: number; height: number; channels: number; data: Uint8Array }> {
  const input = (): Sharp => sharp(file, page === undefined ? {} : { page });
  const { channels } = await input().metadata();
  const pipeline = channels === 1 ? input().toColourspace("b-w") : input();
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: info.channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}
