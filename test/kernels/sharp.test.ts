// Correctness contract §1, second half: the kernels against sharp/libvips where the two
// definitions coincide, on every photograph in test/fixtures/images.
//
// What libvips does, measured with sharp 0.35.5 / libvips 8.18.7 (and what the tests below
// therefore assert):
//
// - negate({alpha:false}) is 255 − c on the colour bands, alpha kept: invert equals it exactly.
// - conv (sharp's convolve() and the 3×3 blur()) and gaussblur (blur({sigma})) replicate the
//   edge pixels (clamp-to-edge), like the kernels, but convert their result to 8 bits by
//   TRUNCATION, not rounding: convolve({kernel:[1,2,1,2,4,2,1,2,1]}) is floor(Σ/16), where the
//   kernel rounds half up. So, exactly:
//     · kernels whose scale is 1 (emboss, edge detection with an offset) agree byte for byte;
//     · kernels with another scale agree byte for byte with our convolve given offset −0.5
//       (round-half-up of x − 0.5 is floor(x)); with the default offset ours is 0 or 1 above;
//     · box-blur(radius=1) is within 1 of blur() (= floor(Σ/9)), and equals our convolve of
//       nine ones with offset −0.5.
// - blur({sigma, precision:'float', minAmplitude:0.001}) cuts its mask where the gaussian falls
//   below 0.001 (≈ 3.7σ, where ours stops at ceil(3σ)) and truncates: within ±2 of
//   gaussian-blur (DESIGN.md), mostly 0 or +1; a few bytes reach 2 at σ=5, 20 and 50.
// - greyscale() does NOT coincide with grayscale: libvips converts sRGB to linear light,
//   takes the luminance there and encodes it back to sRGB, where grayscale weights the
//   gamma-encoded values (DESIGN.md: "on gamma-encoded values"). On the grey photos (camera,
//   coins, page: R = G = B) both return the input; on colour ones they differ by up to 49
//   levels (hubble_deep_field), 32 (astronaut, retina), 29 (coffee), 17 (rocket), 16 (chelsea),
//   and in most pixels. So it is asserted on grey photos only. recomb() with the Rec.709 /
//   Rec.601 / average rows is the same definition as grayscale, on gamma-encoded values, and
//   is asserted within ±1 (recomb truncates too) on every photo.
// - gamma(g, gammaOut) applies x^(1/(1/g)) = x^g before its resize step and x^(1/gammaOut)
//   after it (both in 1..3, gammaOut defaulting to g: a near round trip, not our op). With
//   gamma(1, γ) it is exactly our gamma(γ) for γ in 1..3, and gamma(γ, 1) our gamma(1/γ);
//   libvips truncates, so within ±1 (ours is 0 or 1 above).
// - recomb(M) applies a 3×3 matrix to the gamma-encoded bands: with the CSS Filter Effects
//   matrices it is sepia and hue-rotate, with luma + s(c − luma) it is saturation; ±1.
//
// sharp premultiplies alpha before conv/blur; the photos are opaque, but to compare the colour
// definitions alone sharp gets 3-band RGB and only R, G, B are compared (alpha has its own
// checks in reference.test.ts).

import type { Kernels, RgbaResult } from "@tessera/kernels";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { compare, describe as describeDiff, edgeCaseImages, loadPhoto, photoNames, type TestImage } from "../helpers/images.ts";
import { kernels } from "../helpers/kernels.ts";
import { GREY_MODES, hueRotateMatrix, sepiaMatrix } from "./reference.ts";

let k: Kernels;
beforeAll(async () => {
  k = await kernels();
});

const photos = photoNames();

type Sharp = ReturnType<typeof sharp>;
type Row = [number, number, number];
type Matrix3 = [Row, Row, Row];

/** R, G, B of an RGBA image as a 3-band raw buffer. */
function rgbOf(image: TestImage): Buffer {
  const n = image.width * image.height;
  const out = Buffer.alloc(n * 3);
  for (let p = 0; p < n; p++) {
    out[p * 3] = image.data[p * 4] ?? 0;
    out[p * 3 + 1] = image.data[p * 4 + 1] ?? 0;
    out[p * 3 + 2] = image.data[p * 4 + 2] ?? 0;
  }
  return out;
}

/**
 * Runs `op` in sharp on the image's RGB (or on its RGBA with `withAlpha`) and returns the result
 * as RGBA with the input's alpha, so it compares with the kernels' output byte for byte.
 */
async function viaSharp(image: TestImage, op: (s: Sharp) => Sharp, withAlpha = false): Promise<Uint8ClampedArray> {
  const input = withAlpha
    ? sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } })
    : sharp(rgbOf(image), { raw: { width: image.width, height: image.height, channels: 3 } });
  const { data, info } = await op(input).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height], `sharp changed the size of ${image.name}`).toEqual([image.width, image.height]);
  const ch = info.channels;
  const out = new Uint8ClampedArray(image.data.length);
  for (let p = 0; p < image.width * image.height; p++) {
    for (let c = 0; c < 3; c++) out[p * 4 + c] = data[p * ch + (ch < 3 ? 0 : c)] ?? 0;
    out[p * 4 + 3] = image.data[p * 4 + 3] ?? 0;
  }
  return out;
}

/** Kernel output with alpha replaced by the input's: sharp's side only has R, G, B. */
const rgbWithInputAlpha = (got: RgbaResult, image: TestImage): Uint8ClampedArray => {
  const out = got.data.slice();
  for (let i = 3; i < out.length; i += 4) out[i] = image.data[i] ?? 0;
  return out;
};

interface Bound {
  /** Largest allowed |ours − sharp|. */
  tolerance: number;
  /** Smallest and largest allowed ours − sharp, where the sign is known (truncation). */
  range?: [number, number];
}

async function agree(image: TestImage, pipeline: readonly object[], op: (s: Sharp) => Sharp, bound: Bound, withAlpha = false) {
  const ours = rgbWithInputAlpha(k.run(image, pipeline), image);
  const theirs = await viaSharp(image, op, withAlpha);
  const where = `${JSON.stringify(pipeline)} vs sharp on ${image.name} ${image.width}×${image.height}`;
  const diff = compare(ours, theirs, image.width, bound.tolerance);
  expect(diff.count, `${where} (tolerance ±${bound.tolerance}): ${describeDiff(diff)}`).toBe(0);
  if (bound.range) {
    const [lo, hi] = bound.range;
    for (let i = 0; i < ours.length; i++) {
      const d = (ours[i] ?? 0) - (theirs[i] ?? 0);
      if (d < lo || d > hi) {
        const p = i >> 2;
        expect.fail(
          `${where}: ours − sharp = ${d} at (${p % image.width},${Math.floor(p / image.width)}) channel ${i & 3}, expected ${lo}..${hi}`,
        );
      }
    }
  }
}

const EXACT: Bound = { tolerance: 0 };
/** libvips truncates where we round half up: ours is the same or one above. */
const TRUNCATED: Bound = { tolerance: 1, range: [0, 1] };

const photo = (name: string, size?: number): Promise<TestImage> => loadPhoto(name, size);

describe("invert = sharp negate({alpha:false})", () => {
  for (const name of photos) {
    it(name, async () => agree(await photo(name), [{ op: "invert" }], (s) => s.negate({ alpha: false }), EXACT, true));
  }
  it("edge-case images, alpha included (transparent pixels keep their alpha)", async () => {
    for (const image of edgeCaseImages()) {
      await agree(image, [{ op: "invert" }], (s) => s.negate({ alpha: false }), EXACT, true);
    }
  });
});

describe("convolve (3×3, integer weights) = sharp convolve()", () => {
  const kernels3: Record<string, { kernel: number[]; offset?: number }> = {
    emboss: { kernel: [-2, -1, 0, -1, 1, 1, 0, 1, 2] }, // scale 1, asymmetric: no flip on either side
    "edges + 128": { kernel: [-1, -1, -1, -1, 8, -1, -1, -1, -1], offset: 128 }, // sum 0 → scale 1
  };
  for (const [what, { kernel, offset = 0 }] of Object.entries(kernels3)) {
    const op = (s: Sharp): Sharp => s.convolve({ width: 3, height: 3, kernel, scale: 1, offset });
    for (const name of photos) {
      it(`${what}: ${name}`, async () => agree(await photo(name), [{ op: "convolve", kernel, offset }], op, EXACT));
    }
    it(`${what}: edge-case images`, async () => {
      for (const image of edgeCaseImages()) await agree(image, [{ op: "convolve", kernel, offset }], op, EXACT);
    });
  }

  // Scale 16: libvips truncates Σ/16, we round it; offset −0.5 turns our rounding into floor.
  const binomial = [1, 2, 1, 2, 4, 2, 1, 2, 1];
  const sharpBinomial = (s: Sharp): Sharp => s.convolve({ width: 3, height: 3, kernel: binomial });
  for (const name of photos) {
    it(`binomial /16: ${name} (exact with offset −0.5; 0..+1 with the default)`, async () => {
      const image = await photo(name);
      await agree(image, [{ op: "convolve", kernel: binomial, offset: -0.5 }], sharpBinomial, EXACT);
      await agree(image, [{ op: "convolve", kernel: binomial }], sharpBinomial, TRUNCATED);
    });
  }
  it("binomial /16: edge-case images", async () => {
    for (const image of edgeCaseImages()) {
      await agree(image, [{ op: "convolve", kernel: binomial, offset: -0.5 }], sharpBinomial, EXACT);
    }
  });
});

describe("box-blur(radius=1) = sharp blur() (the 3×3 mean, truncated)", () => {
  const ones = [1, 1, 1, 1, 1, 1, 1, 1, 1];
  for (const name of photos) {
    it(name, async () => {
      const image = await photo(name);
      await agree(image, [{ op: "box-blur", radius: 1 }], (s) => s.blur(), TRUNCATED);
      await agree(image, [{ op: "convolve", kernel: ones, offset: -0.5 }], (s) => s.blur(), EXACT);
    });
  }
});

describe("gaussian-blur = sharp blur({sigma, precision:'float', minAmplitude:0.001}) ±2", () => {
  const cases: { sigma: number; size?: number }[] = [
    { sigma: 1 },
    { sigma: 2.5 },
    { sigma: 5, size: 256 },
    { sigma: 20, size: 256 },
  ];
  for (const { sigma, size } of cases) {
    const op = (s: Sharp): Sharp => s.blur({ sigma, precision: "float", minAmplitude: 0.001 });
    for (const name of photos) {
      it(`sigma=${sigma}: ${name}${size ? ` (fit ${size})` : ""}`, async () =>
        agree(await photo(name, size), [{ op: "gaussian-blur", sigma }], op, { tolerance: 2 }));
    }
  }
});

describe("grayscale = sharp recomb() with the same weights; sharp greyscale() on grey photos only", () => {
  const rows = (mode: string): Matrix3 => {
    const [r, g, b] = GREY_MODES[mode] ?? [0, 0, 0];
    const d = r + g + b;
    const row: Row = [r / d, g / d, b / d];
    return [row, row, row];
  };
  for (const mode of Object.keys(GREY_MODES)) {
    const size = mode === "rec709" ? undefined : 256;
    for (const name of photos) {
      it(`${mode}: ${name}${size ? ` (fit ${size})` : ""}`, async () =>
        agree(await photo(name, size), [{ op: "grayscale", mode }], (s) => s.recomb(rows(mode)), TRUNCATED));
    }
  }
  it("greyscale() on the grey photographs (where linear-light luminance and grayscale coincide)", async () => {
    for (const name of photos) {
      const image = await photo(name);
      let grey = true;
      for (let i = 0; grey && i < image.data.length; i += 4)
        grey = image.data[i] === image.data[i + 1] && image.data[i] === image.data[i + 2];
      if (grey) await agree(image, [{ op: "grayscale" }], (s) => s.greyscale(), { tolerance: 1 });
    }
  });
});

describe("gamma = sharp gamma(1, γ) and, for γ < 1, sharp gamma(1/γ, 1)", () => {
  const cases: { ours: number; sharpIn: number; sharpOut: number; size?: number }[] = [
    { ours: 2.2, sharpIn: 1, sharpOut: 2.2 },
    { ours: 3, sharpIn: 1, sharpOut: 3, size: 256 },
    { ours: 0.5, sharpIn: 2, sharpOut: 1, size: 256 },
  ];
  for (const { ours, sharpIn, sharpOut, size } of cases) {
    for (const name of photos) {
      it(`gamma=${ours} vs gamma(${sharpIn}, ${sharpOut}): ${name}${size ? ` (fit ${size})` : ""}`, async () =>
        agree(await photo(name, size), [{ op: "gamma", gamma: ours }], (s) => s.gamma(sharpIn, sharpOut), TRUNCATED));
    }
  }
});

describe("colour matrices = sharp recomb() with the same matrix", () => {
  const row = (m: readonly number[], r: number): Row => [m[r * 3] ?? 0, m[r * 3 + 1] ?? 0, m[r * 3 + 2] ?? 0];
  const matrixRows = (m: readonly number[]): Matrix3 => [row(m, 0), row(m, 1), row(m, 2)];
  const saturationMatrix = (s: number): number[] => {
    const [r, g, b] = [0.2126, 0.7152, 0.0722];
    // row i: luma + s·(c_i − luma)
    return [0, 1, 2].flatMap((i) => [r, g, b].map((w, j) => (1 - s) * w + (i === j ? s : 0)));
  };
  const cases: { pipeline: object[]; matrix: number[] }[] = [
    { pipeline: [{ op: "sepia" }], matrix: sepiaMatrix(1) },
    { pipeline: [{ op: "hue-rotate", degrees: 90 }], matrix: hueRotateMatrix(90) },
    { pipeline: [{ op: "saturation", factor: 2 }], matrix: saturationMatrix(2) },
  ];
  for (const { pipeline, matrix } of cases) {
    for (const name of photos) {
      // Negative weights (hue-rotate, saturation > 1) make values below 0, which libvips
      // truncates towards 0 and then clamps: still 0..+1 from our rounding.
      it(`${JSON.stringify(pipeline)}: ${name} (fit 256)`, async () =>
        agree(await photo(name, 256), pipeline, (s) => s.recomb(matrixRows(matrix)), TRUNCATED));
    }
  }
});
