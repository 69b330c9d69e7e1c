// The median op: byte-exact against a sort-the-window reference written from the definition
// (DESIGN.md: per channel median of the (2r+1)² window for R, G, B; clamp-to-edge; alpha
// unchanged), against sharp (libvips) for 3×3 and 5×5, and exhaustively for the comparator
// networks behind radius 1 and 2.

import type { RgbaImage } from "@tessera/kernels";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { compare, describe as describeDiff, edgeCaseImages, loadPhoto, photoNames, randomBytes } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

const clampIndex = (i: number, n: number): number => (i < 0 ? 0 : i >= n ? n - 1 : i);

/** The definition, as plainly as it goes: gather the clamped window per channel, sort it, take the middle. */
function referenceMedian(img: RgbaImage, r: number): Uint8ClampedArray {
  const { width: w, height: h, data } = img;
  const n = (2 * r + 1) * (2 * r + 1);
  const red = new Uint8Array(n);
  const green = new Uint8Array(n);
  const blue = new Uint8Array(n);
  const out = new Uint8ClampedArray(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let k = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const i = (clampIndex(y + dy, h) * w + clampIndex(x + dx, w)) * 4;
          red[k] = data[i] ?? 0;
          green[k] = data[i + 1] ?? 0;
          blue[k] = data[i + 2] ?? 0;
          k++;
        }
      }
      // Typed arrays sort numerically; the middle of n (odd) sorted values is the median.
      const o = (y * w + x) * 4;
      out[o] = red.sort()[n >> 1] ?? 0;
      out[o + 1] = green.sort()[n >> 1] ?? 0;
      out[o + 2] = blue.sort()[n >> 1] ?? 0;
      out[o + 3] = data[o + 3] ?? 0;
    }
  }
  return out;
}

async function expectReference(image: RgbaImage & { name: string }, radius: number): Promise<void> {
  const got = (await kernels()).run(image, `median(radius=${radius})`).data;
  const diff = compare(got, referenceMedian(image, radius), image.width);
  expect(diff.count, `${image.name} ${image.width}×${image.height}, radius ${radius}: ${describeDiff(diff)}`).toBe(0);
}

describe("median equals the sort-the-window reference", () => {
  it.each(photoNames())("%s, radius 1, 2 and 3", async (name) => {
    const photo = await loadPhoto(name);
    for (const radius of [1, 2, 3]) await expectReference(photo, radius);
  });

  it.each(photoNames())("%s resized to 128 px, radius 5 and 7", async (name) => {
    const photo = await loadPhoto(name, 128);
    for (const radius of [5, 7]) await expectReference(photo, radius);
  });

  it("every edge-case image, radius 1 … 7", async () => {
    for (const image of edgeCaseImages()) {
      for (let radius = 1; radius <= 7; radius++) await expectReference(image, radius);
    }
  });

  it("noise in few grey levels (many ties), every radius, widths 1 … 9", async () => {
    for (let width = 1; width <= 9; width++) {
      const data = randomBytes(width * 23 * 4, width).map((v) => v & 0x83); // 0..3 and 128..131
      for (let radius = 1; radius <= 7; radius++)
        await expectReference({ name: `ties ${width}×23`, width, height: 23, data }, radius);
    }
  });
});

/**
 * The comparator networks of radius 1 and 2 sort each window column, then select from the
 * sorted columns. By the 0-1 principle they are right for every input if they are right for
 * every input of two levels, and with sorted columns a two-level window is fully described by
 * how many high values each column has (0 … 2r+1). This image's middle row sees every such
 * sequence of 2r+1 column counts once (a de Bruijn sequence of the counts), with the high
 * values at varying heights so the column sorting is exercised too. The level pairs straddle
 * 127/128 and include 0/255, where a signed byte comparison would go wrong.
 */
function zeroOneImage(r: number): RgbaImage & { name: string } {
  const side = 2 * r + 1;
  const counts = deBruijn(side + 1, side);
  const width = counts.length + side - 1; // the sequence is cyclic: repeat its head
  const levels: [number, number][] = [
    [0, 255],
    [127, 128],
    [10, 200],
  ];
  const data = randomBytes(width * side * 4, 42); // alpha stays random
  for (let x = 0; x < width; x++) {
    const ones = counts[x % counts.length] ?? 0;
    for (let c = 0; c < 3; c++) {
      // Which rows hold the high level: `ones` rows starting at a height that varies with x and c.
      const start = (x * (c + 1) + c) % side;
      for (let y = 0; y < side; y++) {
        const high = (y - start + side) % side < ones;
        const [lo, hi] = levels[c] ?? [0, 255];
        data[(y * width + x) * 4 + c] = high ? hi : lo;
      }
    }
  }
  return { name: `0-1 patterns for radius ${r}`, width, height: side, data };
}

/** De Bruijn sequence B(k, n): every length-n word over 0 … k−1 appears once, cyclically. */
function deBruijn(k: number, n: number): number[] {
  const a = new Array<number>(k * n).fill(0);
  const seq: number[] = [];
  const db = (t: number, p: number): void => {
    if (t > n) {
      if (n % p === 0) seq.push(...a.slice(1, p + 1));
    } else {
      a[t] = a[t - p] ?? 0;
      db(t + 1, p);
      for (let j = (a[t - p] ?? 0) + 1; j < k; j++) {
        a[t] = j;
        db(t + 1, t);
      }
    }
  };
  db(1, 1);
  return seq;
}

describe("median's comparator networks, exhaustively", () => {
  it("the de Bruijn sequence holds every word once", () => {
    const seq = deBruijn(6, 5);
    expect(seq.length).toBe(6 ** 5);
    const words = new Set<string>();
    for (let i = 0; i < seq.length; i++) words.add(Array.from({ length: 5 }, (_, j) => seq[(i + j) % seq.length]).join(""));
    expect(words.size).toBe(6 ** 5);
  });

  it.each([1, 2])("radius %i: every two-level window with sorted columns", async (radius) => {
    await expectReference(zeroOneImage(radius), radius);
  });
});

describe("median against sharp (libvips)", () => {
  // sharp's median on a 4-channel input would filter alpha too, so it gets RGB only and the
  // comparison skips our alpha. libvips extends the image by copying edge pixels, as we do,
  // so borders are compared too.
  async function sharpMedian(image: RgbaImage, size: number): Promise<Buffer> {
    const pixels = image.width * image.height;
    const rgb = Buffer.alloc(pixels * 3);
    for (let i = 0; i < pixels; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = image.data[i * 4 + c] ?? 0;
    return await sharp(rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
      .median(size)
      .raw()
      .toBuffer();
  }

  it.each(photoNames())("%s: radius 1 = .median(3), radius 2 = .median(5)", async (name) => {
    const photo = await loadPhoto(name);
    const k = await kernels();
    for (const radius of [1, 2]) {
      const theirs = await sharpMedian(photo, 2 * radius + 1);
      const ours = k.run(photo, `median(radius=${radius})`).data;
      const asRgba = new Uint8ClampedArray(ours.length);
      for (let i = 0; i < photo.width * photo.height; i++) {
        for (let c = 0; c < 3; c++) asRgba[i * 4 + c] = theirs[i * 3 + c] ?? 0;
        asRgba[i * 4 + 3] = ours[i * 4 + 3] ?? 0;
      }
      const diff = compare(ours, asRgba, photo.width);
      expect(diff.count, `${name}, radius ${radius} vs sharp .median(${2 * radius + 1}): ${describeDiff(diff)}`).toBe(0);
    }
  });
});

describe("median leaves its input alone", () => {
  it.each([1, 2, 4])("radius %i", async (radius) => {
    const image = { width: 37, height: 19, data: randomBytes(37 * 19 * 4, 7) };
    const before = image.data.slice();
    const out = (await kernels()).run(image, `median(radius=${radius})`);
    expect(image.data).toEqual(before);
    expect(out.data).not.toBe(image.data);
  });
});
