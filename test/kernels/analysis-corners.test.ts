// corners (kernels/src/analysis/corners.ts): OpenCV's goodFeaturesToTrack (Shi-Tomasi and
// Harris) on a grey version of every photograph: the same points, responses equal to
// cornerMinEigenVal / cornerHarris there; the selection rules (max, min-distance); tiled ==
// whole byte for byte; tiny, flat and noise images; bad params.

import {
  analyseTiled,
  analyseWhole,
  CORNERS_DEFAULTS,
  type CornersParams,
  cornersOp,
  cornersParams,
  type GreyImage,
  type Keypoint,
  PipelineError,
} from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { analysisHeap, expectParamErrors, expectTiledEqualsWhole, wholeKeypoints, wholeTile } from "../helpers/analysis.js";
import { greyPhoto, noise } from "../helpers/grey-images.js";
import { openCv } from "../helpers/opencv.js";
import { cvCorners, cvResponse, onEveryPhoto } from "./features-opencv.js";

const ours = (image: GreyImage, p: CornersParams): Promise<Keypoint[]> => wholeKeypoints(cornersOp, image, p);
const params = (over: Partial<CornersParams> = {}): CornersParams => ({ ...CORNERS_DEFAULTS, ...over });

/** Fraction of `a` with a point of `b` within 1 px (Chebyshev), and how many are the same point. */
function agreement(a: readonly (readonly [number, number])[], b: readonly (readonly [number, number])[]) {
  const at = new Set(b.map(([x, y]) => `${x},${y}`));
  let near = 0;
  let same = 0;
  for (const [x, y] of a) {
    if (at.has(`${x},${y}`)) same++;
    let found = false;
    for (let dy = -1; dy <= 1 && !found; dy++) for (let dx = -1; dx <= 1 && !found; dx++) found = at.has(`${x + dx},${y + dy}`);
    if (found) near++;
  }
  return { near: a.length === 0 ? 1 : near / a.length, same };
}

const SETTINGS: CornersParams[] = [
  params(),
  params({ method: "harris" }),
  params({ max: 5000, minDistance: 3, block: 5, quality: 0.005 }),
  params({ method: "harris", max: 300, minDistance: 0, block: 4, k: 0.06 }),
];
const label = (p: CornersParams) => `${p.method} max=${p.max} q=${p.quality} d=${p.minDistance} block=${p.block}`;

describe("corners against OpenCV's goodFeaturesToTrack", () => {
  it("finds OpenCV's points (≥ 99 % within 1 px both ways) with OpenCV's responses, on every photo", async () => {
    const rows = await onEveryPhoto(SETTINGS, " | ", async (cv, image, p, name) => {
      const want = cvCorners(cv, image, p);
      const got = await ours(image, p);
      const mine = got.map((k) => [k.x, k.y] as const);
      const ab = agreement(mine, want);
      const ba = agreement(want, mine);
      expect(ab.near, `${name} ${label(p)}: ours near OpenCV's`).toBeGreaterThanOrEqual(0.99);
      expect(ba.near, `${name} ${label(p)}: OpenCV's near ours`).toBeGreaterThanOrEqual(0.99);
      const response = cvResponse(cv, image, p);
      const sameResponse = got.filter((k) => response[k.y * image.width + k.x] === k.response).length;
      expect(sameResponse / Math.max(1, got.length), `${name} ${label(p)}: responses`).toBeGreaterThanOrEqual(0.99);
      expect(got.length).toBeLessThanOrEqual(p.max);
      return `${ab.same} same of ${got.length} / ${want.length}, ${sameResponse} equal responses`;
    });
    expect(rows.length).toBeGreaterThanOrEqual(9);
    console.info(`corners vs OpenCV (${SETTINGS.map(label).join(" | ")}):\n${rows.join("\n")}`);
  });

  it("matches on noise and on images of 1..8 pixels a side", async () => {
    const { cv } = await openCv();
    const images = [
      noise(120, 90, 3),
      noise(1, 1, 4),
      noise(2, 2, 5),
      noise(3, 3, 6),
      noise(8, 5, 7),
      noise(1, 30, 8),
      noise(30, 2, 9),
    ];
    for (const image of images) {
      for (const p of SETTINGS) {
        const want = cvCorners(cv, image, p).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
        const got = (await ours(image, p)).map((k) => [k.x, k.y]);
        expect(got, `${image.width}×${image.height} ${label(p)}`).toEqual(want);
      }
    }
  });
});

describe("corners selection rules", () => {
  it("keeps at most max corners, none closer than min-distance, sorted by y then x, size = block", async () => {
    const image = await greyPhoto("coffee.png");
    for (const p of [params({ max: 50, minDistance: 25 }), params({ max: 2000, minDistance: 4.5, method: "harris", block: 7 })]) {
      const got = await ours(image, p);
      expect(got.length).toBeGreaterThan(40);
      expect(got.length).toBeLessThanOrEqual(p.max);
      for (let i = 0; i < got.length; i++) {
        const a = got[i] as Keypoint;
        expect(a.size).toBe(p.block);
        expect(a.angle).toBe(-1);
        expect(a.response).toBeGreaterThan(0);
        const b = got[i + 1];
        if (b) expect(a.y < b.y || (a.y === b.y && a.x < b.x)).toBe(true);
        for (let j = i + 1; j < got.length; j++) {
          const c = got[j] as Keypoint;
          expect(Math.hypot(a.x - c.x, a.y - c.y)).toBeGreaterThanOrEqual(p.minDistance);
        }
      }
    }
  });
});

describe("corners tiled == whole", () => {
  // 64², 100², 257² and 160 × 96 (wide, where the other ops' tests take 96 × 160).
  const TILES = [...[64, 100, 257].map((s): [number, number] => [s, s]), [160, 96] as [number, number]];

  it("gives the same JSON for every tile size, with corners near the tile borders", async () => {
    const h = await analysisHeap();
    const images = [
      await greyPhoto("astronaut.png"),
      await greyPhoto("page.png"),
      await greyPhoto("rocket.jpg", 400),
      noise(150, 97, 2),
    ];
    let nearBorders = 0;
    for (const image of images) {
      for (const p of [
        params(),
        params({ method: "harris", block: 6, minDistance: 2, max: 3000 }),
        params({ minDistance: 0.5, max: 400 }),
      ]) {
        const whole = expectTiledEqualsWhole(h, cornersOp, image, p, TILES, label(p));
        const near = (v: number) => v % 64 <= 2 || v % 64 >= 61;
        nearBorders += (whole.keypoints ?? []).filter((k) => near(k.x) || near(k.y)).length;
      }
    }
    expect(nearBorders).toBeGreaterThan(100);
  });

  it("keeps partials plain data that survive JSON", async () => {
    const h = await analysisHeap();
    const image = await greyPhoto("coins.png");
    const partial = cornersOp.tile(h, wholeTile(image), CORNERS_DEFAULTS);
    expect(JSON.parse(JSON.stringify(partial))).toEqual(partial);
    expect(cornersOp.reduce([JSON.parse(JSON.stringify(partial))], image, CORNERS_DEFAULTS)).toEqual(
      analyseWhole(h, cornersOp, image, CORNERS_DEFAULTS),
    );
  });
});

describe("corners edge cases and params", () => {
  it("finds nothing, without failing, on flat images and on 1-pixel-wide ones", async () => {
    for (const value of [0, 128, 255]) {
      const flat = { width: 70, height: 40, data: new Uint8Array(70 * 40).fill(value) };
      for (const method of ["shi-tomasi", "harris"] as const) {
        expect(await ours(flat, params({ method }))).toEqual([]);
        expect(analyseTiled(await analysisHeap(), cornersOp, flat, params({ method }), 64).keypoints).toEqual([]);
      }
    }
    expect(await ours(noise(1, 50, 3), params())).toEqual([]);
    expect(await ours(noise(50, 2, 3), params())).toEqual([]);
  });

  it("fills defaults and reads pipeline names", () => {
    expect(cornersParams()).toEqual(CORNERS_DEFAULTS);
    expect(cornersParams({ "min-distance": 4, method: "harris", k: 0.05, max: 10 })).toEqual(
      params({ minDistance: 4, method: "harris", k: 0.05, max: 10 }),
    );
  });

  it("refuses bad params with a PipelineError naming the param and the allowed values", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ max: 0 }, "max", /max must be an integer between 1 and 100000 \(default 1000\), got 0/],
      [{ max: 1.5 }, "max", /integer/],
      [{ quality: 0 }, "quality", /quality must be a number between 0.0001 and 1/],
      [{ quality: 2 }, "quality", /got 2/],
      [{ "min-distance": -1 }, "min-distance", /min-distance must be a number between 0 and 1000/],
      [{ block: 1 }, "block", /block must be an integer between 2 and 31/],
      [{ block: 32 }, "block", /got 32/],
      [{ method: "fast" }, "method", /method must be "shi-tomasi" or "harris" \(default "shi-tomasi"\), got "fast"/],
      [{ k: Number.POSITIVE_INFINITY }, "k", /k must be a number/],
      [{ minDistance: 3 }, "minDistance", /unknown param "minDistance"; corners takes max, quality, min-distance/],
    ];
    expectParamErrors(cornersParams, cases);
    const h = await analysisHeap();
    const image = noise(32, 32, 1);
    expect(() => analyseWhole(h, cornersOp, image, params({ block: 0 }))).toThrow(/block/);
    expect(() => cornersOp.halo(params({ quality: -1 }))).toThrow(PipelineError);
    expect(() => cornersOp.reduce([], image, params({ method: "fast" as "harris" }))).toThrow(/method/);
    const short = { ...wholeTile(image), grey: image.data.subarray(0, 100) };
    expect(() => cornersOp.tile(h, short, CORNERS_DEFAULTS)).toThrow(/do not fit together/);
  });
});
