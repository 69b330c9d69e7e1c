// Deep Zoom and IIIF tile sets from bands: every tile a viewer will ask for exists with the
// right size, PNG tiles hold exactly the reference pyramid's pixels (the input itself at full
// resolution), the descriptors say what the tiles are, libvips names the same files, and
// bands of any height give the same files as the whole image at once.

import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { type Channels, imageChannels, writePyramidTiles } from "../../infra/adapters/pyramid/index.js";
import {
  decode,
  firstDifference,
  layoutFor,
  type Plane,
  photo,
  type Rgba,
  referenceLevels,
  region,
  tilesByBands,
  translucent,
} from "./pyramid-helpers.js";

const ID = "https://example.org/iiif/photo";
const scratch = mkdtemp(join(tmpdir(), "tessera-pyramid-"));
afterAll(async () => rm(await scratch, { recursive: true, force: true }));

/** A tile the set must hold: its file name, the pyramid level, and its cell at that level. */
interface Expected {
  readonly name: string;
  readonly level: number;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Deep Zoom: levels numbered from 1×1 up, tiles named col_row. */
function dziTiles(levels: Plane[], ext: string): Expected[] {
  const top = levels.length - 1;
  return levels.flatMap((l, level) =>
    cells(l).map((t) => ({ ...t, level, name: `photo_files/${top - level}/${t.x / 256}_${t.y / 256}.${ext}` })),
  );
}

/** IIIF: named by the region at full resolution and the size at the tile's scale. */
function iiifTiles(image: Rgba, levels: Plane[], ext: string): Expected[] {
  return levels.flatMap((l, level) =>
    cells(l).map((t) => {
      const s = 2 ** level;
      const [rx, ry] = [t.x * s, t.y * s];
      const [rw, rh] = [Math.min(256 * s, image.width - rx), Math.min(256 * s, image.height - ry)];
      const whole = rw === image.width && rh === image.height;
      return { ...t, level, name: `${whole ? "full" : `${rx},${ry},${rw},${rh}`}/${t.w},${t.h}/0/default.${ext}` };
    }),
  );
}

function cells(l: Plane): { x: number; y: number; w: number; h: number }[] {
  const out: { x: number; y: number; w: number; h: number }[] = [];
  for (let y = 0; y < l.height; y += 256) {
    for (let x = 0; x < l.width; x += 256) out.push({ x, y, w: Math.min(256, l.width - x), h: Math.min(256, l.height - y) });
  }
  return out;
}

/** The file names libvips' dzsave writes for the same image and tile geometry. */
async function libvipsNames(image: Rgba, c: Channels, layout: "dz" | "iiif3", ext: "png" | "jpg"): Promise<string[]> {
  const dir = join(await scratch, `${layout}-${image.width}x${image.height}`);
  const raw = { width: image.width, height: image.height, channels: 4 as const };
  let input = sharp(image.data, { raw });
  if (c < 4) input = input.removeAlpha();
  await input
    .toFormat(ext === "png" ? "png" : "jpeg")
    .tile({ size: 256, overlap: 0, layout, id: ID })
    .toFile(join(dir, "photo"));
  const files = await readdir(dir, { recursive: true, withFileTypes: true });
  return files
    .filter((f) => f.isFile() && !f.name.endsWith(".xml"))
    .map((f) => relative(dir, join(f.parentPath, f.name)))
    .map((f) => (layout === "iiif3" ? relative("photo", f) : f.replace(/\.jpeg$/, ".jpg")))
    .sort();
}

type TileFormat = "png" | "jpeg";

/** Builds the set in bands of each height, checks one against everything, the rest against it. */
async function checkSet(format: "dzi" | "iiif", image: Rgba, tileFormat: TileFormat, bandHeights: number[]): Promise<void> {
  const c = imageChannels(image);
  const levels = referenceLevels(image, c, format === "dzi" ? 1 : 256);
  const options = { format, tileFormat, name: "photo", id: ID } as const;
  const whole = new Map<string, Uint8Array>();
  await writePyramidTiles(image, format, async (name, bytes) => void whole.set(name, bytes.slice()), options);
  const ext = tileFormat === "png" ? "png" : format === "dzi" ? "jpeg" : "jpg";
  const expected = format === "dzi" ? dziTiles(levels, ext) : iiifTiles(image, levels, ext);
  const descriptor = format === "dzi" ? "photo.dzi" : "info.json";
  expect([...whole.keys()].sort(), image.name).toEqual([...expected.map((t) => t.name), descriptor].sort());
  for (const t of expected) {
    const got = await decode(whole.get(t.name) as Uint8Array);
    expect([got.width, got.height, got.channels], `${image.name} ${t.name}`).toEqual([t.w, t.h, c]);
    const want = region(levels[t.level] as Plane, c, t.x, t.y, t.w, t.h);
    if (tileFormat === "png") expect(firstDifference(got.data, want), `${image.name} ${t.name}`).toBeUndefined();
    // JPEG at quality 80 with 4:2:0 chroma: a few levels off on average, more on tiny tiles.
    else expect(meanError(got.data, want), `${image.name} ${t.name}`).toBeLessThan(t.w * t.h >= 4096 ? 6 : 20);
  }
  for (const bandHeight of bandHeights) {
    const files = await tilesByBands(image, layoutFor(image, bandHeight, c, options));
    expect([...files.keys()].sort(), `${image.name} in bands of ${bandHeight}`).toEqual([...whole.keys()].sort());
    for (const [name, bytes] of whole) {
      expect(firstDifference(files.get(name) as Uint8Array, bytes), `${name} in bands of ${bandHeight}`).toBeUndefined();
    }
  }
  checkDescriptor(format, image, levels.length, whole.get(descriptor) as Uint8Array, tileFormat);
}

function checkDescriptor(format: "dzi" | "iiif", image: Rgba, levels: number, bytes: Uint8Array, tileFormat: TileFormat): void {
  const text = new TextDecoder().decode(bytes);
  if (format === "iiif") {
    expect(JSON.parse(text)).toEqual({
      "@context": "http://iiif.io/api/image/3/context.json",
      id: ID,
      type: "ImageService3",
      protocol: "http://iiif.io/api/image",
      profile: "level0",
      width: image.width,
      height: image.height,
      tiles: [{ width: 256, height: 256, scaleFactors: Array.from({ length: levels }, (_, l) => 2 ** l) }],
    });
    return;
  }
  // OpenSeadragon's count of Deep Zoom levels, from the descriptor alone.
  expect(levels).toBe(Math.ceil(Math.log2(Math.max(image.width, image.height))) + 1);
  const attr = (name: string): string | undefined => new RegExp(`\\b${name}="([^"]*)"`).exec(text)?.[1];
  expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  expect(attr("xmlns")).toBe("http://schemas.microsoft.com/deepzoom/2008");
  expect([attr("Format"), attr("Overlap"), attr("TileSize")]).toEqual([tileFormat, "0", "256"]);
  expect([attr("Width"), attr("Height")]).toEqual([String(image.width), String(image.height)]);
}

function meanError(got: Uint8Array, want: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < want.length; i++) sum += Math.abs((got[i] as number) - (want[i] as number));
  return sum / want.length;
}

const odd = (): Promise<Rgba[]> =>
  Promise.all([
    photo("rocket.jpg", { width: 1000, height: 777 }),
    photo("coffee.png", { width: 257, height: 1 }),
    photo("chelsea.png", { width: 1, height: 300 }),
  ]);

describe("Deep Zoom tile sets", () => {
  it.each(["coffee.png", "camera.png", "retina.jpg"])(
    "%s in PNG: exact tiles at every level, bands of 512 and 64 alike",
    async (name) => {
      await checkSet("dzi", await photo(name), "png", [512, 64]);
    },
  );

  it("odd sizes (1000×777, 257×1, 1×300) and transparency, in PNG", async () => {
    for (const image of await odd()) await checkSet("dzi", image, "png", [512, 64, 300]);
    await checkSet("dzi", translucent(300, 520), "png", [512, 64]);
  });

  it("JPEG tiles (quality 80): every tile there, the right size, close to the pixels", async () => {
    await checkSet("dzi", await photo("chelsea.png"), "jpeg", [512, 64]);
    await checkSet("dzi", (await odd())[0] as Rgba, "jpeg", [512]);
  });

  it("names the files libvips' dzsave names for 256-pixel tiles without overlap", async () => {
    for (const image of await odd()) {
      const files = new Set<string>();
      await writePyramidTiles(image, "dzi", async (name) => void files.add(name), { name: "photo", tileFormat: "png" });
      expect([...files].sort(), image.name).toEqual(await libvipsNames(image, 3, "dz", "png"));
    }
  });
});

describe("IIIF level-0 tile sets", () => {
  it("photographs and odd sizes in PNG: exact tiles at every scale factor, bands of 512 and 64 alike", async () => {
    for (const image of [await photo("astronaut.png"), await photo("coins.png"), ...(await odd())]) {
      await checkSet("iiif", image, "png", [512, 64]);
    }
  });

  it("JPEG tiles are default.jpg, every one the size its name says", async () => {
    await checkSet("iiif", await photo("hubble_deep_field.jpg"), "jpeg", [512, 64]);
  });

  it("names the files libvips' iiif3 layout names", async () => {
    for (const image of [await photo("hubble_deep_field.jpg"), ...(await odd())]) {
      const files = new Set<string>();
      await writePyramidTiles(image, "iiif", async (name) => void files.add(name), { id: ID });
      expect([...files].sort(), image.name).toEqual((await libvipsNames(image, 3, "iiif3", "jpg")).sort());
    }
  });
});
