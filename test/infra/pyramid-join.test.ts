// The join's promises: memory that follows the width, never the height (measured by the
// join's own count of the bytes it holds), and clear errors for pieces that do not fit:
// out of order, missing, extra, from another layout, damaged; and bands or layouts that are
// wrong before any work starts.

import { describe, expect, it } from "vitest";
import {
  encodeBandPieces,
  joinMemoryBound,
  joinTiff,
  joinTiles,
  type PyramidLayout,
  pyramidLayout,
  type TiffJoinStats,
} from "../../infra/adapters/pyramid/index.js";
import { layoutFor, memoryTiffSink, photo, piecesOf, type Rgba, rowsOf, translucent } from "./pyramid-helpers.js";

/** A photograph repeated down to `height` rows, so every tile row compresses alike. */
async function tall(width: number, height: number): Promise<Rgba> {
  const tile = await photo("hubble_deep_field.jpg", { width, height: 512 });
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y += 512) data.set(tile.data.subarray(0, Math.min(512, height - y) * width * 4), y * width * 4);
  return { name: `${width}×${height}`, width, height, data };
}

async function joinedStats(image: Rgba, layout: PyramidLayout): Promise<{ stats: TiffJoinStats; perBand: number[] }> {
  const perBand: number[] = [];
  const { sink } = memoryTiffSink();
  const stats = await joinTiff(layout, await piecesOf(image, layout), sink, {
    onBand: (_, s) => void perBand.push(s.peakRetainedBytes),
  });
  return { stats, perBand };
}

describe("the join's memory", () => {
  it("holds per level one tile row of the width, however tall the image", async () => {
    const width = 700;
    const tile = 256 * 256 * 3;
    const short = await tall(width, 1024);
    const high = await tall(width, 8192);
    const peaks = new Map<number, number>();
    for (const bandHeight of [64, 512]) {
      const label = `bands of ${bandHeight}`;
      const a = await joinedStats(short, layoutFor(short, bandHeight, 3, { format: "tiff" }));
      const highLayout = layoutFor(high, bandHeight, 3, { format: "tiff" });
      const b = await joinedStats(high, highLayout);
      expect(b.stats.peakRetainedBytes, label).toBeLessThanOrEqual(joinMemoryBound(highLayout));
      // Eight times the rows; the join holds more only for the three extra levels (88, 44
      // and 22 pixels wide) of the taller image's pyramid: one tile row each, at most a
      // buffer and two tile rows in flight of one tile.
      const extra = highLayout.levels.length - layoutFor(short, bandHeight, 3, { format: "tiff" }).levels.length;
      expect(extra).toBe(3);
      expect(b.stats.peakRetainedBytes - a.stats.peakRetainedBytes, label).toBeLessThan(extra * 3.1 * tile);
      // Band by band: after half the image, the peak grows only by levels whose first tile
      // row ends in the second half (they start holding then), never with the rows joined.
      const half = Math.floor(b.perBand.length / 2);
      const late = highLayout.levels.filter((_, l) => Math.min(256 * 2 ** l, high.height) > half * bandHeight).length;
      expect(b.stats.peakRetainedBytes - (b.perBand[half - 1] as number), label).toBeLessThanOrEqual(late * 3.1 * tile);
      expect(b.stats.indexBytes).toBe(16 * highLayout.levels.reduce((n, l) => n + l.cols * l.rows, 0));
      peaks.set(bandHeight, b.stats.peakRetainedBytes);
    }
    // 64-row bands contain no tile row, so the join assembles levels 0 and 1 itself; 512-row
    // bands (starting at multiples of 512) compress both, and the join holds neither's rows.
    const levels01 = width * 3 * 256 + 350 * 3 * 256;
    expect((peaks.get(512) as number) + levels01).toBeLessThan(peaks.get(64) as number);
    // The bound follows the width: a million rows add only their extra levels, each one tile
    // wide, and stay under 1% of the image's bytes.
    const highLayout = layoutFor(high, 64, 3, { format: "tiff" });
    const million = pyramidLayout({ ...highLayout, height: 1_000_000 });
    const extraLevels = million.levels.length - highLayout.levels.length;
    expect(joinMemoryBound(million) - joinMemoryBound(highLayout)).toBeLessThan(extraLevels * 3.1 * tile);
    expect(joinMemoryBound(million)).toBeLessThan(width * 1_000_000 * 3 * 0.01);
  });

  it("Deep Zoom joins keep the same bound", async () => {
    const image = await tall(600, 4096);
    const layout = layoutFor(image, 64, 3, { format: "dzi", tileFormat: "png" });
    const stats = await joinTiles(layout, await piecesOf(image, layout), async () => {});
    expect(stats.peakRetainedBytes).toBeLessThanOrEqual(joinMemoryBound(layout));
    expect(stats.retainedBytes).toBeLessThan(stats.peakRetainedBytes);
  });
});

describe("errors", () => {
  const image = translucent(300, 700);
  const layout = layoutFor(image, 256, 4, { format: "tiff" });
  const join = (pieces: Uint8Array[], l = layout) => joinTiff(l, pieces, memoryTiffSink().sink);

  it("pieces out of order, missing or extra", async () => {
    const [p0, p1, p2] = await piecesOf(image, layout);
    if (!p0 || !p1 || !p2) throw new Error("expected three bands");
    await expect(join([p0, p2, p1])).rejects.toThrow("expected band 1, got band 2");
    await expect(join([p1, p0, p2])).rejects.toThrow("expected band 0, got band 1");
    await expect(join([p0, p1])).rejects.toThrow("the join got 2 of the layout's 3 band pieces");
    await expect(join([p0, p1, p2, p2])).rejects.toThrow("more than the layout's 3 band pieces");
    await expect(join([p0, p1, p2])).resolves.toBeDefined();
  });

  it("pieces from another layout or damaged", async () => {
    const [p0] = await piecesOf(image, layout);
    if (!p0) throw new Error("expected a band");
    const other = layoutFor(image, 256, 4, { format: "tiff", deflateLevel: 1 });
    await expect(join([p0], other)).rejects.toThrow("encoded for another layout");
    const dzi = layoutFor(image, 256, 4, { format: "dzi", tileFormat: "png" });
    await expect(joinTiles(dzi, [p0], async () => {})).rejects.toThrow("encoded for another layout");
    await expect(join([p0.subarray(0, p0.length - 1)])).rejects.toThrow("pyramid band piece 0 is truncated");
    await expect(join([new Uint8Array(20)])).rejects.toThrow("not a pyramid band piece");
    await expect(joinTiles(layout, [p0], async () => {})).rejects.toThrow("needs a dzi or iiif layout");
  });

  it("bands of the wrong size, index or pixels", async () => {
    await expect(encodeBandPieces(rowsOf(image, 0, 255), 0, layout)).rejects.toThrow(
      "band 0 holds rows 0..255, so it must be 300×256; got 300×255",
    );
    await expect(encodeBandPieces(rowsOf(image, 512, 700), 2, layout)).resolves.toBeDefined();
    await expect(encodeBandPieces(rowsOf(image, 0, 256), 3, layout)).rejects.toThrow("band index must be an integer 0..2");
    const short = { width: 300, height: 256, data: new Uint8Array(300 * 256 * 4 - 1) };
    await expect(encodeBandPieces(short, 0, layout)).rejects.toThrow("is not 300×256 RGBA pixels");
    const opaque = layoutFor(image, 256, 3, { format: "tiff" });
    await expect(encodeBandPieces(rowsOf(image, 256, 512), 1, opaque)).rejects.toThrow(
      /band 1: pixel \(0, 0\) has alpha \d+, which 3 channels cannot hold/,
    );
    const colour = await photo("coffee.png");
    const grey = layoutFor(colour, 512, 1, { format: "tiff" });
    await expect(encodeBandPieces(rowsOf(colour, 0, 400), 0, grey)).rejects.toThrow(
      /has colour \(\d+,\d+,\d+\), which 1 channel cannot hold/,
    );
  });

  it("layouts that cannot be", () => {
    const base = { format: "tiff", width: 10, height: 10, bandHeight: 16, channels: 3 } as const;
    expect(() => pyramidLayout({ ...base, width: 0 })).toThrow("image size must be positive integers, got 0×10");
    expect(() => pyramidLayout({ ...base, height: 1.5 })).toThrow("image size must be positive integers");
    expect(() => pyramidLayout({ ...base, bandHeight: 0 })).toThrow("bandHeight must be a positive integer");
    expect(() => pyramidLayout({ ...base, channels: 2 as 3 })).toThrow("channels must be 1, 3 or 4");
    expect(() => pyramidLayout({ ...base, deflateLevel: 0 })).toThrow("deflateLevel must be an integer 1..9");
    expect(() => pyramidLayout({ ...base, format: "dzi", channels: 4 })).toThrow("JPEG tiles cannot carry alpha");
    expect(() => pyramidLayout({ ...base, format: "dzi", quality: 101 })).toThrow("quality must be an integer 1..100");
    expect(() => pyramidLayout({ ...base, format: "dzi", name: "../x" })).toThrow("name must be a plain file name");
    expect(() => pyramidLayout({ ...base, format: "iiif" })).toThrow("needs the service's id");
  });
});
