// The rows of bench/kernels.bench.js and what every contender's process needs to run them: the
// same 12 MP input, made the same way in each, and the check that a peer did the same work.

import { fileURLToPath } from "node:url";
import { parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
// The colour ops' matrices, from the package's own executors, so the peers get the same numbers.
import { colourMatrix } from "../kernels/dist/exec.js";
import { BINOMIAL5 } from "./peers-libs.js";

/**
 * Rows: name, Tessera pipeline, the input (`rgba` or `grey`) and output channels, and the key
 * of the peers' equivalents (peers-libs.js). Peers that lack an op leave a "–".
 */
export const ROWS = [
  { name: "gaussian-blur σ=2", key: "gaussian", pipeline: "gaussian-blur(sigma=2)" },
  { name: "box-blur r=1", key: "box", pipeline: "box-blur(radius=1)" },
  { name: "median r=1", key: "median", pipeline: "median(radius=1)" },
  { name: "sharpen σ=1", key: "sharpen", pipeline: "sharpen(sigma=1)" },
  { name: "convolve 3×3 sharpen", key: "convolve3", pipeline: "convolve(kernel=[0,-1,0,-1,5,-1,0,-1,0])" },
  // libvips truncates Σ/256; offset −0.5 turns our rounding into the same floor (DESIGN.md).
  { name: "convolve 5×5 binomial", key: "convolve5", pipeline: `convolve(kernel=[${BINOMIAL5}], offset=-0.5)` },
  { name: "sobel (grey)", key: "sobel", pipeline: "sobel", input: "grey", channels: 1 },
  { name: "prewitt → grey", key: "prewitt", pipeline: "prewitt", channels: 1 },
  { name: "scharr (grey)", key: "scharr", pipeline: "scharr", input: "grey", channels: 1 },
  { name: "laplacian (grey)", key: "laplacian", pipeline: "laplacian", input: "grey", channels: 1 },
  { name: "canny → grey", key: "canny", pipeline: "canny(low=50, high=150, sigma=1.4)", channels: 1 },
  { name: "grayscale rec601 → grey", key: "grayscale", pipeline: "grayscale(mode=rec601)", channels: 1 },
  { name: "grayscale average", key: "grayscale-average", pipeline: "grayscale(mode=average)" },
  { name: "invert", key: "invert", pipeline: "invert" },
  { name: "brightness +37", key: "brightness", pipeline: "brightness(delta=37)" },
  { name: "contrast 1.5", key: "contrast", pipeline: "contrast(factor=1.5)" },
  { name: "gamma 2.2", key: "gamma", pipeline: "gamma(gamma=2.2)" },
  { name: "posterize 4", key: "posterize", pipeline: "posterize(levels=4)" },
  { name: "saturation 2", key: "saturation", pipeline: "saturation(factor=2)" },
  { name: "hue-rotate 90°", key: "hue-rotate", pipeline: "hue-rotate(degrees=90)" },
  { name: "sepia", key: "sepia", pipeline: "sepia" },
  { name: "threshold 128 (grey)", key: "threshold", pipeline: "threshold(value=128)", input: "grey", channels: 1 },
  { name: "equalize (grey)", key: "equalize", pipeline: "equalize", input: "grey", channels: 1 },
  { name: "normalize 1–99% (grey)", key: "normalize", pipeline: "normalize(low=1, high=99)", input: "grey", channels: 1 },
  { name: "otsu-threshold (grey)", key: "otsu-threshold", pipeline: "otsu-threshold", input: "grey", channels: 1 },
];

/** The rows whose name contains `only` (all without it). */
export const selectRows = (only) => ROWS.filter((row) => !only || row.name.includes(only));

const params = (text) => parsePipeline(text)[0]?.params ?? {};

/** The colour ops' matrices, for the peers that take one. */
export const MATRICES = {
  saturation: colourMatrix("saturation", params("saturation(factor=2)")),
  "hue-rotate": colourMatrix("hue-rotate", params("hue-rotate(degrees=90)")),
  sepia: colourMatrix("sepia", params("sepia")),
};

/**
 * The input: the photo resized to width × height as RGBA, and its grey form (its luma, as
 * Tessera's own grayscale computes it), for the rows whose peers take a grey image.
 */
export async function makeInput(kernels, { photo, width, height }) {
  const path = fileURLToPath(new URL(`../test/fixtures/images/${photo}`, import.meta.url));
  const { data } = await sharp(path)
    .resize(width, height, { fit: "fill" })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rgba = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const grey = kernels.run({ width, height, data: rgba }, "grayscale", { channels: 1 }).data;
  return { width, height, rgba, grey: new Uint8Array(grey.buffer, grey.byteOffset, grey.length) };
}

/** The row's image, as Tessera's run() takes it, and the options for its output channels. */
export function rowImage(row, input) {
  const { width, height } = input;
  const image = row.input === "grey" ? { width, height, channels: 1, data: input.grey } : { width, height, data: input.rgba };
  const channels = row.channels ?? 4;
  return { image, options: channels === 4 ? {} : { channels }, channels };
}

/**
 * Largest |a − b| per byte of a width × height image; with 4 channels only R, G, B are
 * compared; with `interior`, the outermost pixels are left out.
 */
export function maxDiff(a, b, { width, height }, channels, interior = false) {
  if (a.length !== b.length) return `size ${b.length} ≠ ${a.length}`;
  const skip = interior ? 1 : 0;
  let max = 0;
  for (let y = skip; y < height - skip; y++) {
    for (let i = (y * width + skip) * channels; i < ((y + 1) * width - skip) * channels; i++) {
      if (channels === 4 && (i & 3) === 3) continue;
      const d = Math.abs(a[i] - b[i]);
      if (d > max) max = d;
    }
  }
  return max;
}
