// The compact image form: `run(image, pipeline, {channels})` and images with `channels: 1 | 3`.
//
// A grey RGBA result carries its value in R, G and B, so its one-channel form must be exactly
// its R channel, whichever path computed it (a kernel that writes one byte per pixel, a grey
// kernel on a one-channel input, or RGBA then packed). And a one-channel input must behave as
// the grey RGBA image with the same value in R, G and B (alpha 255). Both are checked for every
// op whose result is grey, on every photograph, against the RGBA path, which the reference and
// sharp suites check against their definitions.

import { KernelError, type Kernels } from "@tessera/kernels";
import { beforeAll, describe, expect, it } from "vitest";
import { compare, describe as describeDiff, loadPhoto, photoNames, type TestImage } from "../helpers/images.ts";
import { kernels } from "../helpers/kernels.ts";

let k: Kernels;
beforeAll(async () => {
  k = await kernels();
});

const photos = photoNames();

/** Every op whose result is grey, with params that exercise it. */
const GREY_OPS = [
  "grayscale",
  "grayscale(mode=rec601)",
  "grayscale(mode=average)",
  "threshold(value=100)",
  "otsu-threshold",
  "sobel",
  "prewitt",
  "scharr",
  "laplacian",
  "canny(low=40, high=120, sigma=1.4)",
  // A grey op followed by ops that keep grey grey: packed, or on one byte per pixel throughout.
  "sobel | gaussian-blur(sigma=1.5)",
  "grayscale | equalize | invert | gamma(gamma=2)",
  "otsu-threshold | median(radius=1)",
];

/** Byte p·stride of `data`: one channel of an interleaved image. */
const channelOf = (data: Uint8ClampedArray, stride: number, offset = 0): Uint8ClampedArray => {
  const out = new Uint8ClampedArray(data.length / stride);
  for (let p = 0; p < out.length; p++) out[p] = data[p * stride + offset] ?? 0;
  return out;
};

/** The image's luma as a one-channel image, and the same as grey RGBA (R = G = B, A = 255). */
function greyPair(image: TestImage): {
  one: { width: number; height: number; channels: 1; data: Uint8ClampedArray };
  rgba: TestImage;
} {
  const one = k.run(image, "grayscale", { channels: 1 });
  const rgba = new Uint8ClampedArray(one.data.length * 4);
  for (let p = 0; p < one.data.length; p++) {
    const v = one.data[p] ?? 0;
    rgba.set([v, v, v, 255], p * 4);
  }
  return {
    one: { width: image.width, height: image.height, channels: 1, data: one.data },
    rgba: { name: `${image.name} (grey)`, width: image.width, height: image.height, data: rgba },
  };
}

function expectSame(got: Uint8ClampedArray, want: Uint8ClampedArray, width: number, where: string): void {
  expect(got.length, where).toBe(want.length);
  const diff = compare(got, want, width, 0);
  expect(diff.count, `${where}: ${describeDiff(diff)}`).toBe(0);
}

describe("channels: 1 equals the R channel of the RGBA result, for every grey op", () => {
  for (const pipeline of GREY_OPS) {
    describe(pipeline, () => {
      for (const name of photos) {
        it(name, async () => {
          const image = await loadPhoto(
            name,
            pipeline.startsWith("grayscale") || pipeline === "otsu-threshold" ? undefined : 256,
          );
          const rgba = k.run(image, pipeline);
          const one = k.run(image, pipeline, { channels: 1 });
          expect([one.width, one.height, one.channels]).toEqual([image.width, image.height, 1]);
          expectSame(one.data, channelOf(rgba.data, 4), image.width, `${pipeline} on ${name}`);
        });
      }
    });
  }
});

describe("a one-channel input behaves as the grey RGBA image", () => {
  const pipelines = [
    ...GREY_OPS,
    "equalize",
    "normalize(low=2, high=98)",
    "threshold(value=64.5)",
    "invert",
    "brightness(delta=-40) | contrast(factor=1.7) | posterize(levels=5)",
    "gaussian-blur(sigma=2)",
    "convolve(kernel=[0,-1,0,-1,5,-1,0,-1,0])",
  ];
  for (const pipeline of pipelines) {
    it(`${pipeline}: every photo, one channel in and out = R of RGBA in and out`, async () => {
      for (const name of photos) {
        const { one, rgba } = greyPair(await loadPhoto(name, 256));
        const want = channelOf(k.run(rgba, pipeline).data, 4);
        const got = k.run(one, pipeline);
        expect(got.channels, "the result keeps the input's channels").toBe(1);
        expectSame(got.data, want, one.width, `${pipeline} on ${rgba.name}`);
        // Asked for RGBA, the same values come back widened (alpha 255).
        expectSame(k.run(one, pipeline, { channels: 4 }).data, k.run(rgba, pipeline).data, one.width, `${pipeline} → RGBA`);
      }
    });
  }
});

describe("three channels", () => {
  it("RGB in and out equals the RGBA path's R, G, B (alpha 255)", async () => {
    for (const name of photos) {
      const image = await loadPhoto(name, 256);
      const opaque = image.data.slice();
      for (let i = 3; i < opaque.length; i += 4) opaque[i] = 255;
      const rgb = new Uint8ClampedArray((opaque.length / 4) * 3);
      for (let p = 0; p < rgb.length / 3; p++) rgb.set(opaque.subarray(p * 4, p * 4 + 3), p * 3);
      for (const pipeline of ["sepia | sharpen(sigma=1)", "hue-rotate(degrees=40)", "sobel"]) {
        const want = k.run({ width: image.width, height: image.height, data: opaque }, pipeline).data;
        const wantRgb = new Uint8ClampedArray(rgb.length);
        for (let p = 0; p < rgb.length / 3; p++) wantRgb.set(want.subarray(p * 4, p * 4 + 3), p * 3);
        const got = k.run({ width: image.width, height: image.height, channels: 3, data: rgb }, pipeline);
        expect(got.channels).toBe(3);
        expectSame(got.data, wantRgb, image.width, `${pipeline} on ${name} (RGB)`);
      }
    }
  });
});

describe("the default stays RGBA, and mistakes are explained", () => {
  it("without channels, the result is RGBA, as before", async () => {
    const image = await loadPhoto("coins.png", 64);
    const out = k.run(image, "sobel");
    expect([out.channels, out.data.length]).toEqual([4, image.width * image.height * 4]);
  });

  it("refuses channels: 1 when the result is colour, naming the step", async () => {
    const image = await loadPhoto("coffee.png", 64);
    let err: unknown;
    try {
      k.run(image, "grayscale | sepia", { channels: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).code).toBe("INVALID_IMAGE");
    expect((err as KernelError).message).toContain("sepia makes colour");
    expect(() => k.run(image, "gaussian-blur", { channels: 1 })).toThrow("no step writes grey");
  });

  it("checks the byte count against the channels, and the channels themselves", () => {
    expect(() => k.run({ width: 4, height: 2, channels: 1, data: new Uint8Array(32) }, "invert")).toThrow(
      "a 4×2 grey image needs width·height·1 = 8",
    );
    expect(() => k.run({ width: 4, height: 2, channels: 2 as 1, data: new Uint8Array(16) }, "invert")).toThrow(
      "image.channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got 2",
    );
  });
});

// run() takes a pipeline of point ops alone band by band (kernels/src/run-image.ts); runWindow
// runs the whole image at once, so the two meet only if banding changes no byte.
describe("point ops run band by band with the bytes of a whole-image run", () => {
  const POINT_PIPELINES = [
    "invert",
    "gamma(gamma=2.2) | contrast(factor=1.5)",
    "sepia | brightness(delta=-20) | threshold(value=90)",
  ];
  for (const pipeline of POINT_PIPELINES) {
    it(`${pipeline}: every photo`, async () => {
      for (const name of photos) {
        const image = await loadPhoto(name);
        // Taller than one band (128 KB of RGBA), or the check would prove nothing.
        expect(image.height * image.width * 4).toBeGreaterThan(2 * 128 * 1024);
        const whole = { x: 0, y: 0, width: image.width, height: image.height };
        const target = { width: image.width, height: image.height, data: new Uint8ClampedArray(image.data.length) };
        k.runWindow(image, whole, whole, pipeline, target, { x: 0, y: 0 });
        const banded = k.run(image, pipeline);
        expectSame(banded.data, target.data, image.width * 4, `${name} ${pipeline}`);
      }
    });
  }
});
