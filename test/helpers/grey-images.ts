// Grey (one byte a pixel) test images for the analysis ops: grey versions of the photographs,
// deterministic noise and synthetic binary shapes.

import type { GreyImage } from "@tessera/kernels";
import { loadPhoto, randomBytes } from "./images.js";

/**
 * A grey version of a photograph, downscaled to fit `maxSide` if larger. `rec709`: R = G = B =
 * its Rec.709 luma, rounded (byte for byte our grayscale op's default); `red`: its red channel.
 */
export async function greyPhoto(name: string, maxSide = 1024, luma: "rec709" | "red" = "rec709"): Promise<GreyImage> {
  const full = await loadPhoto(name);
  const rgba = Math.max(full.width, full.height) > maxSide ? await loadPhoto(name, maxSide) : full;
  const d = rgba.data;
  const data = new Uint8Array(rgba.width * rgba.height);
  for (let i = 0; i < data.length; i++) {
    data[i] =
      luma === "red"
        ? (d[4 * i] ?? 0)
        : Math.floor((2 * (2126 * (d[4 * i] ?? 0) + 7152 * (d[4 * i + 1] ?? 0) + 722 * (d[4 * i + 2] ?? 0)) + 10000) / 20000);
  }
  return { width: rgba.width, height: rgba.height, data };
}

/** Deterministic noise (xorshift32 bytes from `seed`). */
export const noise = (width: number, height: number, seed: number): GreyImage => ({
  width,
  height,
  data: new Uint8Array(randomBytes(width * height, seed)),
});

/** A binary image: 255 where `on`, 0 elsewhere. */
export const synthetic = (width: number, height: number, on: (x: number, y: number) => boolean): GreyImage => {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = on(x, y) ? 255 : 0;
  return { width, height, data };
};
