// Test images: the real photographs in test/fixtures/images (sources and licences in its
// SOURCES.md) decoded to RGBA8 by sharp, plus the
// awkward synthetic shapes every kernel must survive.

import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RgbaImage } from "@tessera/kernels";
import sharp from "sharp";

export interface TestImage extends RgbaImage {
  readonly name: string;
  readonly data: Uint8ClampedArray;
}

export const PHOTO_DIR = fileURLToPath(new URL("../fixtures/images/", import.meta.url));

/** Every photograph in test/fixtures/images (png and jpg). Fails loudly if the folder is missing. */
export function photoNames(): string[] {
  if (!existsSync(PHOTO_DIR)) {
    throw new Error(
      `test photographs not found at ${PHOTO_DIR}; the repository ships them in test/fixtures/images; restore that folder from git (git checkout -- test/fixtures/images)`,
    );
  }
  return readdirSync(PHOTO_DIR)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort();
}

const cache = new Map<string, Promise<TestImage>>();

/** Decodes a photograph to RGBA8 (grey and RGB files alike), optionally resized to fit `maxSide`. */
export function loadPhoto(name: string, maxSide?: number): Promise<TestImage> {
  const key = `${name}@${maxSide ?? "full"}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      let pipeline = sharp(PHOTO_DIR + name);
      if (maxSide) pipeline = pipeline.resize(maxSide, maxSide, { fit: "inside" });
      const { data, info } = await pipeline.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      return {
        name,
        width: info.width,
        height: info.height,
        data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
      };
    })();
    cache.set(key, p);
  }
  return p;
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
/** A deterministic opaque RGBA pattern (no photograph needed): colour changing along every row. */
export function gradient(width: number, height: number): { width: number; height: number; data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = (i * 7) % 256;
    data[i * 4 + 1] = (i * 13) % 256;
    data[i * 4 + 2] = (i * 29) % 256;
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

export function randomBytes(n: number, seed = 1): Uint8ClampedArray {
  const out = new Uint8ClampedArray(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

/**
 * Synthetic edge cases: 1×1, 1×N, N×1, widths around the vector width (15, 16, 17, 33),
 * a constant image, and one with transparent and half-transparent pixels.
 */
export function edgeCaseImages(): TestImage[] {
  const noise = (name: string, width: number, height: number, seed: number): TestImage => ({
    name,
    width,
    height,
    data: randomBytes(width * height * 4, seed),
  });
  const constant: TestImage = {
    name: "constant 20×13",
    width: 20,
    height: 13,
    data: new Uint8ClampedArray(20 * 13 * 4).fill(77),
  };
  const transparent = noise("transparent 17×9", 17, 9, 99);
  for (let i = 3; i < transparent.data.length; i += 8) transparent.data[i] = 0;
  return [
    noise("1×1", 1, 1, 1),
    noise("1×37", 1, 37, 2),
    noise("41×1", 41, 1, 3),
    noise("15×7", 15, 7, 4),
    noise("16×16", 16, 16, 5),
    noise("17×5", 17, 5, 6),
    noise("33×21", 33, 21, 7),
    constant,
    transparent,
  ];
}

export interface Difference {
  max: number;
  count: number;
  /** First offending pixel, for the failure message. */
  first?: { x: number; y: number; channel: number; got: number; want: number };
}

/** Largest per-byte difference between two RGBA buffers of the same image size. */
export function compare(got: ArrayLike<number>, want: ArrayLike<number>, width: number, tolerance = 0): Difference {
  const diff: Difference = { max: 0, count: 0 };
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs((got[i] ?? -1000) - (want[i] ?? 0));
    if (d > diff.max) diff.max = d;
    if (d > tolerance) {
      if (diff.count === 0) {
        const p = i >> 2;
        diff.first = { x: p % width, y: Math.floor(p / width), channel: i & 3, got: got[i] ?? -1, want: want[i] ?? -1 };
      }
      diff.count++;
    }
  }
  return diff;
}

/** A readable failure: "max diff 3 at 1234 bytes; first at (10,4) channel 1: got 200, want 197". */
export function describe(diff: Difference): string {
  if (!diff.first) return `max diff ${diff.max}`;
  const f = diff.first;
  return `max diff ${diff.max} over ${diff.count} bytes; first at (${f.x},${f.y}) channel ${f.channel}: got ${f.got}, want ${f.want}`;
}
