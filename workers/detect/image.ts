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
 * The model input for a window: `inputSize² × 3` floats, RGB, each `pixel * scale + offset`,
 * the content resized to contentSize() at the top-left, the rest black (0 * scale + offset).
 */
export function letterbox(pixels: RgbWindow, inputSize: number, scale: number, offset: number): Float32Array {
  const { data, width: sw, height: sh } = pixels;
  const ch = pixels.channels ?? 3;
  if (!Number.isInteger(sw) || !Number.isInteger(sh) || sw < 1 || sh < 1 || data.length !== sw * sh * ch) {
    throw new RangeError(`window pixels must be ${sw}×${sh}×${ch} bytes, got ${data.length}`);
  }
  const size = contentSize(sw, sh, inputSize);
  const tx = taps(sw, size.width);
  const ty = taps(sh, size.height);
  // Horizontal pass: every source row to `size.width` RGB floats.
  const rows = new Float32Array(sh * size.width * 3);
  for (let y = 0; y < sh; y++) {
    const src = y * sw * ch;
    const dst = y * size.width * 3;
    for (let o = 0; o < size.width; o++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const i0 = tx.first[o] as number;
      const n = tx.count[o] as number;
      for (let k = 0; k < n; k++) {
        const w = tx.weight[o * tx.stride + k] as number;
        const p = src + (i0 + k) * ch;
        r += (data[p] as number) * w;
        g += (data[p + 1] as number) * w;
        b += (data[p + 2] as number) * w;
      }
      rows[dst + o * 3] = r;
      rows[dst + o * 3 + 1] = g;
      rows[dst + o * 3 + 2] = b;
    }
  }
  // Vertical pass into the padded square.
  const out = new Float32Array(inputSize * inputSize * 3).fill(offset);
  const line = size.width * 3;
  for (let o = 0; o < size.height; o++) {
    const i0 = ty.first[o] as number;
    const n = ty.count[o] as number;
    const dst = o * inputSize * 3;
    for (let x = 0; x < line; x++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += (rows[(i0 + k) * line + x] as number) * (ty.weight[o * ty.stride + k] as number);
      out[dst + x] = v * scale + offset;
    }
  }
  return out;
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
