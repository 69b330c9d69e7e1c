// Window pixels to model input: a fixed, deterministic resize written here (plain float
// arithmetic in JavaScript gives the same bits on every machine; no library version can change
// it). The window is scaled so its longer side is the model's input side, keeping its aspect
// ratio (CenterNet scored chelsea.png's cat 0.49 letterboxed but called it a dog stretched), and
// placed at the top-left corner of a black square: content at (0, 0) keeps the mapping back to
// source pixels a single scale factor.

import type { RgbWindow } from "./types.js";

/** Per output index along one axis: the source indices it reads and their weights. */
interface Taps {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly weight: Float64Array;
  readonly stride: number;
}

/**
 * Downscaling averages the source pixels an output pixel covers (area/box filter: no aliasing
 * whatever the factor, which matters for whole-image passes over large images); upscaling
 * interpolates linearly between pixel centres, clamped at the edges.
 */
function taps(src: number, dst: number): Taps {
  const scale = src / dst;
  const stride = scale >= 1 ? Math.ceil(scale) + 1 : 2;
  const first = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weight = new Float64Array(dst * stride);
  for (let o = 0; o < dst; o++) {
    if (scale >= 1) {
      const lo = o * scale;
      const hi = Math.min((o + 1) * scale, src);
      const i0 = Math.floor(lo);
      let n = 0;
      for (let i = i0; i < hi && n < stride; i++, n++) {
        weight[o * stride + n] = (Math.min(i + 1, hi) - Math.max(i, lo)) / (hi - lo);
      }
      first[o] = i0;
      count[o] = n;
    } else {
      const c = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), src - 1);
      const i0 = Math.min(Math.floor(c), src - 1);
      const f = c - i0;
      first[o] = i0;
      count[o] = i0 + 1 < src ? 2 : 1;
      weight[o * stride] = count[o] === 2 ? 1 - f : 1;
      weight[o * stride + 1] = count[o] === 2 ? f : 0;
    }
  }
  return { first, count, weight, stride };
}

/** The size the window's content takes inside the model input: longer side = `inputSize`. */
export function contentSize(width: number, height: number, inputSize: number): { width: number; height: number } {
  const f = inputSize / Math.max(width, height);
  return {
    width: Math.max(1, Math.min(inputSize, Math.round(width * f))),
    height: Math.max(1, Math.min(inputSize, Math.round(height * f))),
  };
}

/**
 * The model input for a window, built from its rows as they come, top to bottom: each row is
 * resized horizontally at once, and added into the output rows it weighs on, so only the
 * `inputSize² × 3` output (in float64 while it sums) is held, never the window. This is what
 * lets a worker feed a level-k window, or the whole image, from a few rows at a time. Every
 * output value is summed over the same rows in the same order as a pass over the whole window
 * would, so the input is the same bits however the rows are cut (letterbox is this, fed once).
 */
export class LetterboxStream {
  readonly content: { width: number; height: number };
  private readonly tx: Taps;
  private readonly ty: Taps;
  /** Per source row: the output rows it weighs on and with what weight, flattened as (o, k). */
  private readonly targets: number[][];
  private readonly line: Float32Array;
  private readonly sums: Float64Array;
  private next = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly inputSize: number,
    private readonly scale: number,
    private readonly offset: number,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`window must be positive integers, got ${width}×${height}`);
    }
    this.content = contentSize(width, height, inputSize);
    this.tx = taps(width, this.content.width);
    const ty = taps(height, this.content.height);
    this.ty = ty;
    this.targets = Array.from({ length: height }, () => []);
    for (let o = 0; o < this.content.height; o++) {
      for (let k = 0; k < (ty.count[o] as number); k++) (this.targets[(ty.first[o] as number) + k] as number[]).push(o, k);
    }
    this.line = new Float32Array(this.content.width * 3);
    this.sums = new Float64Array(this.content.height * this.content.width * 3);
  }

  /**
   * Adds the window's next `count` rows: row r's first pixel is at `data[start + r * stride]`,
   * `channels` (3, or 4 with alpha ignored) bytes a pixel.
   */
  addRows(data: ArrayLike<number>, start: number, stride: number, channels: number, count: number): void {
    if (this.next + count > this.height) throw new RangeError(`window has ${this.height} rows; got ${this.next + count}`);
    const { tx, ty, line } = this;
    const w = this.content.width;
    for (let r = 0; r < count; r++, this.next++) {
      const src = start + r * stride;
      // Horizontal pass, into float32 as a whole-window pass would store it.
      for (let o = 0; o < w; o++) {
        let red = 0;
        let green = 0;
        let blue = 0;
        const i0 = tx.first[o] as number;
        const n = tx.count[o] as number;
        for (let k = 0; k < n; k++) {
          const weight = tx.weight[o * tx.stride + k] as number;
          const p = src + (i0 + k) * channels;
          red += (data[p] as number) * weight;
          green += (data[p + 1] as number) * weight;
          blue += (data[p + 2] as number) * weight;
        }
        line[o * 3] = red;
        line[o * 3 + 1] = green;
        line[o * 3 + 2] = blue;
      }
      // Vertical pass: this row's share of each output row it weighs on.
      const targets = this.targets[this.next] as number[];
      for (let t = 0; t < targets.length; t += 2) {
        const o = targets[t] as number;
        const weight = ty.weight[o * ty.stride + (targets[t + 1] as number)] as number;
        const base = o * w * 3;
        for (let x = 0; x < w * 3; x++) this.sums[base + x] = (this.sums[base + x] as number) + (line[x] as number) * weight;
      }
    }
  }

  /** The model input: `inputSize² × 3` floats, RGB, the content at the top-left, black around. */
  finish(): Float32Array {
    if (this.next !== this.height) throw new RangeError(`window has ${this.height} rows; got ${this.next}`);
    const { inputSize, scale, offset } = this;
    const out = new Float32Array(inputSize * inputSize * 3).fill(offset);
    const line = this.content.width * 3;
    for (let o = 0; o < this.content.height; o++) {
      for (let x = 0; x < line; x++) out[o * inputSize * 3 + x] = (this.sums[o * line + x] as number) * scale + offset;
    }
    return out;
  }
}

/**
 * The model input for a window: `inputSize² × 3` floats, RGB, each `pixel * scale + offset`,
 * the content resized to contentSize() at the top-left, the rest black (0 * scale + offset).
 */
export function letterbox(pixels: RgbWindow, inputSize: number, scale: number, offset: number): Float32Array {
  const { data, width: sw, height: sh } = pixels;
  const ch = pixels.channels ?? 3;
  if (!Number.isInteger(sw) || !Number.isInteger(sh) || sw < 1 || sh < 1 || data.length !== sw * sh * ch) {
    throw new RangeError(`window pixels must be ${sw}×${sh}×${ch} bytes, got ${data.length}`);
  }
  const stream = new LetterboxStream(sw, sh, inputSize, scale, offset);
  stream.addRows(data, 0, sw * ch, ch, sh);
  return stream.finish();
}

/** A copy of one rectangle of an image's pixels (3 or 4 bytes a pixel), as an RgbWindow. */
export function cropPixels(
  image: RgbWindow,
  rect: { readonly x: number; readonly y: number; readonly width: number; readonly height: number },
): RgbWindow {
  const ch = image.channels ?? 3;
  const { x, y, width, height } = rect;
  if (x < 0 || y < 0 || x + width > image.width || y + height > image.height) {
    throw new RangeError(`crop ${width}×${height} at (${x}, ${y}) is outside the ${image.width}×${image.height} image`);
  }
  if (x === 0 && y === 0 && width === image.width && height === image.height) return image;
  const data = new Uint8Array(width * height * ch);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * image.width + x) * ch;
    data.set(image.data.subarray(from, from + width * ch), row * width * ch);
  }
  return { data, width, height, channels: ch };
}
