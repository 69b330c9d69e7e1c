// The thread count `tessera process` starts before sharp is loaded: no more than the image has
// tiles, from the size a PNG or JPEG states in its header (checked against sharp's reading).

import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { poolFor, statedSize, threadsFor } from "../../cli/pool-size.js";
import { PHOTO_DIR, photoNames } from "../helpers/images.js";

describe("the pool's size for an input", () => {
  it.each(photoNames())("reads %s's size as sharp does, or leaves it to sharp", async (name) => {
    const bytes = await readFile(`${PHOTO_DIR}${name}`);
    const meta = await sharp(bytes).metadata();
    const size = statedSize(bytes);
    // Both formats of the fixtures state it; sharp's width and height are before EXIF rotation too.
    expect(size).toEqual({ width: meta.width, height: meta.height });
  });

  it("starts no more threads than the image has tiles, and all of them when it cannot tell", async () => {
    // coffee.png is 600×400: two 512-px tiles, six 200-px ones.
    await expect(threadsFor(`${PHOTO_DIR}coffee.png`, 16, 512)).resolves.toBe(2);
    await expect(threadsFor(`${PHOTO_DIR}coffee.png`, 16, 200)).resolves.toBe(6);
    await expect(threadsFor(`${PHOTO_DIR}coffee.png`, 1, 200)).resolves.toBe(1);
    await expect(threadsFor(`${PHOTO_DIR}missing.png`, 16, 512)).resolves.toBe(16);
    expect(statedSize(new TextEncoder().encode("not an image at all"))).toBeUndefined();
  });

  it("starts no thread for an image of one tile: its kernels run on the main thread", async () => {
    await expect(poolFor(`${PHOTO_DIR}coffee.png`, 16, 600)).resolves.toEqual({ threads: 1, inline: true });
    await expect(poolFor(`${PHOTO_DIR}coffee.png`, 16, 512)).resolves.toEqual({ threads: 2, inline: false });
    // --threads 1 on a larger image keeps its one thread: the main thread cuts and sends meanwhile.
    await expect(poolFor(`${PHOTO_DIR}coffee.png`, 1, 200)).resolves.toEqual({ threads: 1, inline: false });
    await expect(poolFor(`${PHOTO_DIR}missing.png`, 16, 512)).resolves.toEqual({ threads: 16, inline: false });
  });
});
