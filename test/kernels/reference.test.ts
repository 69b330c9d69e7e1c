// Correctness contract §1: every kernel agrees with a plain float64 implementation of its
// definition (reference.ts), on every photograph in test/fixtures/images and on the synthetic edge
// cases. Float ops within ±1; integer ops (exact arithmetic in the definition) byte for byte.
// Median and canny have their own suites.
//
// Photos are full size for every op's defaults; the other params run on copies resized to fit
// 256×256 (128×128 for the widest kernels), which keeps the suite fast on two cores without
// losing a code path (the resized widths are still not all multiples of 4, and the synthetic
// images cover the rest: 1×1, 1×N, N×1, widths around the vector width, constant, transparent,
// and a ramp holding every byte value in every channel).
//
// TESSERA_REFERENCE_REPORT=1 prints the largest difference measured for every case.

import { createRequire } from "node:module";
import { type Kernels, ops } from "@tessera/kernels";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compare, describe as describeDiff, edgeCaseImages, loadPhoto, photoNames, type TestImage } from "../helpers/images.ts";
import { kernels } from "../helpers/kernels.ts";
import { equalizeTable, histogram, lumaBin, otsuLevel, type RefParams, reference } from "./reference.ts";

type Size = "full" | 256 | 128;

interface Case {
  op: string;
  params: RefParams;
  /** Largest allowed per-byte difference: 0 for integer definitions, 1 for float ones. */
  tolerance: 0 | 1;
  /** Photo size: full for defaults; fit inside 256×256 (or 128×128 for the widest kernels) for costly extra params. */
  size: Size;
}

const c = (op: string, params: RefParams, tolerance: 0 | 1, size: Size = "full"): Case => ({ op, params, tolerance, size });

const EXACT = 0;
const FLOAT = 1;

const kernel3 = {
  binomial: [1, 2, 1, 2, 4, 2, 1, 2, 1], // sum 16: divisor 16 by default
  edges: [-1, -1, -1, -1, 8, -1, -1, -1, -1], // sum 0: divisor 1 by default
  emboss: [-2, -1, 0, -1, 1, 1, 0, 1, 2], // asymmetric: catches a flipped kernel
  ones: [1, 1, 1, 1, 1, 1, 1, 1, 1],
};
/** A real-valued, asymmetric 5×5 kernel with negative weights. */
const kernel5 = Array.from({ length: 25 }, (_, i) => Math.round(Math.sin(i * 1.7 + 0.3) * 1000) / 1000 + (i === 12 ? 4 : 0));
/** A 9×9 gaussian-ish kernel in real numbers, sum ≠ 1. */
const kernel9 = Array.from({ length: 81 }, (_, i) => {
  const x = (i % 9) - 4;
  const y = Math.floor(i / 9) - 4;
  return Math.round(Math.exp(-(x * x + y * y) / 8) * 1000) / 997;
});

const CASES: Case[] = [
  c("box-blur", {}, EXACT),
  c("box-blur", { radius: 2 }, EXACT, 256),
  c("box-blur", { radius: 7 }, EXACT, 256),
  c("box-blur", { radius: 64 }, EXACT, 128),

  c("gaussian-blur", {}, FLOAT),
  c("gaussian-blur", { sigma: 0.3 }, FLOAT, 256),
  c("gaussian-blur", { sigma: 2.5 }, FLOAT, 256),
  c("gaussian-blur", { sigma: 8 }, FLOAT, 256),
  c("gaussian-blur", { sigma: 50 }, FLOAT, 128),

  c("sharpen", {}, FLOAT),
  c("sharpen", { sigma: 2, amount: 3 }, FLOAT, 256),
  c("sharpen", { sigma: 0.5, amount: 10 }, FLOAT, 256),
  c("sharpen", { sigma: 1, amount: 0 }, FLOAT, 256),

  c("convolve", {}, EXACT),
  c("convolve", { kernel: kernel3.binomial }, EXACT, 256),
  c("convolve", { kernel: kernel3.edges, offset: 128 }, EXACT, 256),
  c("convolve", { kernel: kernel3.emboss }, EXACT, 256),
  c("convolve", { kernel: kernel3.ones, divisor: 10, offset: 5 }, EXACT, 256),
  c("convolve", { kernel: kernel5, divisor: 3.5, offset: -20 }, FLOAT, 256),
  c("convolve", { kernel: kernel9 }, FLOAT, 256),

  c("sobel", {}, FLOAT),
  c("prewitt", {}, FLOAT),
  c("scharr", {}, FLOAT),
  c("laplacian", {}, FLOAT),

  c("grayscale", {}, EXACT),
  c("grayscale", { mode: "rec601" }, EXACT, 256),
  c("grayscale", { mode: "average" }, EXACT, 256),

  c("invert", {}, EXACT),

  c("brightness", {}, EXACT),
  c("brightness", { delta: 50 }, EXACT, 256),
  c("brightness", { delta: -100 }, EXACT, 256),
  c("brightness", { delta: 255 }, EXACT, 256),

  c("contrast", {}, FLOAT),
  c("contrast", { factor: 0 }, FLOAT, 256),
  c("contrast", { factor: 0.5 }, FLOAT, 256),
  c("contrast", { factor: 2.5 }, FLOAT, 256),

  c("gamma", {}, FLOAT),
  c("gamma", { gamma: 2.2 }, FLOAT, 256),
  c("gamma", { gamma: 0.45 }, FLOAT, 256),
  c("gamma", { gamma: 10 }, FLOAT, 256),

  c("saturation", {}, FLOAT),
  c("saturation", { factor: 0 }, FLOAT, 256),
  c("saturation", { factor: 2 }, FLOAT, 256),
  c("saturation", { factor: 4 }, FLOAT, 256),

  c("hue-rotate", {}, FLOAT),
  c("hue-rotate", { degrees: 90 }, FLOAT, 256),
  c("hue-rotate", { degrees: -180 }, FLOAT, 256),
  c("hue-rotate", { degrees: 33.3 }, FLOAT, 256),

  c("sepia", {}, FLOAT),
  c("sepia", { amount: 0 }, FLOAT, 256),
  c("sepia", { amount: 0.5 }, FLOAT, 256),

  c("threshold", {}, EXACT),
  c("threshold", { value: 0 }, EXACT, 256),
  c("threshold", { value: 255 }, EXACT, 256),
  c("threshold", { value: 64.5 }, EXACT, 256),

  c("posterize", {}, EXACT),
  c("posterize", { levels: 2 }, EXACT, 256),
  c("posterize", { levels: 3 }, EXACT, 256),
  c("posterize", { levels: 256 }, EXACT, 256),

  c("equalize", {}, EXACT),

  c("normalize", {}, EXACT),
  c("normalize", { low: 0, high: 100 }, EXACT, 256),
  c("normalize", { low: 5, high: 95 }, EXACT, 256),
  c("normalize", { low: 0.5, high: 99.5 }, EXACT, 256),
  c("normalize", { low: 50, high: 50 }, EXACT, 256),

  c("otsu-threshold", {}, EXACT),
];

const label = (k: Case): string => {
  const entries = Object.entries(k.params).map(([name, v]) =>
    Array.isArray(v) ? `${name}=[${v.length > 9 ? `${v.length} values` : v.join(",")}]` : `${name}=${String(v)}`,
  );
  return entries.length ? `${k.op}(${entries.join(", ")})` : k.op;
};

let k: Kernels;
beforeAll(async () => {
  k = await kernels();
});

/** Largest difference seen per case label, for the optional report. */
const measured = new Map<string, number>();
afterAll(() => {
  if (!process.env.TESSERA_REFERENCE_REPORT) return;
  const lines = [...measured].map(([name, max]) => `  ${name}: max diff ${max}`);
  console.log(`reference comparison, largest difference per case:\n${lines.join("\n")}`);
});

const bytes = (a: Uint8Array | Uint8ClampedArray): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBytes = (a: Uint8Array | Uint8ClampedArray, b: Uint8Array | Uint8ClampedArray): boolean => bytes(a).equals(bytes(b));

/** Runs one case on one image and checks it against the reference, the alpha and the input. */
function check(kase: Case, image: TestImage): void {
  const where = `${label(kase)} on ${image.name} ${image.width}×${image.height}`;
  const before = image.data.slice();
  const got = k.run(image, [{ op: kase.op, ...kase.params }]);
  expect(sameBytes(image.data, before), `${where}: the input buffer was modified`).toBe(true);
  expect([got.width, got.height, got.data.length], where).toEqual([image.width, image.height, image.data.length]);

  for (let i = 3; i < image.data.length; i += 4) {
    if (got.data[i] !== image.data[i]) {
      const p = i >> 2;
      expect.fail(
        `${where}: alpha changed at (${p % image.width},${Math.floor(p / image.width)}): ${image.data[i]} → ${got.data[i]}`,
      );
    }
  }

  const want = reference(image, kase.op, kase.params);
  const diff = sameBytes(got.data, want) ? { max: 0, count: 0 } : compare(got.data, want, image.width, kase.tolerance);
  const key = label(kase);
  measured.set(key, Math.max(measured.get(key) ?? 0, diff.max));
  expect(diff.count, `${where} (tolerance ±${kase.tolerance}): ${describeDiff(diff)}`).toBe(0);
}

const photos = photoNames();

/** Every byte value in every channel (alpha too), for the point ops' tables: 256×8. */
function rampImage(): TestImage {
  const width = 256;
  const height = 8;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = x;
      data[i + 1] = (x * 7 + y * 32) & 255;
      data[i + 2] = (255 - x + y * 37) & 255;
      data[i + 3] = (x + y * 97) & 255;
    }
  }
  return { name: "ramps 256×8", width, height, data };
}

const syntheticImages = (): TestImage[] => [...edgeCaseImages(), rampImage()];

describe("kernels agree with the float64 reference", () => {
  for (const kase of CASES) {
    describe(label(kase), () => {
      for (const name of photos) {
        it(`${name}${kase.size === "full" ? "" : ` (fit ${kase.size})`}`, async () => {
          check(kase, await loadPhoto(name, kase.size === "full" ? undefined : kase.size));
        });
      }
      it("edge-case images (1×1, 1×N, N×1, odd widths, constant, transparent, every byte value)", () => {
        for (const image of syntheticImages()) check(kase, image);
      });
    });
  }

  it("covers every image op but median and canny (those have their own suites)", () => {
    const covered = new Set(CASES.map((kase) => kase.op));
    // Analysis ops (data, not images) have their own suites (analysis-*.test.ts).
    const expected = [...ops.values()]
      .filter((op) => op.kind !== "analysis" && op.name !== "median" && op.name !== "canny")
      .map((op) => op.name)
      .sort();
    expect([...covered].sort()).toEqual(expected);
  });
});

describe("the luma histogram behind the global ops", () => {
  it("equals the reference histogram (bins = Rec.709 luma rounded half up) on every photo and edge case", async () => {
    const images = [...(await Promise.all(photos.map((name) => loadPhoto(name)))), ...edgeCaseImages()];
    for (const image of images) {
      expect([...k.histogram(image)], image.name).toEqual(histogram(image));
    }
  });
});

// The global ops' references follow OpenCV's definitions; check them against OpenCV itself on
// the luma-bin grey image of each photo, so the references are not just our reading of them.

interface CvMat {
  data: Uint8Array;
  delete(): void;
}
interface Cv {
  Mat: new () => CvMat;
  matFromArray(rows: number, cols: number, type: number, array: ArrayLike<number>): CvMat;
  equalizeHist(src: CvMat, dst: CvMat): void;
  threshold(src: CvMat, dst: CvMat, thresh: number, maxval: number, type: number): number;
  CV_8UC1: number;
  THRESH_BINARY: number;
  THRESH_OTSU: number;
  onRuntimeInitialized?: () => void;
}

/**
 * OpenCV's Emscripten build is a CommonJS module object that is also a thenable handing back
 * itself: awaiting it (or resolving a promise with it) never settles. So it is required, not
 * imported, and travels wrapped in `{ cv }`.
 */
function loadCv(): Promise<{ cv: Cv }> {
  return new Promise((resolve) => {
    const cv = createRequire(import.meta.url)("@techstark/opencv-js") as Cv;
    if (typeof cv.Mat === "function") resolve({ cv });
    else cv.onRuntimeInitialized = () => resolve({ cv });
  });
}

describe("the equalize and otsu references match OpenCV", () => {
  it("equalizeHist and THRESH_OTSU on the luma bins of every photo", async () => {
    const { cv } = await loadCv();
    for (const name of photos) {
      const image = await loadPhoto(name);
      const bins = new Uint8Array(image.width * image.height);
      for (let p = 0; p < bins.length; p++) {
        bins[p] = lumaBin(image.data[p * 4] ?? 0, image.data[p * 4 + 1] ?? 0, image.data[p * 4 + 2] ?? 0);
      }
      const hist = histogram(image);
      const src = cv.matFromArray(image.height, image.width, cv.CV_8UC1, bins);
      const dst = new cv.Mat();
      try {
        cv.equalizeHist(src, dst);
        const table = equalizeTable(hist);
        let mismatches = 0;
        for (let p = 0; p < bins.length; p++) if (dst.data[p] !== table[bins[p] ?? 0]) mismatches++;
        expect(mismatches, `${name}: equalize reference vs cv.equalizeHist`).toBe(0);

        const level = cv.threshold(src, dst, 0, 255, cv.THRESH_BINARY | cv.THRESH_OTSU);
        expect(otsuLevel(hist), `${name}: otsu reference vs cv.threshold(THRESH_OTSU)`).toBe(level);
      } finally {
        src.delete();
        dst.delete();
      }
    }
  });
});
