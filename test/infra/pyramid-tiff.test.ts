// Pyramidal BigTIFF from bands: sharp (libvips, libtiff) opens every level, the first is the
// input exactly, each smaller one is the reference 2×2 box average, and joining bands of any
// height gives the same bytes as encoding the whole image at once.

import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodePyramidTiff, imageChannels, type RgbaBand } from "../../infra/adapters/pyramid/index.js";
import { photoNames } from "../helpers/images.js";
import {
  decode,
  firstDifference,
  layoutFor,
  photo,
  type Rgba,
  referenceLevels,
  tiffByBands,
  translucent,
} from "./pyramid-helpers.js";

/** Reads the IFDs of a little-endian BigTIFF: each level's tags, as numbers (first value). */
function ifds(file: Uint8Array): Map<number, number>[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  expect([file[0], file[1], view.getUint16(2, true), view.getUint16(4, true)]).toEqual([0x49, 0x49, 43, 8]);
  const out: Map<number, number>[] = [];
  for (let at = Number(view.getBigUint64(8, true)); at; ) {
    const n = Number(view.getBigUint64(at, true));
    const tags = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const e = at + 8 + 20 * i;
      const type = view.getUint16(e + 2, true);
      const value =
        type === 3
          ? view.getUint16(e + 12, true)
          : type === 4
            ? view.getUint32(e + 12, true)
            : Number(view.getBigUint64(e + 12, true));
      tags.set(view.getUint16(e, true), value);
    }
    out.push(tags);
    at = Number(view.getBigUint64(at + 8 + 20 * n, true));
  }
  return out;
}

/** Checks a TIFF's levels against the reference; returns the level count. */
async function checkLevels(label: string, image: RgbaBand, file: Uint8Array): Promise<number> {
  const c = imageChannels(image);
  const want = referenceLevels(image, c, 256);
  const meta = await sharp(file).metadata();
  expect(meta.pages, label).toBe(want.length);
  const tags = ifds(file);
  expect(
    tags.map((t) => [t.get(256), t.get(257)]),
    label,
  ).toEqual(want.map((l) => [l.width, l.height]));
  tags.forEach((t, level) => {
    expect(
      [t.get(254), t.get(259), t.get(277), t.get(317), t.get(322), t.get(323), t.get(338)],
      `${label} level ${level}`,
    ).toEqual([level > 0 ? 1 : undefined, 8, c, 2, 256, 256, c === 4 ? 2 : undefined]);
  });
  for (let level = 0; level < want.length; level++) {
    const got = await decode(file, level);
    const ref = want[level] as (typeof want)[number];
    expect([got.width, got.height, got.channels], `${label} level ${level}`).toEqual([ref.width, ref.height, c]);
    expect(firstDifference(got.data, ref.data), `${label} level ${level}`).toBeUndefined();
  }
  return want.length;
}

/** Whole-image TIFF, checked, and the same TIFF joined from bands of each height. */
async function checkImage(image: Rgba, bandHeights: number[]): Promise<void> {
  const whole = await encodePyramidTiff(image);
  await checkLevels(image.name, image, whole);
  for (const bandHeight of bandHeights) {
    const layout = layoutFor(image, bandHeight, imageChannels(image), { format: "tiff" });
    const { file } = await tiffByBands(image, layout);
    expect(firstDifference(file, whole), `${image.name} in bands of ${bandHeight}`).toBeUndefined();
  }
}

describe("pyramidal BigTIFF", () => {
  it.each(photoNames())("%s: every level exact, bands of 512 and 64 give the one-call bytes", async (name) => {
    await checkImage(await photo(name), [512, 64]);
  });

  it("odd sizes: 1000×777, 257×1, 1×300, 1×1, and band heights that cut tile rows (300, 1000)", async () => {
    await checkImage(await photo("rocket.jpg", { width: 1000, height: 777 }), [512, 64, 300, 1000]);
    await checkImage(await photo("coffee.png", { width: 257, height: 1 }), [512, 64, 1]);
    await checkImage(await photo("chelsea.png", { width: 1, height: 300 }), [512, 64, 7]);
    await checkImage(await photo("coins.png", { width: 1, height: 1 }), [1]);
  });

  it("4 samples with unassociated alpha when some pixel is not opaque; grey files get 1", async () => {
    const glass = translucent(530, 270);
    expect(imageChannels(glass)).toBe(4);
    await checkImage(glass, [512, 64]);
    const camera = await photo("camera.png");
    expect(imageChannels(camera)).toBe(1);
    expect((await sharp(await encodePyramidTiff(camera)).metadata()).channels).toBe(1);
  });

  it("a 1100×1600 image has four levels, the last within one tile; four bands of 512 give the same bytes", async () => {
    const image = await photo("hubble_deep_field.jpg", { width: 1100, height: 1600 });
    const whole = await encodePyramidTiff(image);
    expect(await checkLevels(image.name, image, whole)).toBe(4); // 1600, 800, 400, 200 rows
    const { file } = await tiffByBands(image, layoutFor(image, 512, 3, { format: "tiff" }));
    expect(firstDifference(file, whole)).toBeUndefined();
  });

  it("deflate settings change the bytes, not the pixels", async () => {
    const image = await photo("astronaut.png", { width: 700, height: 600 });
    const fast = await encodePyramidTiff(image, { deflateLevel: 1, deflateStrategy: "default" });
    expect(firstDifference(fast, await encodePyramidTiff(image))).toBeDefined();
    await checkLevels("level 1, default strategy", image, fast);
  });
});
