// Canny (kernels/assembly/canny.ts): agreement with OpenCV's cv.Canny as an edge map, a plain
// float64 implementation of our definition, the invariants every edge op keeps, and the two
// phases (classify: local, hysteresis: global) that the distributed engine runs apart.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { RgbaImage } from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { edgeCaseImages, loadPhoto, photoNames, randomBytes } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

const require = createRequire(import.meta.url);

interface CannyParams {
  low: number;
  high: number;
  sigma: number;
}

const DEFAULTS: CannyParams = { low: 50, high: 150, sigma: 1.4 };
const pipeline = (p: CannyParams): string => `canny(low=${p.low}, high=${p.high}, sigma=${p.sigma})`;

/** Exact Rec.709 luma ×10000 of pixel i. */
const luma10000 = (d: ArrayLike<number>, i: number): number =>
  2126 * (d[4 * i] ?? 0) + 7152 * (d[4 * i + 1] ?? 0) + 722 * (d[4 * i + 2] ?? 0);

/** Our edge map as 0/1 per pixel (R byte is 255). */
async function ourEdges(image: RgbaImage, p: CannyParams): Promise<Uint8Array> {
  const out = (await kernels()).run(image, pipeline(p)).data;
  return Uint8Array.from({ length: image.width * image.height }, (_, i) => (out[4 * i] === 255 ? 1 : 0));
}

// ─── OpenCV ────────────────────────────────────────────────────────────────────────────────

interface CvMat {
  readonly data: Uint8Array;
  delete(): void;
}
interface OpenCv {
  Mat: new (rows?: number, cols?: number, type?: number) => CvMat;
  Size: new (width: number, height: number) => unknown;
  CV_8UC1: number;
  BORDER_REPLICATE: number;
  GaussianBlur(src: CvMat, dst: CvMat, ksize: unknown, sigmaX: number, sigmaY: number, border: number): void;
  Canny(src: CvMat, edges: CvMat, low: number, high: number, aperture: number, l2: boolean): void;
  onRuntimeInitialized?: () => void;
}

let openCvReady: Promise<{ cv: OpenCv }> | undefined;

/**
 * @techstark/opencv-js is OpenCV 4.5.1's Emscripten build as a CommonJS module. The module
 * object is usable once its runtime has initialised (`onRuntimeInitialized`). It is also a
 * thenable whose `then` hands back the module itself, so awaiting it (or resolving a promise
 * with it) loops forever: it is wrapped in `{ cv }`.
 */
function openCv(): Promise<{ cv: OpenCv }> {
  openCvReady ??= new Promise((resolve) => {
    const cv = require("@techstark/opencv-js") as OpenCv;
    if (typeof cv.Mat === "function") resolve({ cv });
    else cv.onRuntimeInitialized = () => resolve({ cv });
  });
  return openCvReady;
}

/** A grey u8 Mat of `grey` (one byte per pixel). The caller deletes it. */
function greyMat(cv: OpenCv, grey: ArrayLike<number>, width: number, height: number): CvMat {
  const mat = new cv.Mat(height, width, cv.CV_8UC1);
  mat.data.set(grey);
  return mat;
}

/** cv.Canny (3×3 Sobel, L2) of a grey u8 Mat, as 0/1 per pixel. */
function cvCanny(cv: OpenCv, src: CvMat, p: CannyParams): Uint8Array {
  const edges = new cv.Mat();
  cv.Canny(src, edges, p.low, p.high, 3, true);
  const out = Uint8Array.from(edges.data, (v) => (v === 255 ? 1 : 0));
  edges.delete();
  return out;
}

/** cv.GaussianBlur (ksize 2·ceil(3σ)+1, BORDER_REPLICATE) of a grey u8 Mat. The caller deletes it. */
function cvBlur(cv: OpenCv, src: CvMat, sigma: number): CvMat {
  const k = 2 * Math.ceil(3 * sigma) + 1;
  const out = new cv.Mat();
  cv.GaussianBlur(src, out, new cv.Size(k, k), sigma, sigma, cv.BORDER_REPLICATE);
  return out;
}

/** The same input for OpenCV: our luma, rounded half up to u8. */
const lumaU8 = (image: RgbaImage): Uint8Array =>
  Uint8Array.from({ length: image.width * image.height }, (_, i) => Math.floor((2 * luma10000(image.data, i) + 10000) / 20000));

// ─── Scores ────────────────────────────────────────────────────────────────────────────────

interface Score {
  /** F1 of edge pixels, position for position. */
  exact: number;
  /** F1 where an edge pixel counts as matched when the other map has one within 1 px (8-neighbourhood). */
  tolerant: number;
  hits: number;
  ours: number;
  theirs: number;
}

function score(ours: Uint8Array, theirs: Uint8Array, width: number, height: number): Score {
  const near = (map: Uint8Array, x: number, y: number): boolean => {
    for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1); yy++) {
      for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) if (map[yy * width + xx]) return true;
    }
    return false;
  };
  let hits = 0;
  let nOurs = 0;
  let nTheirs = 0;
  let oursNear = 0;
  let theirsNear = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (ours[i]) {
        nOurs++;
        if (theirs[i]) hits++;
        if (near(theirs, x, y)) oursNear++;
      }
      if (theirs[i]) {
        nTheirs++;
        if (near(ours, x, y)) theirsNear++;
      }
    }
  }
  const f1 = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));
  const empty = nOurs === 0 && nTheirs === 0;
  return {
    exact: empty ? 1 : (2 * hits) / (nOurs + nTheirs),
    tolerant: empty ? 1 : f1(oursNear / Math.max(1, nOurs), theirsNear / Math.max(1, nTheirs)),
    hits,
    ours: nOurs,
    theirs: nTheirs,
  };
}

const fmt = (v: number): string => v.toFixed(4);

describe("canny against OpenCV", () => {
  // OpenCV's pipeline rounds twice where ours does not (grey to u8, blurred image to u8 in
  // its fixed-point GaussianBlur), so edges that run between two pixels land on either one:
  // OpenCV against itself with a float blur rounded to u8 scores 0.93..0.98 position for
  // position on these photos. The contract is agreement as an edge map (DESIGN.md): every
  // photo must reach F1 ≥ 0.95 within 1 px, the photos together F1 ≥ 0.95 position for
  // position, and no photo may fall below 0.92 position for position.
  const settings: CannyParams[] = [DEFAULTS, { low: 100, high: 200, sigma: 1.4 }, { low: 50, high: 150, sigma: 1 }];

  for (const p of settings) {
    it(`agrees as an edge map on every photo, ${pipeline(p)}`, async () => {
      const { cv } = await openCv();
      const lines: string[] = [];
      let hits = 0;
      let edges = 0;
      for (const name of photoNames()) {
        const image = await loadPhoto(name);
        const grey = greyMat(cv, lumaU8(image), image.width, image.height);
        const blurred = cvBlur(cv, grey, p.sigma);
        const theirs = cvCanny(cv, blurred, p);
        grey.delete();
        blurred.delete();
        const s = score(await ourEdges(image, p), theirs, image.width, image.height);
        hits += s.hits;
        edges += s.ours + s.theirs;
        lines.push(`${name.padEnd(22)} F1 ${fmt(s.exact)}  F1±1px ${fmt(s.tolerant)}  edges ours ${s.ours} opencv ${s.theirs}`);
        expect(s.tolerant, `${name}: F1 within 1 px`).toBeGreaterThanOrEqual(0.95);
        expect(s.exact, `${name}: F1 position for position`).toBeGreaterThanOrEqual(0.92);
      }
      const pooled = (2 * hits) / edges;
      console.log(`canny vs OpenCV, ${pipeline(p)}\n  ${lines.join("\n  ")}\n  all photos: F1 ${fmt(pooled)}`);
      expect(pooled, "F1 over all photos, position for position").toBeGreaterThanOrEqual(0.95);
    });
  }

  it("reproduces cv.Canny exactly away from the border when given OpenCV's own blurred image", async () => {
    // With σ = 0.01 the blur is the identity (weights e^−5000 = 0 beside the centre), so
    // feeding OpenCV's u8 blurred image as grey pixels leaves only our Sobel, NMS, thresholds
    // and hysteresis to compare with OpenCV's. The two differ on purpose at the border only
    // (clamped NMS neighbours where OpenCV uses zeros), and along the chains of weak pixels
    // that such a border pixel connects.
    const { cv } = await openCv();
    const wasm = await rawKernels();
    for (const name of photoNames()) {
      const image = await loadPhoto(name);
      const { width: w, height: h } = image;
      const grey = greyMat(cv, lumaU8(image), w, h);
      const blurred = cvBlur(cv, grey, DEFAULTS.sigma);
      const theirs = cvCanny(cv, blurred, DEFAULTS);
      const input = new Uint8ClampedArray(w * h * 4);
      blurred.data.forEach((v, i) => {
        input.set([v, v, v, 255], 4 * i);
      });
      grey.delete();
      blurred.delete();
      const out = wasm.call({ width: w, height: h, data: input }, (x, src, dst) =>
        x.canny(src, dst, w, h, 0.01, DEFAULTS.low, DEFAULTS.high),
      );
      let differ = 0;
      let edges = 0;
      for (let i = 0; i < w * h; i++) {
        if ((out[4 * i] === 255 ? 1 : 0) !== theirs[i]) differ++;
        edges += theirs[i] ?? 0;
      }
      expect(differ, `${name}: ${differ} of ${edges} edge pixels differ`).toBeLessThanOrEqual(edges * 0.005);
    }
  });
});

// ─── A plain float64 implementation of the definition ─────────────────────────────────────

/** OpenCV's tangents (canny.cpp): TG22 = 13573/2¹⁵ ≈ tan 22.5°, TG67 = TG22 + 2 ≈ tan 67.5°. */
const TG22 = 13573 / 32768;
const TG67 = TG22 + 2;

/** Canny per the comment at the top of canny.ts, in float64 luma units; 0/1 per pixel. */
function referenceCanny(image: RgbaImage, p: CannyParams): Uint8Array {
  const { width: w, height: h } = image;
  const at = (plane: Float64Array, x: number, y: number): number =>
    plane[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))] ?? 0;
  const luma = Float64Array.from({ length: w * h }, (_, i) => luma10000(image.data, i) / 10000);

  const r = Math.ceil(3 * p.sigma);
  const raw = Array.from({ length: 2 * r + 1 }, (_, k) => Math.exp(-((k - r) ** 2) / (2 * p.sigma * p.sigma)));
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((v) => v / total);
  const across = new Float64Array(w * h);
  const blurred = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) across[y * w + x] = weights.reduce((s, wk, k) => s + wk * at(luma, x + k - r, y), 0);
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) blurred[y * w + x] = weights.reduce((s, wk, k) => s + wk * at(across, x, y + k - r), 0);
  }

  const gx = new Float64Array(w * h);
  const gy = new Float64Array(w * h);
  const mag = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const b = (dx: number, dy: number): number => at(blurred, x + dx, y + dy);
      const i = y * w + x;
      gx[i] = b(1, -1) - b(-1, -1) + 2 * (b(1, 0) - b(-1, 0)) + b(1, 1) - b(-1, 1);
      gy[i] = b(-1, 1) + 2 * b(0, 1) + b(1, 1) - (b(-1, -1) + 2 * b(0, -1) + b(1, -1));
      mag[i] = Math.hypot(gx[i] ?? 0, gy[i] ?? 0);
    }
  }

  const cls = new Uint8Array(w * h); // 0 none, 1 weak, 2 strong
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const m = mag[i] ?? 0;
      const ax = Math.abs(gx[i] ?? 0);
      const ay = Math.abs(gy[i] ?? 0);
      let max: boolean;
      if (ay < TG22 * ax) max = m > at(mag, x - 1, y) && m >= at(mag, x + 1, y);
      else if (ay > TG67 * ax) max = m > at(mag, x, y - 1) && m >= at(mag, x, y + 1);
      else {
        const s = (gx[i] ?? 0) * (gy[i] ?? 0) > 0 ? 1 : -1;
        max = m > at(mag, x - s, y - 1) && m > at(mag, x + s, y + 1);
      }
      if (max && m > p.low) cls[i] = m > p.high ? 2 : 1;
    }
  }

  const edges = new Uint8Array(w * h);
  const stack: number[] = [];
  for (let i = 0; i < w * h; i++) {
    if (cls[i] !== 2) continue;
    edges[i] = 1;
    stack.push(i);
  }
  while (stack.length > 0) {
    const i = stack.pop() ?? 0;
    const x = i % w;
    const y = (i - x) / w;
    for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) {
      for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
        const j = yy * w + xx;
        if (cls[j] === 1 && !edges[j]) {
          edges[j] = 1;
          stack.push(j);
        }
      }
    }
  }
  return edges;
}

describe("canny against a float64 implementation of its definition", () => {
  // The kernel runs in f32; only pixels within f32 rounding of an NMS tie or a threshold may
  // differ, and the hysteresis can carry such a pixel's flip along a weak chain.
  it.each([DEFAULTS, { low: 20, high: 60, sigma: 2 }])("matches on every photo, %o", async (p) => {
    const lines: string[] = [];
    for (const name of photoNames()) {
      const image = await loadPhoto(name, 400);
      const s = score(await ourEdges(image, p), referenceCanny(image, p), image.width, image.height);
      lines.push(`${name.padEnd(22)} F1 ${fmt(s.exact)}  edges ours ${s.ours} reference ${s.theirs}`);
      expect(s.exact, `${name}: ${s.ours} edges, reference ${s.theirs}, ${s.hits} in common`).toBeGreaterThanOrEqual(0.995);
    }
    console.log(`canny vs float64 reference, ${pipeline(p)}\n  ${lines.join("\n  ")}`);
  });

  it("matches on the edge-case shapes, including the border rules", async () => {
    for (const image of edgeCaseImages()) {
      const p = { low: 20, high: 60, sigma: 0.5 };
      expect(await ourEdges(image, p), image.name).toEqual(referenceCanny(image, p));
    }
  });
});

// ─── Invariants ────────────────────────────────────────────────────────────────────────────

/** Every pixel is black or white grey, and keeps the source's alpha. */
function expectEdgeMap(out: ArrayLike<number>, src: ArrayLike<number>, name: string): void {
  for (let i = 0; i < src.length; i += 4) {
    const v = out[i];
    if ((v !== 0 && v !== 255) || out[i + 1] !== v || out[i + 2] !== v || out[i + 3] !== src[i + 3]) {
      throw new Error(`${name}: pixel ${i / 4} is [${Array.from({ length: 4 }, (_, c) => out[i + c])}], alpha ${src[i + 3]}`);
    }
  }
}

describe("canny invariants", () => {
  it("writes only black or white grey pixels, keeps alpha, and leaves its input alone", async () => {
    const k = await kernels();
    const images: RgbaImage[] = [...edgeCaseImages(), await loadPhoto("chelsea.png"), await loadPhoto("coins.png")];
    images.push({ name: "noise 64×48", width: 64, height: 48, data: randomBytes(64 * 48 * 4, 11) } as RgbaImage);
    for (const image of images) {
      const name = (image as { name?: string }).name ?? "image";
      const before = image.data.slice();
      for (const p of [DEFAULTS, { low: 0, high: 0, sigma: 0.3 }, { low: 200, high: 1500, sigma: 10 }]) {
        const out = k.run(image, pipeline(p));
        expect([out.width, out.height, out.data.length], name).toEqual([image.width, image.height, image.data.length]);
        expectEdgeMap(out.data, image.data, name);
      }
      expect(Buffer.from(image.data).equals(Buffer.from(before)), `${name}: input modified`).toBe(true);
    }
  });

  it("finds edges on a photo and none on a constant image, even with zero thresholds", async () => {
    const k = await kernels();
    const flat: RgbaImage = { width: 37, height: 23, data: new Uint8ClampedArray(37 * 23 * 4) };
    for (let i = 0; i < flat.data.length; i += 4) flat.data.set([200, 30, 90, 128], i);
    for (const p of [DEFAULTS, { low: 0, high: 0, sigma: 3 }]) {
      const out = k.run(flat, pipeline(p)).data;
      for (let i = 0; i < out.length; i += 4) expect(out[i]).toBe(0);
    }
    const photo = await ourEdges(await loadPhoto("camera.png"), DEFAULTS);
    expect(photo.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  });

  it("runs on 1×1, 1×N, N×1 and widths around the vector width", async () => {
    const k = await kernels();
    for (const image of edgeCaseImages()) {
      const out = k.run(image, "canny");
      expect(out.data.length, image.name).toBe(image.width * image.height * 4);
    }
  });
});

// ─── The two phases, through the raw exports ──────────────────────────────────────────────

interface RawExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  scratchReset(base: number): void;
  ensureMemory(end: number): void;
  canny(src: number, dst: number, w: number, h: number, sigma: number, low: number, high: number): void;
  cannyClassify(src: number, dst: number, w: number, h: number, sigma: number, low: number, high: number): void;
  cannyHysteresis(src: number, dst: number, w: number, h: number): void;
}

interface RawKernels {
  /** Copies `image` to A, runs `fn(exports, A, B)` on fresh scratch, and returns B. */
  call(image: RgbaImage, fn: (x: RawExports, src: number, dst: number) => void): Uint8Array;
}

/** A private instance of the built module, for the exports `run()` does not reach. */
async function rawKernels(): Promise<RawKernels> {
  const bytes = readFileSync(require.resolve("@tessera/kernels/tessera.wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: {
      abort(): never {
        throw new Error("kernel aborted");
      },
    },
  });
  const x = instance.exports as unknown as RawExports;
  const align = (n: number): number => Math.ceil(n / 16) * 16;
  return {
    call(image, fn) {
      const bytes = image.width * image.height * 4;
      const a = align(x.heapBase());
      const b = a + align(bytes);
      const scratch = b + align(bytes);
      x.ensureMemory(scratch + 65536);
      new Uint8Array(x.memory.buffer).set(image.data, a);
      x.scratchReset(scratch);
      fn(x, a, b);
      return new Uint8Array(x.memory.buffer).slice(b, b + bytes);
    },
  };
}

const asImage = (width: number, height: number, data: Uint8Array | Uint8ClampedArray): RgbaImage => ({
  width,
  height,
  data: new Uint8ClampedArray(data),
});

describe("canny phases", () => {
  it("hysteresis of the classify output is canny, out of place and in place", async () => {
    const wasm = await rawKernels();
    const k = await kernels();
    const images: RgbaImage[] = [...edgeCaseImages()];
    for (const name of photoNames()) images.push(await loadPhoto(name, 500));
    for (const image of images) {
      const { width: w, height: h } = image;
      const name = (image as { name?: string }).name ?? "image";
      for (const p of [DEFAULTS, { low: 10, high: 40, sigma: 0.8 }]) {
        const classes = wasm.call(image, (x, src, dst) => x.cannyClassify(src, dst, w, h, p.sigma, p.low, p.high));
        for (let i = 0; i < classes.length; i += 4) {
          const v = classes[i];
          if (
            (v !== 0 && v !== 128 && v !== 255) ||
            classes[i + 1] !== v ||
            classes[i + 2] !== v ||
            classes[i + 3] !== image.data[i + 3]
          ) {
            throw new Error(`${name}: class pixel ${i / 4} is [${classes.slice(i, i + 4)}]`);
          }
        }
        const want = k.run(image, pipeline(p)).data;
        const outOfPlace = wasm.call(asImage(w, h, classes), (x, src, dst) => x.cannyHysteresis(src, dst, w, h));
        const inPlace = wasm.call(asImage(w, h, classes), (x, src, dst) => {
          x.cannyHysteresis(src, src, w, h);
          new Uint8Array(x.memory.buffer).copyWithin(dst, src, src + w * h * 4);
        });
        expect(Buffer.from(outOfPlace).equals(Buffer.from(want)), `${name} ${pipeline(p)}`).toBe(true);
        expect(Buffer.from(inPlace).equals(Buffer.from(want)), `${name} ${pipeline(p)} in place`).toBe(true);
        // The engine's form: the class map gathered from blocks of rows of uneven heights,
        // packed in a scrambled order, and given back into each block.
        const blocks = rowBlocks(classes, w, h);
        const tops = blocks.map((_, i) => blocks.slice(0, i).reduce((rows, b) => rows + b.length / (w * 4), 0));
        const map = k.classMap(w, h);
        for (const i of [...blocks.keys()].reverse()) map.pack(tops[i] as number, blocks[i] as Uint8Array);
        map.reduce();
        for (const [i, block] of blocks.entries()) map.unpack(tops[i] as number, block);
        expect(Buffer.concat(blocks).equals(Buffer.from(want)), `${name} ${pipeline(p)} over ${blocks.length} blocks`).toBe(true);
        // Unpacked as opaque: the same edges, alpha 255, whatever the buffer held before.
        const opaque = new Uint8Array(w * h * 4).fill(7);
        map.unpack(0, opaque, true);
        const wantOpaque = Uint8Array.from(want, (v, i) => (i % 4 === 3 ? 255 : v));
        expect(Buffer.from(opaque).equals(Buffer.from(wantOpaque)), `${name} ${pipeline(p)} opaque`).toBe(true);
        expect(Buffer.from(k.hysteresis(asImage(w, h, classes)).data).equals(Buffer.from(want))).toBe(true);
        // An opaque image's form: grey blocks (a grey class layer) put in as they are, grey edges out.
        const grey = k.classMap(w, h);
        for (const i of [...blocks.keys()].reverse()) {
          const rgba = rowBlocks(classes, w, h)[i] as Uint8Array;
          grey.putGrey(
            tops[i] as number,
            rgba.filter((_, j) => j % 4 === 0),
          );
        }
        grey.reduce();
        const edges = new Uint8Array(w * h).fill(7);
        grey.greyRows(0, edges);
        expect(Buffer.from(edges).equals(Buffer.from(want.filter((_, j) => j % 4 === 0))), `${name} grey`).toBe(true);
      }
    }
  });

  it("a class map refuses rows that are not whole rows inside it, and a size out of range", async () => {
    const k = await kernels();
    const map = k.classMap(4, 3);
    expect(() => map.pack(0, new Uint8Array(20))).toThrow("20 bytes from row 0 are not whole rows of the 4×3 RGBA class map");
    expect(() => map.pack(2, new Uint8Array(32))).toThrow("32 bytes from row 2 are not whole rows");
    expect(() => map.unpack(-1, new Uint8Array(16))).toThrow("from row -1");
    expect(() => map.pack(0, new Uint8Array(0))).toThrow("0 bytes from row 0");
    expect(() => map.putGrey(1, new Uint8Array(12))).toThrow("12 bytes from row 1 are not whole rows of the 4×3 grey class map");
    expect(() => k.classMap(0, 3)).toThrow("a class map is 1 to 268435456 pixels, got 0×3");
    expect(() => k.classMap(65536, 8192)).toThrow("got 65536×8192");
  });

  it("hysteresis keeps weak pixels 8-connected through weak pixels to a strong one", async () => {
    const wasm = await rawKernels();
    // 0 none, 1 weak, 2 strong; the expected output below it.
    // biome-ignore format: a picture of the class map
    const map = [
      "2.....1..1",
      ".1....1...",
      "..1..1....",
      ".....1...2",
      "1.1...1...",
      ".1.....2.1",
    ];
    // The first chain hangs off a strong corner; the second reaches its strong pixel only at
    // its far end (below-right), so the fill must run back up against the scan order; the
    // V on the left and the single pixels on the right touch no strong pixel.
    // biome-ignore format: a picture of the edges
    const want = [
      "x.....x...",
      ".x....x...",
      "..x..x....",
      ".....x...x",
      "......x...",
      ".......x..",
    ];
    const w = map[0]?.length ?? 0;
    const h = map.length;
    const src = new Uint8Array(w * h * 4);
    const level = { ".": 0, "1": 128, "2": 255 } as Record<string, number>;
    map.forEach((row, y) => {
      [...row].forEach((c, x) => {
        const v = level[c] ?? 0;
        src.set([v, v, v, 10 * x + y], 4 * (y * w + x));
      });
    });
    const out = wasm.call(asImage(w, h, src), (x, s, d) => x.cannyHysteresis(s, d, w, h));
    const got = want.map((_, y) => Array.from({ length: w }, (_, x) => (out[4 * (y * w + x)] === 255 ? "x" : ".")).join(""));
    expect(got).toEqual(want);
    for (let i = 0; i < w * h; i++) expect(out[4 * i + 3]).toBe(src[4 * i + 3]);
  });

  it("classify is local: a tile with a halo of ceil(3σ) + 2 gives the whole image's classes in its core", async () => {
    const wasm = await rawKernels();
    const image = await loadPhoto("coffee.png");
    const { width: W, height: H } = image;
    for (const p of [DEFAULTS, { low: 20, high: 60, sigma: 2.5 }]) {
      const whole = wasm.call(image, (x, s, d) => x.cannyClassify(s, d, W, H, p.sigma, p.low, p.high));
      const halo = Math.ceil(3 * p.sigma) + 2;
      for (const core of [
        { x: 100, y: 80, width: 64, height: 48 },
        { x: 0, y: 0, width: 17, height: 33 },
        { x: W - 40, y: H - 21, width: 40, height: 21 },
      ]) {
        const x0 = Math.max(0, core.x - halo);
        const y0 = Math.max(0, core.y - halo);
        const x1 = Math.min(W, core.x + core.width + halo);
        const y1 = Math.min(H, core.y + core.height + halo);
        const tw = x1 - x0;
        const th = y1 - y0;
        const tile = new Uint8ClampedArray(tw * th * 4);
        for (let y = 0; y < th; y++) tile.set(image.data.subarray(((y0 + y) * W + x0) * 4, ((y0 + y) * W + x1) * 4), y * tw * 4);
        const part = wasm.call({ width: tw, height: th, data: tile }, (x, s, d) =>
          x.cannyClassify(s, d, tw, th, p.sigma, p.low, p.high),
        );
        for (let y = 0; y < core.height; y++) {
          const a = whole.subarray(((core.y + y) * W + core.x) * 4, ((core.y + y) * W + core.x + core.width) * 4);
          const from = ((core.y - y0 + y) * tw + core.x - x0) * 4;
          const b = part.subarray(from, from + core.width * 4);
          expect(Buffer.from(b).equals(Buffer.from(a)), `core ${JSON.stringify(core)} row ${y}, σ ${p.sigma}`).toBe(true);
        }
      }
    }
  });
});

/** Copies of `classes` cut into blocks of 1, 2, 3, … rows (the last one what is left). */
function rowBlocks(classes: Uint8Array | Uint8ClampedArray, w: number, h: number): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (let y = 0, rows = 1; y < h; y += rows, rows++) {
    const end = Math.min(h, y + rows);
    blocks.push(Uint8Array.from(classes.subarray(y * w * 4, end * w * 4)));
  }
  return blocks;
}
