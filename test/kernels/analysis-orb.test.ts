// orb (kernels/src/analysis/orb.ts): the keypoints of OpenCV's cv.ORB (defaults, nfeatures =
// max) on grey versions of every photograph, with the same size and angle; tiled == whole byte
// for byte; steered descriptors that follow a rotation of the image; the sampling pattern's
// promises; partials that survive JSON; edge cases and bad params.

import {
  analyseTiled,
  analyseWhole,
  cutTile,
  type GreyImage,
  type Keypoint,
  type OrbPartial,
  orbOp,
  orbParams,
  orbPattern,
  PipelineError,
} from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { greyPhoto, noise as seededNoise } from "../helpers/grey-images.js";
import { photoNames } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { openCv } from "../helpers/opencv.js";
import { cvOrb } from "./features-opencv.js";

/** A photograph made grey (R = G = B = its red channel, so luma is R), big ones fitted into 512². */
const redPhoto = (name: string): Promise<GreyImage> => greyPhoto(name, 512, "red");

const angleGap = (a: number, b: number): number => {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
};

/** The share of `from` with a keypoint of `to` within 1 px whose size and angle agree. */
function agreement(from: readonly Keypoint[], to: readonly Keypoint[]): number {
  if (from.length === 0) return 1;
  let hits = 0;
  for (const a of from) {
    const near = to.some(
      (b) =>
        Math.hypot(a.x - b.x, a.y - b.y) <= 1 && Math.abs(a.size - b.size) <= 1e-3 * a.size && angleGap(a.angle, b.angle) <= 1,
    );
    if (near) hits++;
  }
  return hits / from.length;
}

const hamming = (a: string, b: string): number => {
  const x = Buffer.from(a, "base64");
  const y = Buffer.from(b, "base64");
  let bits = 0;
  for (let i = 0; i < 32; i++) for (let v = (x[i] ?? 0) ^ (y[i] ?? 0); v; v &= v - 1) bits++;
  return bits;
};

describe("orb against OpenCV's cv.ORB", () => {
  it("finds OpenCV's keypoints, sizes and angles on every photograph (≥ 90 % within 1 px both ways)", async () => {
    const { cv } = await openCv();
    const heap = (await kernels()).analysisHeap;
    const rows: string[] = [];
    for (const name of photoNames()) {
      const image = await redPhoto(name);
      const ours = analyseWhole(heap, orbOp, image, { max: 500 }).keypoints ?? [];
      const theirs = cvOrb(cv, image, 500).map((k) => ({
        x: k.pt.x,
        y: k.pt.y,
        size: k.size,
        angle: k.angle,
        response: k.response,
      }));
      const ourShare = agreement(ours, theirs);
      const theirShare = agreement(theirs, ours);
      rows.push(
        `${name} ${image.width}×${image.height}: ${theirs.length} / ${ours.length}, ${(100 * theirShare).toFixed(1)} % / ${(100 * ourShare).toFixed(1)} %`,
      );
      expect(theirShare, name).toBeGreaterThanOrEqual(0.9);
      expect(ourShare, name).toBeGreaterThanOrEqual(0.9);
      expect(Math.abs(ours.length - theirs.length), name).toBeLessThanOrEqual(Math.ceil(0.1 * theirs.length));
    }
    console.log(`orb vs cv.ORB (OpenCV / ours, OpenCV's found by us / ours found by OpenCV):\n${rows.join("\n")}`);
  }, 40_000);

  it("reports OpenCV's Harris responses and positions exactly (same algorithm, same arithmetic)", async () => {
    const { cv } = await openCv();
    const heap = (await kernels()).analysisHeap;
    const image = await redPhoto("camera.png");
    const ours = analyseWhole(heap, orbOp, image, { max: 300 }).keypoints ?? [];
    const theirs = new Map(cvOrb(cv, image, 300).map((k) => [`${k.pt.x},${k.pt.y},${k.size}`, k]));
    expect(ours.length).toBe(theirs.size);
    for (const k of ours) expect(theirs.get(`${k.x},${k.y},${k.size}`)?.response, `${k.x},${k.y}`).toBe(k.response);
  });
});

describe("orb keypoints and descriptors", () => {
  it("gives every keypoint a 32-byte descriptor and sorts by y, x, size", async () => {
    const heap = (await kernels()).analysisHeap;
    const ours = analyseWhole(heap, orbOp, await redPhoto("coffee.png"), { max: 500 }).keypoints ?? [];
    expect(ours.length).toBeGreaterThan(400);
    for (const k of ours) {
      expect(Buffer.from(k.descriptor ?? "", "base64").length).toBe(32);
      expect(k.angle).toBeGreaterThanOrEqual(0);
      expect(k.angle).toBeLessThan(360);
    }
    const sorted = [...ours].sort((a, b) => a.y - b.y || a.x - b.x || a.size - b.size);
    expect(ours).toEqual(sorted);
  });

  it("steers the descriptor: rotating the image by 90° turns angles by 90° and keeps the bits", async () => {
    const heap = (await kernels()).analysisHeap;
    const image = await redPhoto("astronaut.png");
    const { width: W, height: H } = image;
    // Clockwise: old (x, y) lands on (H − 1 − y, x).
    const turned = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) turned[x * H + (H - 1 - y)] = image.data[y * W + x] ?? 0;
    const before = (analyseWhole(heap, orbOp, image, { max: 500 }).keypoints ?? []).filter((k) => k.size === 31);
    const after = analyseWhole(heap, orbOp, { width: H, height: W, data: turned }, { max: 500 }).keypoints ?? [];
    const at = new Map(after.filter((k) => k.size === 31).map((k) => [`${k.x},${k.y}`, k]));
    const distances: number[] = [];
    for (const k of before) {
      const t = at.get(`${H - 1 - k.y},${k.x}`);
      if (!t) continue;
      expect(angleGap(t.angle, k.angle + 90)).toBeLessThan(0.01);
      distances.push(hamming(k.descriptor ?? "", t.descriptor ?? ""));
    }
    expect(distances.length).toBeGreaterThan(0.9 * before.length);
    distances.sort((a, b) => a - b);
    expect(distances[Math.floor(distances.length / 2)]).toBeLessThanOrEqual(8);
    // Unrelated keypoints differ in about half their bits: the bits carry information.
    const unrelated = before.slice(1).map((k, i) => hamming(k.descriptor ?? "", before[i]?.descriptor ?? ""));
    expect(unrelated.reduce((s, d) => s + d, 0) / unrelated.length).toBeGreaterThan(80);
  });

  it("samples its own fixed pattern: 256 distinct pairs of distinct points within 15 of the centre", () => {
    const points = orbPattern();
    expect(points.length).toBe(1024);
    expect(orbPattern()).toBe(points); // drawn once
    const pairs = new Set<string>();
    for (let i = 0; i < 1024; i += 4) {
      const [x0, y0, x1, y1] = [points[i] ?? 0, points[i + 1] ?? 0, points[i + 2] ?? 0, points[i + 3] ?? 0];
      expect(x0 * x0 + y0 * y0).toBeLessThanOrEqual(225);
      expect(x1 * x1 + y1 * y1).toBeLessThanOrEqual(225);
      expect(x0 === x1 && y0 === y1).toBe(false);
      pairs.add([x0, y0, x1, y1].join());
    }
    expect(pairs.size).toBe(256);
  });
});

describe("orb tiles", () => {
  it("tiled == whole, byte for byte, for tiles of 64, 100, 257 and 90 × 41", async () => {
    const heap = (await kernels()).analysisHeap;
    for (const [name, max] of [
      ["camera.png", 500],
      ["hubble_deep_field.jpg", 120],
    ] as const) {
      const image = await redPhoto(name);
      const whole = JSON.stringify(analyseWhole(heap, orbOp, image, { max }));
      expect(whole.length).toBeGreaterThan(1000);
      for (const [tw, th] of [
        [64, 64],
        [100, 100],
        [257, 257],
        [90, 41],
      ] as const) {
        expect(JSON.stringify(analyseTiled(heap, orbOp, image, { max }, tw, th)), `${name} ${tw}×${th}`).toBe(whole);
      }
    }
  });

  it("reduces partials that went through JSON (another machine) to the same answer", async () => {
    const heap = (await kernels()).analysisHeap;
    const image = await redPhoto("coins.png");
    const params = { max: 200 };
    const partials: OrbPartial[] = [];
    for (const core of [
      { x: 0, y: 0, width: 200, height: image.height },
      { x: 200, y: 0, width: image.width - 200, height: image.height },
    ]) {
      partials.push(JSON.parse(JSON.stringify(orbOp.tile(heap, cutTile(image, core, orbOp.halo(params)), params))));
    }
    expect(JSON.stringify(orbOp.reduce(partials, image, params))).toBe(JSON.stringify(analyseWhole(heap, orbOp, image, params)));
  });
});

describe("orb edge cases and params", () => {
  it("finds nothing where OpenCV finds nothing: tiny, flat and thin images", async () => {
    const heap = (await kernels()).analysisHeap;
    const { cv } = await openCv();
    const noise = (w: number, h: number): GreyImage => seededNoise(w, h, w + h);
    // OpenCV asserts on 1 × 1 (its level 1 would be 0 × 0); we answer no keypoints.
    expect(analyseWhole(heap, orbOp, noise(1, 1), { max: 500 }).keypoints).toEqual([]);
    for (const image of [noise(62, 200), noise(200, 62), { width: 90, height: 90, data: new Uint8Array(8100).fill(9) }]) {
      expect(analyseWhole(heap, orbOp, image, { max: 500 }).keypoints).toEqual([]);
      expect(cvOrb(cv, image, 500)).toEqual([]);
    }
    // Just big enough for a few levels: the same keypoints as OpenCV.
    for (const image of [noise(90, 90), noise(63, 64), noise(120, 75)]) {
      const ours = analyseWhole(heap, orbOp, image, { max: 500 }).keypoints ?? [];
      const theirs = cvOrb(cv, image, 500).map((k) => `${k.pt.x},${k.pt.y},${k.size}`);
      expect(ours.map((k) => `${k.x},${k.y},${k.size}`).sort()).toEqual(theirs.sort());
    }
  });

  it("validates max with a PipelineError naming it", () => {
    expect(orbParams()).toEqual({ max: 500 });
    expect(orbParams({ max: 1000 })).toEqual({ max: 1000 });
    for (const bad of [0, 100_001, 2.5, "many", Number.NaN]) {
      expect(() => orbParams({ max: bad }), String(bad)).toThrow(PipelineError);
      expect(() => orbParams({ max: bad })).toThrow(/orb: max must be an integer between 1 and 100000/);
    }
    expect(() => orbParams({ levels: 4 })).toThrow(/unknown param "levels"; orb takes max/);
    expect(() => orbOp.halo({ max: -1 })).toThrow(PipelineError);
  });
});
