import { crop, parsePipeline } from "@tessera/kernels";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KernelPool } from "../../workers/pool.js";
import { loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

describe("KernelPool", () => {
  let pool: KernelPool;
  beforeAll(async () => {
    pool = await KernelPool.create({ threads: 2 });
  });
  afterAll(() => pool.close());

  it("runs tiles on its threads with the same bytes as the kernels in this thread", async () => {
    const k = await kernels();
    const image = await loadPhoto("coffee.png", 200);
    const steps = [...parsePipeline("gaussian-blur(sigma=2) | sobel")];
    const core = { x: 10, y: 12, width: 50, height: 40 };
    const want = crop(k.run(image, steps), core);
    const results = await Promise.all(
      [0, 1, 2, 3].map(() => pool.run({ window: { ...image, data: image.data.slice() }, core, steps, histogram: true })),
    );
    for (const r of results) {
      expect(r.core.width * r.core.height).toBe(50 * 40);
      expect(r.core.data).toEqual(want.data);
      expect(r.histogram).toEqual(k.histogram(want));
      expect(r.ms).toBeGreaterThanOrEqual(0);
    }
  });

  it("moves the window's buffer to the thread and back, with the core at its start", async () => {
    const image = await loadPhoto("coins.png");
    const window = { ...image, data: image.data.slice() };
    const r = await pool.run({
      window,
      core: { x: 0, y: 0, width: 8, height: 8 },
      steps: [...parsePipeline("invert")],
      histogram: false,
    });
    expect(window.data.byteLength).toBe(0); // detached: it moved to the thread
    expect(r.core.data.buffer.byteLength).toBe(image.data.length); // the same buffer, back
    expect(r.core.data.byteOffset).toBe(0);
    expect([...r.core.data.subarray(0, 3)]).toEqual([...image.data.subarray(0, 3)].map((v) => 255 - v));
  });

  it("rejects a task with a broken window, and keeps working", async () => {
    const bad = {
      window: { width: 2, height: 2, data: new Uint8ClampedArray(12) },
      core: { x: 0, y: 0, width: 2, height: 2 },
      steps: [...parsePipeline("invert")],
      histogram: false,
    };
    await expect(pool.run(bad)).rejects.toThrow("source.data has 12 bytes; a 2×2 RGBA image needs width·height·4 = 16");
    const ok = await pool.run({ ...bad, window: { width: 2, height: 2, data: new Uint8ClampedArray(16) } });
    expect([...ok.core.data.subarray(0, 4)]).toEqual([255, 255, 255, 0]);
  });

  it("passes the core through when a stage has no tile steps", async () => {
    const window = { width: 3, height: 1, data: new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) };
    const r = await pool.run({ window, core: { x: 1, y: 0, width: 2, height: 1 }, steps: [], histogram: true });
    expect([...r.core.data]).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(r.histogram?.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("validates its options", async () => {
    await expect(KernelPool.create({ threads: 0 })).rejects.toThrow("options.threads must be a positive integer, got 0");
  });
});
