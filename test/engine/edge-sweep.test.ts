// Canny's hysteresis band by band (SweptEdges, for images over one class map's MAX_PIXELS)
// must give exactly the whole map's edges (Kernels.hysteresis): on the photographs' canny
// classes in bands of 16 and 40 rows, grey and RGBA with alpha, and on a weak path that
// zigzags across every band border many times before it reaches its one strong pixel, which
// takes more than one sweep. The one map (EdgeMap) is filled as a stage's bands finish, in
// any order, and must give the same edges, reading at the finish only the bands not added yet.

import { type Kernels, parsePipeline, type RgbaImage } from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { bandName } from "../../engine/blob-names.js";
import { EdgeMap } from "../../engine/edge-map.js";
import { SweptEdges } from "../../engine/edge-sweep.js";
import { bandCount, bandRows, makeGrid } from "../../engine/tiling.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

/** Canny's classes of `image` (0 none, 128 weak, 255 strong), as its stage writes them. */
function classesOf(k: Kernels, image: RgbaImage, pipeline: string): RgbaImage {
  const [canny] = parsePipeline(pipeline);
  return k.run(image, [{ ...(canny as NonNullable<typeof canny>), resolution: { kind: "canny-classify" } }]);
}

/** `classes` stored as a layer of `channels` in bands of `tileSize` rows, as canny's stage writes it. */
async function storedLayer(classes: RgbaImage, tileSize: number, channels: 1 | 4) {
  const grid = makeGrid(classes.width, classes.height, tileSize);
  const blobs = new MemoryBlobStore();
  for (let band = 0; band < bandCount(grid); band++) {
    const { y0, y1 } = bandRows(grid, band);
    const rgba = classes.data.subarray(y0 * grid.width * 4, y1 * grid.width * 4);
    const bytes =
      channels === 4 ? new Uint8Array(rgba) : Uint8Array.from({ length: rgba.length / 4 }, (_, p) => rgba[p * 4] ?? 0);
    await blobs.put(bandName("layer", band), bytes);
  }
  return { grid, blobs };
}

/** Edges band by band from `classes` stored as a layer of `channels` in bands of `tileSize` rows; returns grey and RGBA edges. */
async function swept(k: Kernels, classes: RgbaImage, tileSize: number, channels: 1 | 4) {
  const { grid, blobs } = await storedLayer(classes, tileSize, channels);
  const edges = await SweptEdges.gather(blobs, k, "layer", grid, channels);
  await edges.reduce();
  const all = { y0: 0, y1: grid.height };
  return { grey: await edges.greyRows(all), rgba: channels === 4 ? await edges.rows(blobs, "layer", all) : undefined };
}

describe("canny's hysteresis band by band", () => {
  it("gives the whole map's edges on every photograph, grey and RGBA, whatever the band height", async () => {
    const k = await kernels();
    for (const name of ["coins.png", "camera.png", "chelsea.png", "hubble_deep_field.jpg"]) {
      const photo = await loadPhoto(name, 300);
      // Alpha that varies, so an RGBA band that took its alpha from the wrong rows shows.
      const data = Uint8ClampedArray.from(photo.data, (v, i) => (i % 4 === 3 ? 40 + ((i >> 2) % 200) : v));
      for (const pipeline of ["canny", "canny(low=10, high=40, sigma=0.8)"]) {
        const classes = classesOf(k, { width: photo.width, height: photo.height, data }, pipeline);
        const want = k.hysteresis(classes).data;
        const wantGrey = want.filter((_, i) => i % 4 === 0);
        for (const tileSize of [16, 40]) {
          const grey = await swept(k, classes, tileSize, 1);
          expect(Buffer.compare(Buffer.from(grey.grey), Buffer.from(wantGrey)), `${name} ${pipeline} @${tileSize} grey`).toBe(0);
          const rgba = await swept(k, classes, tileSize, 4);
          expect(
            Buffer.compare(Buffer.from(rgba.rgba as Uint8Array), Buffer.from(want)),
            `${name} ${pipeline} @${tileSize} RGBA`,
          ).toBe(0);
        }
      }
    }
  });

  it("follows a weak path back and forth across the bands to a strong pixel at its far end", async () => {
    const k = await kernels();
    // A serpentine of weak pixels over 8 bands of 16 rows: down column 2, up column 6, down
    // column 10, …, each turn joined along row 1 or row 126; its only strong pixel ends it. Every
    // column crosses every band border, so the strong end reaches the start only sweep by sweep.
    const width = 64;
    const height = 128;
    const data = new Uint8ClampedArray(width * height * 4);
    const set = (x: number, y: number, v: number) => data.fill(v, (y * width + x) * 4, (y * width + x) * 4 + 3);
    for (let i = 0; i < width * height; i++) data[i * 4 + 3] = 255;
    let last = { x: 2, y: 1 };
    for (let column = 0, x = 2; x < width - 2; column++, x += 4) {
      for (let y = 1; y <= 126; y++) set(x, y, 128);
      const turn = column % 2 === 0 ? 126 : 1;
      if (x + 4 < width - 2) for (let t = x; t <= x + 4; t++) set(t, turn, 128);
      last = { x, y: column % 2 === 0 ? 126 : 1 };
    }
    set(last.x, last.y, 255);
    set(40, 30, 128); // weak and alone: stays out
    const classes = { width, height, data };
    const want = k.hysteresis(classes).data.filter((_, i) => i % 4 === 0);
    expect(want.filter((v) => v === 255).length).toBeGreaterThan(15 * 126); // the whole serpentine
    const { grey } = await swept(k, classes, 16, 1);
    expect(Buffer.compare(Buffer.from(grey), Buffer.from(want))).toBe(0);
  });
});

describe("canny's class map filled as bands finish (EdgeMap)", () => {
  it("gives the whole map's edges from bands added in any order, and reads at the end only the bands not added", async () => {
    const k = await kernels();
    const photo = await loadPhoto("coins.png", 300);
    const classes = classesOf(k, photo, "canny");
    const wantGrey = k.hysteresis(classes).data.filter((_, i) => i % 4 === 0);
    const { grid, blobs } = await storedLayer(classes, 40, 1);
    const read: string[] = [];
    const get = blobs.get.bind(blobs);
    blobs.get = (name: string) => {
      read.push(name);
      return get(name);
    };
    const map = EdgeMap.start(k, grid);
    // Bands finish out of order; one is added twice (a redelivered band reports twice).
    for (const band of [3, 0, 5, 3]) await map.add(blobs, "layer", band, 1);
    // One add fails (storage gone for a moment): the finish reads that band again.
    const failing = blobs.get;
    blobs.get = () => Promise.reject(new Error("storage gone"));
    await expect(map.add(blobs, "layer", 4, 1)).rejects.toThrow("storage gone");
    blobs.get = failing;
    expect(read.map((n) => n.split("/").pop()).sort()).toEqual(["b0", "b3", "b5"]);
    const edges = await map.gather(blobs, "layer", 1);
    expect(bandCount(grid)).toBe(6);
    expect(
      read
        .map((n) => n.split("/").pop())
        .slice(3)
        .sort(),
    ).toEqual(["b1", "b2", "b4"]);
    edges.reduce();
    const grey = edges.greyRows({ y0: 0, y1: grid.height });
    expect(Buffer.compare(Buffer.from(grey), Buffer.from(wantGrey))).toBe(0);
  });
});
