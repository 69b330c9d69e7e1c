/**
 * Pixel work on rows of `c` interleaved 8-bit samples: choosing and converting to the written
 * channel count, the 2×2 box average between levels, and copying a tile out of a tile row.
 */

import { type Channels, TILE } from "./layout.js";

export interface RgbaBand {
  readonly width: number;
  readonly height: number;
  /** RGBA unless said: a band may come already in the channels the pyramid stores. */
  readonly channels?: Channels;
  /** 8 bits per sample, rows top to bottom. */
  readonly data: Uint8ClampedArray | Uint8Array;
}

/**
 * The fewest channels that hold an image without loss: 1 when every pixel is an opaque grey,
 * 3 when every pixel is opaque, else 4. The choice needs the whole image, which no band sees,
 * so the caller makes it (the engine from its plan, a one-shot caller with this) and each
 * band checks that its pixels fit it (toChannels).
 */
export function imageChannels(image: RgbaBand): Channels {
  const d = image.data;
  let grey = true;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] !== 255) return 4;
    if (grey && (d[i] !== d[i + 1] || d[i] !== d[i + 2])) grey = false;
  }
  return grey ? 1 : 3;
}

/** The band's pixels with `c` samples each; refuses a pixel that `c` samples would change. */
export function toChannels(band: RgbaBand, c: Channels, label: string): Uint8Array {
  // One array type in the loops below: engine bands are Uint8ClampedArray, tests' Uint8Array,
  // and a loop that sees both runs several times slower.
  const src = new Uint8Array(band.data.buffer, band.data.byteOffset, band.data.length);
  if (c === (band.channels ?? 4)) return src;
  if (band.channels !== undefined && band.channels !== 4) {
    throw new RangeError(`${label} has ${band.channels} channels; the pyramid stores ${c}`);
  }
  const out = new Uint8Array(band.width * band.height * c);
  if (c === 3) {
    for (let i = 0, o = 0; i < src.length; i += 4, o += 3) {
      if (src[i + 3] !== 255) refuse(band, src, i, c, label);
      out[o] = src[i] as number;
      out[o + 1] = src[i + 1] as number;
      out[o + 2] = src[i + 2] as number;
    }
  } else {
    for (let i = 0, o = 0; i < src.length; i += 4, o++) {
      const r = src[i] as number;
      if (src[i + 3] !== 255 || src[i + 1] !== r || src[i + 2] !== r) refuse(band, src, i, c, label);
      out[o] = r;
    }
  }
  return out;
}

function refuse(band: RgbaBand, src: Uint8Array, i: number, c: Channels, label: string): never {
  const p = i / 4;
  const what = src[i + 3] !== 255 ? `alpha ${src[i + 3]}` : `colour (${src[i]},${src[i + 1]},${src[i + 2]})`;
  throw new RangeError(
    `${label}: pixel (${p % band.width}, ${Math.floor(p / band.width)}) has ${what}, which ${c} channel${c > 1 ? "s" : ""} cannot hold; choose the layout's channels with imageChannels`,
  );
}

/**
 * One row of the next level: each output sample is the mean of the 2×2 block above it,
 * rounded half up ((sum + 2) >> 2). At an odd right edge the block is the two pixels there
 * are ((sum + 1) >> 1), and at an odd bottom edge (`b` absent) one row's pair or pixel: the
 * mean of the pixels that exist, never a zero or a copy standing in for the missing ones.
 */
export function downsampleRow(a: Uint8Array, b: Uint8Array | undefined, width: number, c: number, out: Uint8Array): void {
  const pairs = width >> 1;
  const stride = 2 * c;
  if (b) {
    for (let x = 0; x < pairs; x++) {
      const i = x * stride;
      const o = x * c;
      for (let k = 0; k < c; k++) {
        out[o + k] = ((a[i + k] as number) + (a[i + c + k] as number) + (b[i + k] as number) + (b[i + c + k] as number) + 2) >> 2;
      }
    }
    if (width & 1) {
      const i = pairs * stride;
      for (let k = 0; k < c; k++) out[pairs * c + k] = ((a[i + k] as number) + (b[i + k] as number) + 1) >> 1;
    }
  } else {
    for (let x = 0; x < pairs; x++) {
      const i = x * stride;
      for (let k = 0; k < c; k++) out[x * c + k] = ((a[i + k] as number) + (a[i + c + k] as number) + 1) >> 1;
    }
    if (width & 1) {
      const i = pairs * stride;
      for (let k = 0; k < c; k++) out[pairs * c + k] = a[i + k] as number;
    }
  }
}

/** Copies the `w` pixels wide tile at column `col` out of a tile row of `rows` rows of `width` pixels. */
export function copyTile(pixels: Uint8Array, width: number, rows: number, c: number, col: number, w: number): Uint8Array {
  const out = new Uint8Array(w * rows * c);
  for (let y = 0; y < rows; y++) {
    const from = (y * width + col * TILE) * c;
    out.set(pixels.subarray(from, from + w * c), y * w * c);
  }
  return out;
}
