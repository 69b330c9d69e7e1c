import { KernelError } from "./errors.js";

/** An RGBA8 image in ImageData layout. `ImageData` itself satisfies this interface. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray | Uint8Array;
}

/** What the kernels return: always a fresh buffer, never a view of the input. */
export interface RgbaResult extends RgbaImage {
  readonly data: Uint8ClampedArray;
}

/** How many bytes a pixel has: grey, RGB or RGBA (always 8 bits per channel). */
export type Channels = 1 | 3 | 4;

/**
 * The compact image form: `channels` bytes per pixel, interleaved (1 grey, 3 RGB, 4 RGBA).
 * Without `channels` it is RGBA, so every RgbaImage (and ImageData) is one.
 */
export interface Image {
  readonly width: number;
  readonly height: number;
  readonly channels?: Channels;
  readonly data: Uint8ClampedArray | Uint8Array;
}

/** What `run()` returns: a fresh buffer with `channels` bytes per pixel. */
export interface ImageResult extends RgbaResult {
  readonly channels: Channels;
}

/** A rectangle in pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The most pixels one call takes: two RGBA buffers plus scratch must fit 32-bit wasm memory
 * (4 GiB), with room to spare for the planes canny keeps. Larger images go through the
 * engine, which tiles them.
 */
export const MAX_PIXELS = 268_435_456; // 2^28, e.g. 16384 × 16384

const isSize = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

/** Throws INVALID_IMAGE / IMAGE_TOO_LARGE with the reason; returns the byte length. */
export function checkImage(image: Image, label = "image"): number {
  if (!image || typeof image !== "object")
    throw new KernelError("INVALID_IMAGE", `${label} must be an object {width, height, data}`);
  const { width, height, data } = image;
  if (!isSize(width)) throw new KernelError("INVALID_IMAGE", `${label}.width must be a positive integer, got ${String(width)}`);
  if (!isSize(height))
    throw new KernelError("INVALID_IMAGE", `${label}.height must be a positive integer, got ${String(height)}`);
  const channels = image.channels ?? 4;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new KernelError("INVALID_IMAGE", `${label}.channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got ${String(channels)}`);
  }
  if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array)) {
    throw new KernelError(
      "INVALID_IMAGE",
      `${label}.data must be a Uint8ClampedArray or Uint8Array of ${FORMAT[channels]} bytes`,
    );
  }
  if (width * height > MAX_PIXELS) {
    throw new KernelError(
      "IMAGE_TOO_LARGE",
      `${label} is ${width}×${height} = ${width * height} pixels; one kernel call takes at most ${MAX_PIXELS}. Tile it (the engine does).`,
    );
  }
  const bytes = width * height * channels;
  if (data.length !== bytes) {
    throw new KernelError(
      "INVALID_IMAGE",
      `${label}.data has ${data.length} bytes; a ${width}×${height} ${FORMAT[channels]} image needs width·height·${channels} = ${bytes}`,
    );
  }
  return bytes;
}

const FORMAT: Readonly<Record<Channels, string>> = { 1: "grey", 3: "RGB", 4: "RGBA" };

/** Checks that `rect` lies inside a width×height image. */
export function checkRect(rect: Rect, width: number, height: number, label = "rect"): void {
  const ok =
    rect &&
    Number.isInteger(rect.x) &&
    Number.isInteger(rect.y) &&
    isSize(rect.width) &&
    isSize(rect.height) &&
    rect.x >= 0 &&
    rect.y >= 0 &&
    rect.x + rect.width <= width &&
    rect.y + rect.height <= height;
  if (!ok) {
    throw new KernelError(
      "INVALID_IMAGE",
      `${label} ${JSON.stringify(rect)} must be integers with a positive size inside the ${width}×${height} image`,
    );
  }
}

/** Copies `rect` out of an RGBA buffer. */
export function crop(image: RgbaImage, rect: Rect): RgbaResult {
  const out = new Uint8ClampedArray(rect.width * rect.height * 4);
  const rowBytes = rect.width * 4;
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * image.width + rect.x) * 4;
    out.set(image.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { width: rect.width, height: rect.height, data: out };
}

/** The same bytes as a Uint8Array view, so copies into and out of wasm memory are plain memcpy. */
export function bytesOf(data: Uint8Array | Uint8ClampedArray): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length);
}
