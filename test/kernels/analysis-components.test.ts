// components (kernels/src/analysis/components.ts): the same regions as OpenCV's
// connectedComponentsWithStats on the binary image luma ≥ 128, for every photograph and both
// connectivities; tiled == whole byte for byte, including regions cut by tile borders and
// diagonal contacts across tile corners; edge cases and bad params.

import {
  analyseWhole,
  type Component,
  type ComponentsParams,
  componentsOp,
  type GreyImage,
  KernelError,
  PipelineError,
} from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { expectTiledEqualsWhole, TILINGS } from "../helpers/analysis.js";
import { greyPhoto, synthetic } from "../helpers/grey-images.js";
import { photoNames, randomBytes } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { openCv } from "../helpers/opencv.js";
import { cvComponents } from "./features-opencv.js";

const params = (connectivity: 4 | 8, minArea = 1): ComponentsParams => ({ connectivity, minArea });

async function whole(image: GreyImage, p: ComponentsParams): Promise<Component[]> {
  return analyseWhole((await kernels()).analysisHeap, componentsOp, image, p).components ?? [];
}

/** Checks every tiling against the whole image, byte for byte; returns the whole result. */
async function wholeAndTiled(image: GreyImage, p: ComponentsParams, tilings = TILINGS): Promise<Component[]> {
  return expectTiledEqualsWhole((await kernels()).analysisHeap, componentsOp, image, p, tilings).components ?? [];
}

/** A square spiral path one pixel wide, arms one pixel apart: a single region crossing every tile border many times. */
function spiral(size: number): GreyImage {
  const data = new Uint8Array(size * size);
  const steps = [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ] as const;
  let [x, y] = [0, 0];
  data[0] = 255;
  // Arm lengths: n−1 three times, then each length twice, shrinking by 2.
  const lengths = [size - 1, size - 1, size - 1];
  for (let len = size - 3; len > 0; len -= 2) lengths.push(len, len);
  lengths.forEach((len, i) => {
    const [dx, dy] = steps[i % 4] as readonly [number, number];
    for (let k = 0; k < len; k++) {
      x += dx;
      y += dy;
      data[y * size + x] = 255;
    }
  });
  return { width: size, height: size, data };
}

const SYNTHETIC: GreyImage[] = [
  spiral(301),
  synthetic(200, 150, (x, y) => (x + y) % 2 === 0), // checkerboard: one region at 8, one per pixel at 4
  synthetic(333, 333, (x, y) => x === y || x === 332 - y), // two long diagonals crossing every tile corner
  synthetic(130, 130, (x, y) => (x === 63 && y === 63) || (x === 64 && y === 64)),
  synthetic(260, 90, (x, y) => (x * 7 + y * 13) % 29 < 9), // slanted stripes
  synthetic(300, 200, (x, y) => Math.hypot(x - 150, y - 100) < 90 && Math.hypot(x - 150, y - 100) > 40), // ring
  { width: 211, height: 97, data: Uint8Array.from(randomBytes(211 * 97, 7), (v) => (v < 110 ? 255 : 0)) },
];

describe("components against OpenCV connectedComponentsWithStats", () => {
  for (const name of photoNames()) {
    it(`${name}: same regions, both connectivities, tiled == whole`, async () => {
      const { cv } = await openCv();
      const image = await greyPhoto(name, 800);
      for (const connectivity of [4, 8] as const) {
        const ours = await wholeAndTiled(image, params(connectivity));
        const theirs = cvComponents(cv, image, connectivity);
        expect(ours.length, `${connectivity}-connectivity region count`).toBe(theirs.components.length);
        expect(JSON.stringify(ours), `${connectivity}-connectivity regions`).toBe(JSON.stringify(theirs.components));
        // OpenCV scans pixels for 4-connectivity: its labels are in raster order already.
        if (connectivity === 4) expect(theirs.rasterOrder).toBe(true);
      }
      const filtered = await whole(image, params(8, 25));
      expect(JSON.stringify(filtered)).toBe(JSON.stringify(cvComponents(cv, image, 8, 25).components));
    });
  }

  it("OpenCV's 8-connectivity labels are in 2×2-block order, ours in raster order", async () => {
    const { cv } = await openCv();
    // Region A starts at (5, 0), region B at (0, 1): B's 2×2 block comes first in OpenCV's scan.
    const image = synthetic(8, 4, (x, y) => (x === 5 && y === 0) || (y === 1 && x < 2));
    expect(cvComponents(cv, image, 8).rasterOrder).toBe(false);
    const ours = await whole(image, params(8));
    expect(ours.map((c) => c.bbox[0])).toEqual([5, 0]);
    expect(JSON.stringify(ours)).toBe(JSON.stringify(cvComponents(cv, image, 8).components));
  });

  SYNTHETIC.forEach((image, i) => {
    it(`synthetic ${i} (${image.width}×${image.height}): OpenCV's regions, tiled == whole`, async () => {
      const { cv } = await openCv();
      for (const connectivity of [4, 8] as const) {
        const ours = await wholeAndTiled(image, params(connectivity), [...TILINGS, [64, 37], [13, 13]]);
        expect(JSON.stringify(ours)).toBe(JSON.stringify(cvComponents(cv, image, connectivity).components));
      }
    });
  });

  it("the spiral is one region; checkerboard and diagonals split at 4-connectivity only", async () => {
    const [spiralImage, checker, diagonals, corner] = SYNTHETIC as [GreyImage, GreyImage, GreyImage, GreyImage];
    expect(await wholeAndTiled(spiralImage, params(4))).toHaveLength(1);
    expect(await wholeAndTiled(checker, params(8))).toHaveLength(1);
    expect(await wholeAndTiled(checker, params(4))).toHaveLength((200 * 150) / 2);
    expect(await wholeAndTiled(diagonals, params(8))).toHaveLength(1);
    expect(await wholeAndTiled(diagonals, params(4))).toHaveLength(333 * 2 - 1);
    // Two pixels touching only across the corner where four 64×64 tiles meet.
    const joined = await wholeAndTiled(corner, params(8));
    expect(joined).toEqual([{ area: 2, bbox: [63, 63, 2, 2], centroid: [63.5, 63.5] }]);
    expect(await wholeAndTiled(corner, params(4))).toHaveLength(2);
  });

  it("random binary images with small and odd tiles agree with OpenCV and the whole image", async () => {
    const { cv } = await openCv();
    for (let seed = 1; seed <= 12; seed++) {
      const [w, h] = [1 + ((seed * 37) % 70), 1 + ((seed * 53) % 45)];
      const density = 60 + seed * 12;
      const image = { width: w, height: h, data: Uint8Array.from(randomBytes(w * h, seed), (v) => (v < density ? 200 : 20)) };
      for (const connectivity of [4, 8] as const) {
        const ours = await wholeAndTiled(image, params(connectivity), [
          [1, 1],
          [2, 3],
          [7, 5],
          [16, 16],
          [64, 64],
        ]);
        expect(JSON.stringify(ours), `seed ${seed}, ${connectivity}`).toBe(
          JSON.stringify(cvComponents(cv, image, connectivity).components),
        );
      }
    }
  });
});

describe("components edge cases and errors", () => {
  it("1×1, all-white, all-black, single rows and columns", async () => {
    const fill = (w: number, h: number, v: number): GreyImage => ({ width: w, height: h, data: new Uint8Array(w * h).fill(v) });
    expect(await wholeAndTiled(fill(1, 1, 0), params(8))).toEqual([]);
    expect(await wholeAndTiled(fill(1, 1, 128), params(4))).toEqual([{ area: 1, bbox: [0, 0, 1, 1], centroid: [0, 0] }]);
    expect(await wholeAndTiled(fill(1, 1, 127), params(8))).toEqual([]);
    expect(await wholeAndTiled(fill(300, 200, 0), params(8))).toEqual([]);
    expect(await wholeAndTiled(fill(300, 200, 255), params(4))).toEqual([
      { area: 60000, bbox: [0, 0, 300, 200], centroid: [149.5, 99.5] },
    ]);
    expect(await wholeAndTiled(fill(300, 200, 255), params(8, 60001))).toEqual([]);
    expect(await wholeAndTiled(fill(1, 150, 255), params(8))).toHaveLength(1);
    expect(await wholeAndTiled(fill(150, 1, 255), params(8))).toHaveLength(1);
  });

  it("refuses bad params with a clear PipelineError", async () => {
    const image: GreyImage = { width: 4, height: 4, data: new Uint8Array(16) };
    const bad: [unknown, RegExp][] = [
      [{ connectivity: 6, minArea: 1 }, /connectivity must be 4 or 8.*got 6/],
      [{ connectivity: "8", minArea: 1 }, /connectivity must be 4 or 8.*got "8"/],
      [{ connectivity: 8, minArea: 0 }, /min-area must be an integer between 1 and/],
      [{ connectivity: 8, minArea: 2.5 }, /min-area must be an integer/],
      [{ connectivity: 8, minArea: Number.NaN }, /min-area must be an integer/],
      [{ connectivity: 8, area: 3 }, /unknown param "area"/],
      [null, /params must be an object/],
    ];
    const heap = (await kernels()).analysisHeap;
    for (const [p, message] of bad) {
      const run = () => analyseWhole(heap, componentsOp, image, p as ComponentsParams);
      expect(run).toThrow(PipelineError);
      expect(run).toThrow(message);
    }
    // Defaults fill in what is left out, and the pipeline spelling is taken.
    expect(analyseWhole(heap, componentsOp, image, { "min-area": 1 } as unknown as ComponentsParams)).toEqual({ components: [] });
  });

  it("refuses a malformed partial or tile instead of crashing", async () => {
    const heap = (await kernels()).analysisHeap;
    const image = { width: 10, height: 10 };
    const partial = {
      box: [0, 0, 10, 10] as [number, number, number, number],
      regions: [],
      top: [],
      bottom: [],
      left: [],
      right: [],
    };
    expect(() => componentsOp.reduce([partial], image, params(8))).toThrow(KernelError);
    expect(() => componentsOp.reduce([{ ...partial, box: [5, 5, 10, 10] }], image, params(8))).toThrow(/malformed/);
    expect(() => componentsOp.reduce([{ runs: "" } as never], image, params(8))).toThrow(/not a components partial/);
    const tile = {
      grey: new Uint8Array(5),
      width: 3,
      height: 3,
      core: { x: 0, y: 0, width: 3, height: 3 },
      origin: { x: 0, y: 0 },
    };
    expect(() => componentsOp.tile(heap, { ...tile, image }, params(8))).toThrow(/do not fit together/);
  });
});
