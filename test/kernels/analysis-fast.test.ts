// fast (kernels/src/analysis/fast.ts): exactly the keypoints and responses of OpenCV's
// FastFeatureDetector (TYPE_9_16) on a grey version of every photograph, with and without
// non-maximum suppression; tiled == whole byte for byte, corners on tile borders included;
// tiny, flat and noise images; bad params.

import {
  analyseTiled,
  analyseWhole,
  FAST_DEFAULTS,
  type FastParams,
  fastOp,
  fastParams,
  type GreyImage,
  type Keypoint,
  PipelineError,
} from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { analysisHeap, expectParamErrors, expectTiledEqualsWhole, wholeKeypoints, wholeTile } from "../helpers/analysis.js";
import { greyPhoto, noise } from "../helpers/grey-images.js";
import { openCv } from "../helpers/opencv.js";
import { cvFast, onEveryPhoto } from "./features-opencv.js";

const ours = (image: GreyImage, p: FastParams): Promise<Keypoint[]> => wholeKeypoints(fastOp, image, p);

const SETTINGS: FastParams[] = [
  { threshold: 20, nonmax: true },
  { threshold: 20, nonmax: false },
  { threshold: 8, nonmax: true },
  { threshold: 45, nonmax: false },
];

describe("fast against OpenCV's FastFeatureDetector", () => {
  it("finds exactly OpenCV's keypoints and responses on a grey version of every photo", async () => {
    const rows = await onEveryPhoto(SETTINGS, " / ", async (cv, image, p, name) => {
      const want = cvFast(cv, image, p);
      expect(JSON.stringify(await ours(image, p)), `${name} ${JSON.stringify(p)}`).toBe(JSON.stringify(want));
      return `${want.length}`;
    });
    expect(rows.length).toBeGreaterThanOrEqual(9);
    console.info(
      `fast vs OpenCV, keypoints, all identical (${SETTINGS.map((p) => `t=${p.threshold} nonmax=${p.nonmax}`).join(" / ")}):\n${rows.join("\n")}`,
    );
  });

  it("matches on noise, where most pixels are corners, and on 7×7 .. 40×9 images", async () => {
    const { cv } = await openCv();
    const images = [noise(300, 200, 3), noise(7, 7, 4), noise(8, 7, 5), noise(40, 9, 6), noise(17, 33, 7)];
    for (const image of images) {
      for (const p of [...SETTINGS, { threshold: 1, nonmax: true }]) {
        const want = cvFast(cv, image, p);
        expect(JSON.stringify(await ours(image, p)), `${image.width}×${image.height} ${JSON.stringify(p)}`).toBe(
          JSON.stringify(want),
        );
      }
    }
    expect((await ours(images[0] as GreyImage, { threshold: 20, nonmax: false })).length).toBeGreaterThan(5000);
  });

  it("reports OpenCV's keypoint shape: size 7, angle −1, response 0 without nonmax", async () => {
    const image = await greyPhoto("camera.png");
    const scored = await ours(image, { threshold: 20, nonmax: true });
    expect(scored.length).toBeGreaterThan(100);
    for (const k of scored) {
      expect(Object.keys(k)).toEqual(["x", "y", "response", "size", "angle"]);
      expect(k.size).toBe(7);
      expect(k.angle).toBe(-1);
      expect(k.response).toBeGreaterThanOrEqual(20);
    }
    expect((await ours(image, { threshold: 20, nonmax: false })).every((k) => k.response === 0)).toBe(true);
  });
});

describe("fast tiled == whole", () => {
  it("gives the same JSON for every tile size, with corners on the tile borders", async () => {
    const h = await analysisHeap();
    const images = [
      await greyPhoto("astronaut.png"),
      await greyPhoto("coins.png"),
      await greyPhoto("page.png"),
      noise(203, 131, 9),
    ];
    let onBorders = 0;
    for (const image of images) {
      for (const p of [
        { threshold: 20, nonmax: true },
        { threshold: 12, nonmax: false },
      ]) {
        // Every tiling of TILINGS: 64², 100², 257² and 96 × 160.
        const whole = expectTiledEqualsWhole(h, fastOp, image, p, undefined, JSON.stringify(p));
        // Corners within the suppression reach of a 64-pixel tile's edge: the halo mattered.
        onBorders += (whole.keypoints ?? []).filter(
          (k) => k.x % 64 <= 1 || k.x % 64 >= 62 || k.y % 64 <= 1 || k.y % 64 >= 62,
        ).length;
      }
    }
    expect(onBorders).toBeGreaterThan(100);
  });
});

describe("fast edge cases and params", () => {
  it("finds nothing, without failing, on images under 7×7 and on flat images", async () => {
    for (const [w, h] of [
      [1, 1],
      [6, 6],
      [6, 40],
      [40, 6],
      [3, 100],
    ] as const) {
      expect(await ours(noise(w, h, w * 100 + h), { threshold: 1, nonmax: false })).toEqual([]);
    }
    for (const value of [0, 77, 255]) {
      const flat = { width: 64, height: 48, data: new Uint8Array(64 * 48).fill(value) };
      expect(await ours(flat, { threshold: 1, nonmax: false })).toEqual([]);
      expect(analyseTiled(await analysisHeap(), fastOp, flat, FAST_DEFAULTS, 64).keypoints).toEqual([]);
    }
  });

  it("fills defaults and converts pipeline text values", () => {
    expect(fastParams()).toEqual({ threshold: 20, nonmax: true });
    expect(fastParams({ threshold: 35, nonmax: "false" })).toEqual({ threshold: 35, nonmax: false });
    expect(fastParams({ nonmax: true })).toEqual({ threshold: 20, nonmax: true });
  });

  it("refuses bad params with a PipelineError naming the param and the allowed values", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ threshold: 0 }, "threshold", /threshold must be an integer between 1 and 255.*got 0/],
      [{ threshold: 256 }, "threshold", /between 1 and 255/],
      [{ threshold: 2.5 }, "threshold", /integer/],
      [{ threshold: "10" }, "threshold", /got "10"/],
      [{ threshold: Number.NaN }, "threshold", /got NaN/],
      [{ nonmax: "maybe" }, "nonmax", /nonmax must be true or false/],
      [{ radius: 3 }, "radius", /unknown param "radius"; fast takes threshold, nonmax/],
    ];
    expectParamErrors(fastParams, cases);
    const image = noise(32, 32, 1);
    const h = await analysisHeap();
    const bad = { threshold: -1, nonmax: true } as FastParams;
    expect(() => analyseWhole(h, fastOp, image, bad)).toThrow(PipelineError);
    expect(() => fastOp.halo(bad)).toThrow(/threshold/);
    expect(() => fastOp.tile(h, { ...wholeTile(image) }, { threshold: 20, nonmax: 1 as unknown as boolean })).toThrow(/nonmax/);
    // A window that does not hold its core is the caller's bug, reported as such.
    const torn = { ...wholeTile(image), core: { x: 20, y: 0, width: 20, height: 32 } };
    expect(() => fastOp.tile(h, torn, FAST_DEFAULTS)).toThrow(/INVALID_IMAGE|do not fit together/);
  });
});
