// convolve's integer path (convolveInt): for kernels whose f32 weights are integers times 2^-p
// the kernels sum in 16- or 32-bit integer lanes, and for power-of-two scales end with a shift
// instead of f32 arithmetic. It must give exactly the bytes of the definition: each case below
// is checked byte for byte against the float64 reference on every photograph, and first
// checked to really take the integer path it is named after (the plan is what the executor
// passes to the kernel), so a change that quietly falls back to the float path fails here.

import type { Kernels } from "@tessera/kernels";
import { beforeAll, describe, expect, it } from "vitest";
import { type ConvolvePlan, convolvePlan } from "../../kernels/dist/convolve-plan.js";
import { compare, describe as describeDiff, edgeCaseImages, loadPhoto, photoNames, type TestImage } from "../helpers/images.ts";
import { kernels } from "../helpers/kernels.ts";
import { reference } from "./reference.ts";

let k: Kernels;
beforeAll(async () => {
  k = await kernels();
});

const binomial5 = [1, 4, 6, 4, 1].flatMap((a) => [1, 4, 6, 4, 1].map((b) => a * b));
/** An asymmetric 5×5 integer kernel with negative weights (catches a flipped or shifted tap). */
const signed5 = [3, -1, 0, 2, -4, 1, 5, -2, 0, 1, -3, 2, 9, -1, 0, 0, -2, 1, 4, -1, 2, 0, -1, 1, -3];
/** A 5×5 derivative-of-binomial kernel, u(x)·v(y) with negative u: separable, signed. */
const sobel5 = [1, 4, 6, 4, 1].flatMap((a) => [1, 2, 0, -2, -1].map((b) => a * b));
/** Large weights: Σ|j|·255 does not fit 16 bits, so the sums go to i32 lanes. */
const large5 = signed5.map((v, i) => v * 97 + (i === 12 ? 400 : 0));

interface Case {
  name: string;
  kernel: number[];
  divisor?: number;
  offset?: number;
  /** The accumulator lanes and the end the plan must choose: i16/u16/i32, shift or f32. */
  lanes: ConvolvePlan["lanes"];
  shift: boolean;
  /** Run as a horizontal and a vertical pass (u(x)·v(y)). */
  separable?: boolean;
}

const I16 = 0;
const U16 = 1;
const I32 = 2;

const CASES: Case[] = [
  { name: "3×3 sharpen (negative weights, scale 1)", kernel: [0, -1, 0, -1, 5, -1, 0, -1, 0], lanes: I16, shift: true },
  {
    name: "3×3 edges, sum 0, offset 128",
    kernel: [-1, -1, -1, -1, 8, -1, -1, -1, -1],
    offset: 128,
    lanes: I16,
    shift: true,
  },
  { name: "3×3 emboss (asymmetric)", kernel: [-2, -1, 0, -1, 1, 1, 0, 1, 2], lanes: I16, shift: true },
  { name: "3×3 binomial /16", kernel: [1, 2, 1, 2, 4, 2, 1, 2, 1], lanes: I16, shift: true },
  {
    name: "3×3 binomial /16, offset −0.5 (libvips' floor)",
    kernel: [1, 2, 1, 2, 4, 2, 1, 2, 1],
    offset: -0.5,
    lanes: I16,
    shift: true,
  },
  { name: "3×3 ones /10 + 5 (f32 end)", kernel: [1, 1, 1, 1, 1, 1, 1, 1, 1], divisor: 10, offset: 5, lanes: I16, shift: false },
  {
    name: "3×3 ones, divisor −9, offset 255",
    kernel: [1, 1, 1, 1, 1, 1, 1, 1, 1],
    divisor: -9,
    offset: 255,
    lanes: I16,
    shift: false,
  },
  {
    name: "3×3 dyadic weights ×0.5 scale, offset −3.25",
    kernel: [0.0625, 0.125, 0.0625, 0.125, 0.25, 0.125, 0.0625, 0.125, 0.0625],
    divisor: 0.5,
    offset: -3.25,
    lanes: I16,
    shift: true,
  },
  { name: "5×5 binomial /256 (u16 sums, separable)", kernel: binomial5, lanes: U16, shift: true, separable: true },
  {
    name: "5×5 binomial /250 + 3 (u16, f32 end, separable)",
    kernel: binomial5,
    divisor: 250,
    offset: 3,
    lanes: U16,
    shift: false,
    separable: true,
  },
  {
    name: "5×5 signed separable /−4 + 100 (sign folded)",
    kernel: sobel5,
    divisor: -4,
    offset: 100,
    lanes: I16,
    shift: true,
    separable: true,
  },
  { name: "5×5 signed separable, offset 128", kernel: sobel5, offset: 128, lanes: I16, shift: true, separable: true },
  { name: "5×5 signed /7 − 20", kernel: signed5, divisor: 7, offset: -20, lanes: I16, shift: false },
  { name: "5×5 signed /−4 + 1.25", kernel: signed5, divisor: -4, offset: 1.25, lanes: I16, shift: true },
  { name: "5×5 large weights /2048 (i32 sums)", kernel: large5, divisor: 2048, offset: 100, lanes: I32, shift: true },
  {
    name: "5×5 large weights /−300 + 12.5 (i32, f32 end)",
    kernel: large5,
    divisor: -300,
    offset: 12.5,
    lanes: I32,
    shift: false,
  },
];

const divisorOf = (c: Case): number => c.divisor ?? (c.kernel.reduce((a, b) => a + b, 0) || 1);

function check(c: Case, image: TestImage): void {
  const got = k.run(image, [{ op: "convolve", kernel: c.kernel, divisor: c.divisor ?? null, offset: c.offset ?? 0 }]);
  const want = reference(image, "convolve", { kernel: c.kernel, divisor: c.divisor ?? null, offset: c.offset ?? 0 });
  const diff = compare(got.data, want, image.width, 0);
  expect(diff.count, `${c.name} on ${image.name} ${image.width}×${image.height}: ${describeDiff(diff)}`).toBe(0);
}

describe("convolve's integer path equals the float64 reference byte for byte", () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it("takes the integer path it is named after", () => {
        const plan = convolvePlan(c.kernel, divisorOf(c), c.offset ?? 0);
        expect(plan, "integer plan").not.toBeNull();
        expect(plan?.lanes).toBe(c.lanes);
        expect((plan?.shift ?? -1) >= 0).toBe(c.shift);
        expect(plan?.separable !== undefined, "separable").toBe(c.separable ?? false);
      });
      for (const name of photoNames()) {
        it(name, async () => check(c, await loadPhoto(name, 256)));
      }
      it("edge-case images (1×1, 1×N, N×1, odd widths, constant, transparent)", () => {
        for (const image of edgeCaseImages()) check(c, image);
      });
    });
  }

  it("the 3×3 sharpen kernel at full size on every photograph", async () => {
    for (const name of photoNames()) check(CASES[0] as Case, await loadPhoto(name));
  });

  it("kernels that are not integers times 2^-p keep the float path", () => {
    expect(convolvePlan([0.1, 0.2, 0.1, 0.2, 0.4, 0.2, 0.1, 0.2, 0.1], 1, 0)).toBeNull();
    // Σ|j|·255 ≥ 2^24: the float path's sums are no longer exact, so integers would not match it.
    expect(convolvePlan([70000, 0, 0, 0, 1, 0, 0, 0, 0], 1, 0)).toBeNull();
  });
});
