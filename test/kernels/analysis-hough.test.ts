// hough-lines (kernels/src/analysis/hough.ts): the same lines, in the same order and with the
// same float rho and theta, as OpenCV's standard cv.HoughLines on edge maps of every photograph
// and on synthetic lines; the votes of a plain reference accumulator; tiled == whole byte for
// byte; small partials; edge cases and bad params.

import {
  analyseWhole,
  cutTile,
  type GreyImage,
  type HoughLine,
  type HoughParams,
  type HoughPartial,
  houghLinesOp,
  KernelError,
  PipelineError,
} from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { expectTiledEqualsWhole } from "../helpers/analysis.js";
import { greyPhoto, synthetic } from "../helpers/grey-images.js";
import { loadPhoto, photoNames } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { openCv } from "../helpers/opencv.js";
import { cvCanny, cvLines } from "./features-opencv.js";

/**
 * A plain transcription of OpenCV's HoughLinesStandard (float math through Math.fround, cvRound
 * to even), written apart from the op: its votes are what OpenCV.js does not hand out.
 */
function referenceLines(image: GreyImage, p: HoughParams): HoughLine[] {
  const f = Math.fround;
  const rint = (v: number): number => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
  const rho = f(p.rho);
  const theta = f((p.theta * Math.PI) / 180);
  let numAngle = Math.floor(Math.PI / theta) + 1;
  if (numAngle > 1 && Math.abs(Math.PI - (numAngle - 1) * theta) < theta / 2) numAngle--;
  const numRho = rint(f((2 * (image.width + image.height) + 1) / rho));
  const irho = f(1 / rho);
  const tabSin: number[] = [];
  const tabCos: number[] = [];
  for (let n = 0, ang = 0; n < numAngle; n++, ang = f(ang + theta)) {
    tabSin.push(f(Math.sin(ang) * irho));
    tabCos.push(f(Math.cos(ang) * irho));
  }
  const stride = numRho + 2;
  const acc = new Int32Array((numAngle + 2) * stride);
  for (let i = 0; i < image.height; i++) {
    for (let j = 0; j < image.width; j++) {
      if (image.data[i * image.width + j] === 0) continue;
      for (let n = 0; n < numAngle; n++) {
        const r = rint(f(f(j * (tabCos[n] as number)) + f(i * (tabSin[n] as number)))) + Math.trunc((numRho - 1) / 2);
        const bin = (n + 1) * stride + r + 1;
        acc[bin] = (acc[bin] as number) + 1;
      }
    }
  }
  const peaks: number[] = [];
  for (let r = 0; r < numRho; r++) {
    for (let n = 0; n < numAngle; n++) {
      const b = (n + 1) * stride + r + 1;
      const v = acc[b] as number;
      const [l, rr, u, d] = [acc[b - 1], acc[b + 1], acc[b - stride], acc[b + stride]] as number[];
      if (v > p.threshold && v > (l as number) && v >= (rr as number) && v > (u as number) && v >= (d as number)) peaks.push(b);
    }
  }
  peaks.sort((a, b) => (acc[b] as number) - (acc[a] as number) || a - b);
  return peaks.map((b) => {
    const n = Math.floor(b / stride) - 1;
    const r = b - (n + 1) * stride - 1;
    return { rho: f(f(r - f((numRho - 1) * 0.5)) * rho), theta: f(n * theta), votes: acc[b] as number };
  });
}

/** Checks every tiling against the whole image, byte for byte; returns the whole result. */
async function wholeAndTiled(image: GreyImage, p: HoughParams): Promise<HoughLine[]> {
  return expectTiledEqualsWhole((await kernels()).analysisHeap, houghLinesOp, image, p).lines ?? [];
}

const pairs = (lines: readonly HoughLine[]): [number, number][] => lines.map((l) => [l.rho, l.theta]);

describe("hough-lines against OpenCV HoughLines", () => {
  for (const name of photoNames()) {
    it(`${name}: Canny edges, same lines for several rho/theta/threshold, tiled == whole`, async () => {
      const { cv } = await openCv();
      const edges = cvCanny(cv, await greyPhoto(name, 640), 50, 150);
      const sets: HoughParams[] = [
        { rho: 1, theta: 1, threshold: 100 },
        { rho: 2, theta: 1, threshold: 150 },
        { rho: 1.5, theta: 0.5, threshold: 80 },
        { rho: 0.7, theta: 2.5, threshold: 60 },
      ];
      for (const [i, p] of sets.entries()) {
        const ours =
          i === 0
            ? await wholeAndTiled(edges, p)
            : (analyseWhole((await kernels()).analysisHeap, houghLinesOp, edges, p).lines ?? []);
        expect(pairs(ours), JSON.stringify(p)).toEqual(cvLines(cv, edges, p));
        if (i === 0) expect(ours).toEqual(referenceLines(edges, p));
      }
    });
  }

  it("our canny op's output as input agrees too", async () => {
    const { cv } = await openCv();
    const k = await kernels();
    for (const name of ["camera.png", "coins.png"]) {
      const out = k.run(await loadPhoto(name), "canny(low=40, high=120, sigma=1.4)", { channels: 1 });
      const edges: GreyImage = { width: out.width, height: out.height, data: new Uint8Array(out.data) };
      const p = { rho: 1, theta: 1, threshold: 50 };
      const ours = await wholeAndTiled(edges, p);
      expect(ours.length).toBeGreaterThan(0);
      expect(pairs(ours)).toEqual(cvLines(cv, edges, p));
    }
  });

  it("finds known synthetic lines across tile borders, as OpenCV does", async () => {
    const { cv } = await openCv();
    const f = Math.fround;
    const deg = f(Math.PI / 180);
    const cases: [GreyImage, HoughParams, HoughLine][] = [
      [
        synthetic(200, 120, (_, y) => y === 40),
        { rho: 1, theta: 1, threshold: 150 },
        { rho: 40, theta: f(90 * deg), votes: 200 },
      ],
      [synthetic(120, 300, (x) => x === 30), { rho: 1, theta: 1, threshold: 150 }, { rho: 30, theta: 0, votes: 300 }],
      [synthetic(400, 400, (x, y) => x === y), { rho: 1, theta: 1, threshold: 150 }, { rho: 0, theta: f(135 * deg), votes: 400 }],
      // r = 2.5 → 2 (half to even): the rounding OpenCV uses.
      [synthetic(20, 200, (x) => x === 5), { rho: 2, theta: 1, threshold: 150 }, { rho: 3, theta: 0, votes: 200 }],
    ];
    for (const [image, p, top] of cases) {
      const ours = await wholeAndTiled(image, p);
      expect(ours[0]).toEqual(top);
      expect(pairs(ours)).toEqual(cvLines(cv, image, p));
      expect(ours).toEqual(referenceLines(image, p));
    }
    // A grid of lines and a long anti-diagonal over a 600×500 image.
    const grid = synthetic(600, 500, (x, y) => x % 97 === 13 || y % 111 === 50 || x + y === 560);
    const p = { rho: 1, theta: 0.5, threshold: 200 };
    const ours = await wholeAndTiled(grid, p);
    expect(pairs(ours)).toEqual(cvLines(cv, grid, p));
    expect(ours).toEqual(referenceLines(grid, p));
  });
});

describe("hough-lines partials, edge cases and errors", () => {
  it("a tile's partial is short text: a window of its own votes, never the whole accumulator", async () => {
    const { cv } = await openCv();
    const heap = (await kernels()).analysisHeap;
    const edges = cvCanny(cv, await greyPhoto("hubble_deep_field.jpg", 1000), 50, 150);
    const p = { rho: 1, theta: 1, threshold: 150 };
    const bins = 180 * (2 * (edges.width + edges.height) + 1);
    const one = houghLinesOp.tile(heap, cutTile(edges, { x: 0, y: 0, width: edges.width, height: edges.height }, 0), p);
    expect(typeof one.runs).toBe("string");
    expect(one.runs.length).toBeLessThan(bins / 2);
    // A 100×100 tile reaches at most ~143 rho bins per angle; most votes take one character.
    const part = houghLinesOp.tile(heap, cutTile(edges, { x: 300, y: 300, width: 100, height: 100 }, 0), p);
    expect(part.runs.length).toBeGreaterThan(0);
    expect(part.runs.length).toBeLessThan(180 * 143);
    expect(JSON.parse(JSON.stringify(part))).toEqual(part);
    expect(JSON.stringify(part).length).toBe(part.runs.length + 11); // no character needs escaping
    expect(structuredClone(part)).toEqual(part);
  });

  it("1×1, all-black, all-white and thresholds above every vote", async () => {
    const { cv } = await openCv();
    const fill = (w: number, h: number, v: number): GreyImage => ({ width: w, height: h, data: new Uint8Array(w * h).fill(v) });
    const p = { rho: 1, theta: 1, threshold: 1 };
    expect(await wholeAndTiled(fill(1, 1, 0), p)).toEqual([]);
    expect(await wholeAndTiled(fill(1, 1, 255), p)).toEqual([]);
    expect(await wholeAndTiled(fill(300, 200, 0), p)).toEqual([]);
    const white = fill(130, 70, 7);
    const q = { rho: 1, theta: 3, threshold: 60 };
    const lines = await wholeAndTiled(white, q);
    expect(lines.length).toBeGreaterThan(0);
    expect(pairs(lines)).toEqual(cvLines(cv, white, q));
    expect(await wholeAndTiled(white, { rho: 1, theta: 1, threshold: 1_000_000 })).toEqual([]);
  });

  it("refuses bad params with a clear PipelineError, and a huge accumulator with IMAGE_TOO_LARGE", async () => {
    const heap = (await kernels()).analysisHeap;
    const image: GreyImage = { width: 4, height: 4, data: new Uint8Array(16) };
    const bad: [unknown, RegExp][] = [
      [{ rho: 0, theta: 1, threshold: 10 }, /rho must be a number between 0.1 and 100.*got 0/],
      [{ rho: 1, theta: 0, threshold: 10 }, /theta must be a number between 0.01 and 180/],
      [{ rho: 1, theta: 181, threshold: 10 }, /theta must be/],
      [{ rho: 1, theta: 1, threshold: 2.5 }, /threshold must be an integer/],
      [{ rho: 1, theta: 1, threshold: 0 }, /threshold must be an integer between 1/],
      [{ rho: "1", theta: 1, threshold: 10 }, /rho must be a number.*got "1"/],
      [{ rho: 1, theta: 1, threshold: 10, angle: 3 }, /unknown param "angle"/],
    ];
    for (const [p, message] of bad) {
      const run = () => analyseWhole(heap, houghLinesOp, image, p as HoughParams);
      expect(run).toThrow(PipelineError);
      expect(run).toThrow(message);
    }
    const big: GreyImage = { width: 20000, height: 1, data: new Uint8Array(20000) };
    expect(() => analyseWhole(heap, houghLinesOp, big, { rho: 0.1, theta: 0.01, threshold: 10 })).toThrow(/accumulator bins/);
    const reduce = (runs: unknown) => () =>
      houghLinesOp.reduce([{ runs } as HoughPartial], image, { rho: 1, theta: 1, threshold: 1 });
    expect(reduce("0N511111")).toThrow(KernelError); // bins 29..33, past the last (17)
    expect(reduce("WO111")).toThrow(/malformed/); // angle 999 (7 + 31·32)
    expect(reduce("01\\1")).toThrow(/malformed/); // a backslash is never written
    expect(reduce("012")).toThrow(/malformed/); // cut short
    expect(reduce([0, 1, 1, 1])).toThrow(/not text/);
    expect(houghLinesOp.reduce([{ runs: "" }], image, { rho: 1, theta: 1, threshold: 1 })).toEqual({ lines: [] });
  });
});
