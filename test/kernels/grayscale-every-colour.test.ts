// grayscale on every one of the 2^24 colours, in each mode, as RGBA and as one channel: the
// SIMD kernels compute round-half-up of S/D with an f32 multiply instead of a division
// (greyOfSums in kernels/assembly/pixels.ts), which is exact only because of how far the
// quotient stays from an integer. Photos and ramps cover a sliver of the colours; this covers
// them all, so a change of weights, rounding or constant that breaks the margin fails here.

import type { Kernels } from "@tessera/kernels";
import { beforeAll, describe, expect, it } from "vitest";
import { kernels } from "../helpers/kernels.ts";
import { GREY_MODES } from "./reference.ts";

let k: Kernels;
// 4096 × 4096 pixels: pixel i has R, G, B = the bytes of i, and alpha 255.
const side = 4096;
const every = new Uint8ClampedArray(new Uint32Array(side * side).map((_, i) => (0xff000000 | i) >>> 0).buffer);

beforeAll(async () => {
  k = await kernels();
});

/** The first colour whose grey differs from floor((2S + D) / 2D), described, or null. */
function firstWrong(mode: string, grey: Uint8ClampedArray, channels: 1 | 4): string | null {
  const [wr, wg, wb] = GREY_MODES[mode] as readonly [number, number, number];
  const d = wr + wg + wb;
  for (let i = 0; i < side * side; i++) {
    const r = i & 0xff;
    const g = (i >> 8) & 0xff;
    const b = i >> 16;
    const want = Math.floor((2 * (wr * r + wg * g + wb * b) + d) / (2 * d));
    const at = i * channels;
    const got = channels === 1 ? [grey[at]] : [grey[at], grey[at + 1], grey[at + 2]];
    if (got.some((v) => v !== want) || (channels === 4 && grey[at + 3] !== 255)) {
      return `rgb(${r}, ${g}, ${b}): ${got.join(", ")} instead of ${want}`;
    }
  }
  return null;
}

describe("grayscale is exact on every colour", () => {
  for (const mode of Object.keys(GREY_MODES)) {
    it(`${mode}, RGBA and one channel`, () => {
      const image = { width: side, height: side, data: every };
      expect(firstWrong(mode, k.run(image, `grayscale(mode=${mode})`).data, 4)).toBeNull();
      expect(firstWrong(mode, k.run(image, `grayscale(mode=${mode})`, { channels: 1 }).data, 1)).toBeNull();
    });
  }
});
