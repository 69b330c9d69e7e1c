// The kernel library's API: loading, image validation, memory behaviour, runRegion's tiling
// contract, and point-op fusion.

import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { compileKernels, crop, KernelError, loadKernels, ops, parsePipeline, type RgbaImage } from "@tessera/kernels";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compare, describe as describeDiff, loadPhoto, randomBytes } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

const wasmPath = createRequire(import.meta.url).resolve("@tessera/kernels/tessera.wasm");

function kernelError(fn: () => unknown): KernelError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KernelError);
    return err as KernelError;
  }
  throw new Error("expected a KernelError");
}

/** An image of 1, 3 or 4 channels as RGBA: grey into R, G and B; alpha 255 where there is none. */
function widen(image: { width: number; height: number; channels?: number; data: Uint8ClampedArray }) {
  const c = image.channels ?? 4;
  const data = new Uint8ClampedArray(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) {
    for (let j = 0; j < 3; j++) data[p * 4 + j] = image.data[p * c + (c === 1 ? 0 : j)] as number;
    data[p * 4 + 3] = c === 4 ? (image.data[p * 4 + 3] as number) : 255;
  }
  return { width: image.width, height: image.height, data };
}

describe("loadKernels", () => {
  it("loads from the file beside the module, bytes, a compiled module, a path, a file URL and a Response", async () => {
    const image = { width: 3, height: 2, data: randomBytes(24, 5) };
    const want = (await loadKernels()).run(image, "invert").data;
    const bytes = readFileSync(wasmPath);
    const sources = [bytes, await compileKernels(bytes), wasmPath, new URL(`file://${wasmPath}`), new Response(bytes)];
    for (const source of sources) {
      expect((await loadKernels(source)).run(image, "invert").data).toEqual(want);
    }
  });

  it("fails with WASM_LOAD_FAILED and the fix when the module is missing or broken", async () => {
    await expect(loadKernels("/nonexistent/tessera.wasm")).rejects.toMatchObject({
      code: "WASM_LOAD_FAILED",
      message: expect.stringContaining("could not load the kernels' WebAssembly: ENOENT"),
    });
    await expect(loadKernels(new Uint8Array([0, 97, 115, 109]))).rejects.toMatchObject({ code: "WASM_LOAD_FAILED" });
    await expect(loadKernels(new Response("gone", { status: 404 }))).rejects.toMatchObject({
      code: "WASM_LOAD_FAILED",
      message: expect.stringContaining("HTTP 404"),
    });
  });

  it("ships a module of at most 64 KB", () => {
    expect(statSync(wasmPath).size).toBeLessThanOrEqual(64 * 1024);
  });
});

describe("run", () => {
  it("returns a new image and never touches its input", async () => {
    const k = await kernels();
    const image = await loadPhoto("chelsea.png");
    const before = image.data.slice();
    // (Analysis ops return data, not an image: run() refuses them, see analysis-registry.test.ts.)
    for (const op of [...ops.values()].filter((o) => o.kind !== "analysis").map((o) => o.name)) {
      const out = k.run(image, op);
      // Plain booleans: toBe on megabyte buffers makes vitest diff them.
      expect(out.data.buffer === image.data.buffer).toBe(false);
      expect(out.data instanceof Uint8ClampedArray).toBe(true);
      expect([out.width, out.height, out.data.length]).toEqual([image.width, image.height, image.data.length]);
    }
    expect(compare(image.data, before, image.width).max).toBe(0);
  });

  it.each([
    [{ width: 0, height: 2, data: new Uint8ClampedArray(0) }, "INVALID_IMAGE", "image.width must be a positive integer, got 0"],
    [
      { width: 2.5, height: 2, data: new Uint8ClampedArray(20) },
      "INVALID_IMAGE",
      "image.width must be a positive integer, got 2.5",
    ],
    [
      { width: 2, height: -1, data: new Uint8ClampedArray(0) },
      "INVALID_IMAGE",
      "image.height must be a positive integer, got -1",
    ],
    [
      { width: 2, height: 2, data: new Uint8ClampedArray(15) },
      "INVALID_IMAGE",
      "image.data has 15 bytes; a 2×2 RGBA image needs width·height·4 = 16",
    ],
    [
      { width: 2, height: 2, data: [1, 2, 3] },
      "INVALID_IMAGE",
      "image.data must be a Uint8ClampedArray or Uint8Array of RGBA bytes",
    ],
    [
      { width: 20000, height: 20000, data: new Uint8ClampedArray(4) },
      "IMAGE_TOO_LARGE",
      "image is 20000×20000 = 400000000 pixels; one kernel call takes at most 268435456. Tile it (the engine does).",
    ],
  ])("rejects a bad image %# with a clear error", async (image, code, message) => {
    const k = await kernels();
    const err = kernelError(() => k.run(image as unknown as RgbaImage, "invert"));
    expect([err.code, err.message]).toEqual([code, message]);
  });

  it("takes Uint8Array data as well as Uint8ClampedArray", async () => {
    const k = await kernels();
    const data = randomBytes(5 * 3 * 4, 9);
    const a = k.run({ width: 5, height: 3, data }, "sepia");
    const b = k.run({ width: 5, height: 3, data: new Uint8Array(data) }, "sepia");
    expect(b.data).toEqual(a.data);
  });

  it("keeps memory flat over 1000 calls: working memory grows with the image, not with calls", async () => {
    const k = await loadKernels();
    const image = await loadPhoto("coins.png");
    const pipelines = [
      "gaussian-blur(sigma=3) | sobel",
      "median(radius=5)",
      "equalize | sharpen",
      "canny",
      "convolve(kernel=[1,1,1,1,1,1,1,1,1])",
    ];
    for (const p of pipelines) k.run(image, p);
    const settled = k.memoryBytes;
    for (let i = 0; i < 1000; i++) k.run(image, pipelines[i % pipelines.length] as string);
    expect(k.memoryBytes).toBe(settled);
  });

  it("fuses runs of table ops into one pass with the same bytes as running them one by one", async () => {
    const k = await kernels();
    const image = await loadPhoto("rocket.jpg", 200);
    const chain = ["invert", "brightness(delta=-40)", "contrast(factor=1.7)", "gamma(gamma=0.6)", "posterize(levels=7)"];
    let stepwise: RgbaImage = image;
    for (const step of chain) stepwise = k.run(stepwise, step);
    const fused = k.run(image, chain.join(" | "));
    expect(describeDiff(compare(fused.data, stepwise.data, image.width))).toBe("max diff 0");
  });
});

describe("runRegion", () => {
  const localOps = [...ops.values()].filter((op) => op.kind === "point" || op.kind === "local").map((op) => op.name);
  const step = fc.oneof(
    fc.constantFrom(...localOps.map((name) => ({ op: name }))),
    fc.record({ op: fc.constant("gaussian-blur"), sigma: fc.double({ min: 0.3, max: 4, noNaN: true }) }),
    fc.record({ op: fc.constant("box-blur"), radius: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ op: fc.constant("median"), radius: fc.integer({ min: 1, max: 4 }) }),
    fc.record({
      op: fc.constant("sharpen"),
      sigma: fc.double({ min: 0.3, max: 2, noNaN: true }),
      amount: fc.double({ min: 0, max: 5, noNaN: true }),
    }),
    fc.record({
      op: fc.constant("convolve"),
      kernel: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 25, maxLength: 25 }),
    }),
  );

  /** A random rectangle of `photo`, its window (grown by the pipeline's halo, clamped) and its core in that window. */
  function region(
    photo: { width: number; height: number },
    pipeline: ReturnType<typeof parsePipeline>,
    x: number,
    y: number,
    w: number,
    h: number,
  ) {
    const rect = { x, y, width: Math.min(w, photo.width - x), height: Math.min(h, photo.height - y) };
    const halo = pipeline.reduce((sum, s) => sum + (ops.get(s.op)?.radius(s.params) ?? 0), 0);
    const x0 = Math.max(0, rect.x - halo);
    const y0 = Math.max(0, rect.y - halo);
    const x1 = Math.min(photo.width, rect.x + rect.width + halo);
    const y1 = Math.min(photo.height, rect.y + rect.height + halo);
    const window = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    return { rect, window, core: { x: rect.x - x0, y: rect.y - y0, width: rect.width, height: rect.height } };
  }

  /** A random pipeline of local steps and a random rectangle (x, y, up to 70×70) of `photo`. */
  const cases = (photo: { width: number; height: number }) =>
    fc.tuple(
      fc.array(step, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: photo.width - 1 }),
      fc.integer({ min: 0, max: photo.height - 1 }),
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 70 }),
    );

  it("equals the same window of run() on the whole image, for random rectangles and pipelines", async () => {
    const k = await kernels();
    const photo = await loadPhoto("astronaut.png", 160);
    await fc.assert(
      fc.property(cases(photo), ([raw, x, y, width, height]) => {
        const pipeline = parsePipeline(raw);
        const { rect, window, core } = region(photo, pipeline, x, y, width, height);
        const got = k.runRegion(crop(photo, window), core, pipeline);
        const want = crop(k.run(photo, pipeline), rect);
        expect(describeDiff(compare(got.data, want.data, rect.width))).toBe("max diff 0");
      }),
      { numRuns: 60, seed: 20261126 },
    );
  });

  it("runWindow: the same bytes read from a rectangle of the image and written into a larger target", async () => {
    const k = await kernels();
    const photo = await loadPhoto("coffee.png", 160);
    const channelSets = fc.constantFrom<1 | 3 | 4>(1, 3, 4);
    await fc.assert(
      fc.property(cases(photo), fc.boolean(), channelSets, ([raw, x, y, width, height], histogram, channels) => {
        const pipeline = parsePipeline(raw);
        const { rect, window, core } = region(photo, pipeline, x, y, width, height);
        // The target is the photo's size, pre-filled: only the core's rectangle may change. With
        // 1 or 3 channels it gets the result's R, or R, G and B.
        const size = photo.width * photo.height;
        const target = {
          width: photo.width,
          height: photo.height,
          channels,
          data: new Uint8ClampedArray(size * channels).fill(7),
        };
        const hist = k.runWindow(photo, window, core, pipeline, target, { x: rect.x, y: rect.y }, { histogram });
        const want = crop(k.run(photo, pipeline), rect);
        const got = crop(widen(target), rect);
        const kept = (i: number) => (i & 3) < channels || (channels === 1 && (i & 3) < 3);
        const wantKept = want.data.map((v, i) => (kept(i) ? (channels === 1 ? (want.data[i & ~3] as number) : v) : 255));
        expect(describeDiff(compare(got.data, wantKept, rect.width))).toBe("max diff 0");
        let touchedOutside = 0;
        target.data.forEach((v, i) => {
          const px = Math.floor(i / channels) % photo.width;
          const py = Math.floor(i / channels / photo.width);
          const inside = px >= rect.x && px < rect.x + rect.width && py >= rect.y && py < rect.y + rect.height;
          if (!inside && v !== 7) touchedOutside++;
        });
        expect(touchedOutside).toBe(0);
        expect(hist).toEqual(histogram ? k.histogram(want) : undefined);
      }),
      { numRuns: 60, seed: 20261127 },
    );
  });

  it("runWindow: a grey or RGB source gives the bytes of the same image as RGBA", async () => {
    const k = await kernels();
    const photo = await loadPhoto("coffee.png", 160);
    const n = photo.width * photo.height;
    // The RGBA images that a grey and an RGB source stand for: alpha 255, and R = G = B for grey.
    const asRgb = photo.data.map((v, i) => ((i & 3) === 3 ? 255 : v));
    const asGrey = photo.data.map((_, i) => ((i & 3) === 3 ? 255 : (photo.data[i & ~3] as number)));
    const sources = [
      {
        rgba: asRgb,
        compact: {
          channels: 3 as const,
          data: new Uint8ClampedArray(n * 3).map((_, i) => asRgb[Math.floor(i / 3) * 4 + (i % 3)] as number),
        },
      },
      { rgba: asGrey, compact: { channels: 1 as const, data: new Uint8ClampedArray(n).map((_, p) => asGrey[p * 4] as number) } },
    ];
    await fc.assert(
      fc.property(cases(photo), fc.constantFrom(0, 1), ([raw, x, y, width, height], which) => {
        const pipeline = parsePipeline(raw);
        const { rect, window, core } = region(photo, pipeline, x, y, width, height);
        const source = sources[which] as (typeof sources)[number];
        const size = { width: photo.width, height: photo.height };
        const want = { ...size, data: new Uint8ClampedArray(n * 4) };
        const got = { ...size, data: new Uint8ClampedArray(n * 4) };
        k.runWindow({ ...size, data: source.rgba }, window, core, pipeline, want, rect);
        k.runWindow({ ...size, ...source.compact }, window, core, pipeline, got, rect);
        expect(describeDiff(compare(got.data, want.data, photo.width))).toBe("max diff 0");
      }),
      { numRuns: 40, seed: 20261128 },
    );
  });

  it("refuses global steps and cores outside the tile", async () => {
    const k = await kernels();
    const tile = { width: 8, height: 8, data: randomBytes(256, 3) };
    const core = { x: 2, y: 2, width: 4, height: 4 };
    expect(kernelError(() => k.runRegion(tile, core, "sobel | equalize")).message).toBe(
      "step 2 equalize: runRegion runs point and local ops only; equalize is global (it needs the whole image). Split the plan at it, or use run()",
    );
    expect(kernelError(() => k.runRegion(tile, { x: 6, y: 0, width: 4, height: 4 }, "sobel")).message).toBe(
      'core {"x":6,"y":0,"width":4,"height":4} must be integers with a positive size inside the 8×8 image',
    );
  });
});

describe("histogram", () => {
  it("counts every pixel of the image or rectangle once, by rounded Rec.709 luma", async () => {
    const k = await kernels();
    const image = await loadPhoto("page.png");
    const hist = k.histogram(image);
    expect(hist.reduce((a, b) => a + b, 0)).toBe(image.width * image.height);
    // page.png is grey: luma of (g, g, g) is exactly g.
    const direct = new Uint32Array(256);
    for (let i = 0; i < image.data.length; i += 4) {
      const g = image.data[i] as number;
      direct[g] = (direct[g] ?? 0) + 1;
    }
    expect(hist).toEqual(direct);
    const rect = { x: 10, y: 20, width: 30, height: 40 };
    expect(k.histogram(image, rect)).toEqual(k.histogram(crop(image, rect)));
  });
});
