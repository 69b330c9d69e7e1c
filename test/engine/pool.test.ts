import { crop, parsePipeline } from "@tessera/kernels";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KernelPool, type PoolOptions } from "../../workers/pool.js";
import type { SharedPixels } from "../../workers/pool-messages.js";
import { loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

/** A copy of `image` in shared memory, or a blank shared image of the given size. */
function shared(image: { width: number; height: number; data?: Uint8ClampedArray }): SharedPixels {
  const data = new Uint8ClampedArray(new SharedArrayBuffer(image.width * image.height * 4));
  if (image.data) data.set(image.data);
  return { width: image.width, height: image.height, data };
}

/** A task that runs `pipeline` over the whole of `source`, into a blank target of its size. */
const wholeTask = (source: SharedPixels, pipeline: string) => {
  const all = { x: 0, y: 0, width: source.width, height: source.height };
  return {
    source,
    window: all,
    core: all,
    target: shared({ width: source.width, height: source.height }),
    at: { x: 0, y: 0 },
    steps: [...parsePipeline(pipeline)],
    histogram: false,
  };
};

// The same tasks on piscina's threads and on the calling thread (an inline pool, for one-tile jobs).
describe.each<[string, PoolOptions]>([
  ["on 2 threads", { threads: 2 }],
  ["inline", { inline: true }],
])("KernelPool %s", (_, options) => {
  let pool: KernelPool;
  beforeAll(async () => {
    pool = await KernelPool.create(options);
  });
  afterAll(() => pool.close());

  it("runs tiles on its threads with the same bytes as the kernels in this thread, each into its own place", async () => {
    const k = await kernels();
    const image = await loadPhoto("coffee.png", 200);
    const steps = [...parsePipeline("gaussian-blur(sigma=2) | sobel")];
    const source = shared(image);
    const whole = { x: 0, y: 0, width: image.width, height: image.height };
    const core = { x: 10, y: 12, width: 50, height: 40 };
    const want = crop(k.run(image, steps), core);
    // Four tasks write the same core side by side into one shared target, from two threads.
    const target = shared({ width: 200, height: 40 });
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => pool.run({ source, window: whole, core, target, at: { x: 50 * i, y: 0 }, steps, histogram: true })),
    );
    for (const [i, r] of results.entries()) {
      expect(crop(target, { x: 50 * i, y: 0, width: 50, height: 40 }).data).toEqual(want.data);
      expect(r.histogram).toEqual(k.histogram(want));
      expect(r.ms).toBeGreaterThanOrEqual(0);
    }
    expect(source.data).toEqual(image.data); // the input is only read
  });

  it("touches a shared buffer's pages without changing a byte, also while this thread writes it", async () => {
    const buffer = new SharedArrayBuffer(64 * 4096 + 100);
    const bytes = new Uint8Array(buffer);
    for (let i = 0; i < bytes.length; i += 1000) bytes[i] = (i / 1000) % 251 || 7; // page starts among them
    bytes[4096 * 3] = 42;
    const before = bytes.slice();
    const touched = pool.run({ kind: "touch", buffer });
    bytes[4096 * 5] = 9; // written as the thread touches: the touch writes only where it finds 0, and only 0
    before[4096 * 5] = 9;
    expect((await touched).ms).toBeGreaterThanOrEqual(0);
    expect(bytes).toEqual(before);
  });

  it("reads the window where the task says, in source coordinates", async () => {
    const k = await kernels();
    const image = await loadPhoto("coins.png");
    const window = { x: 30, y: 20, width: 64, height: 48 };
    const core = { x: 4, y: 4, width: 56, height: 40 };
    const target = shared({ width: 56, height: 40 });
    const steps = [...parsePipeline("gaussian-blur(sigma=1)")];
    await pool.run({ source: shared(image), window, core, target, at: { x: 0, y: 0 }, steps, histogram: false });
    expect(target.data).toEqual(crop(k.run(crop(image, window), steps), core).data);
  });

  it("refuses buffers that are not shared: the thread would write into a copy", async () => {
    const image = { width: 2, height: 2, data: new Uint8ClampedArray(16) };
    const task = { window: { x: 0, y: 0, width: 2, height: 2 }, core: { x: 0, y: 0, width: 2, height: 2 }, at: { x: 0, y: 0 } };
    const steps = [...parsePipeline("invert")];
    await expect(pool.run({ ...task, source: image, target: shared(image), steps, histogram: false })).rejects.toThrow(
      "task.source.data must be a view of a SharedArrayBuffer",
    );
    await expect(pool.run({ ...task, source: shared(image), target: image, steps, histogram: false })).rejects.toThrow(
      "task.target.data must be a view of a SharedArrayBuffer",
    );
  });

  it("rejects a task with a broken source, and keeps working", async () => {
    const bad = wholeTask({ width: 2, height: 2, data: new Uint8ClampedArray(new SharedArrayBuffer(12)) }, "invert");
    await expect(pool.run(bad)).rejects.toThrow("source.data has 12 bytes; a 2×2 RGBA image needs width·height·4 = 16");
    await pool.run({ ...bad, source: shared({ width: 2, height: 2 }) });
    expect([...bad.target.data.subarray(0, 4)]).toEqual([255, 255, 255, 0]);
  });

  it("passes the core through when a stage has no tile steps", async () => {
    const source = shared({ width: 3, height: 1, data: new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) });
    const target = shared({ width: 2, height: 1 });
    const window = { x: 0, y: 0, width: 3, height: 1 };
    const r = await pool.run({
      source,
      window,
      core: { x: 1, y: 0, width: 2, height: 1 },
      target,
      at: { x: 0, y: 0 },
      steps: [],
      histogram: true,
    });
    expect([...target.data]).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(r.histogram?.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("calls a module's function by name on its thread, sharing shared memory, and rejects a name not exported", async () => {
    const module = new URL("../helpers/pool-call.mjs", import.meta.url);
    const cells = new Int32Array(new SharedArrayBuffer(4));
    const { threadId } = await pool.call<{ threadId: number }>(module, "mark", { cells, value: 7 });
    expect(cells[0]).toBe(7);
    expect(threadId === 0).toBe(pool.threads === 1 && options.inline === true); // the main thread's id is 0
    await expect(pool.call(module, "missing", {})).rejects.toThrow(/no (handler )?function/i);
    await expect(pool.call(module, "mark", { cells, value: 8 })).resolves.toBeDefined();
    expect(cells[0]).toBe(8);
  });

  it("validates its options", async () => {
    await expect(KernelPool.create({ threads: 0 })).rejects.toThrow("options.threads must be a positive integer, got 0");
  });

  it("does not start a task whose signal has aborted, and counts the tasks waiting", async () => {
    const task = wholeTask(shared({ width: 64, height: 64 }), "invert");
    const aborted = AbortSignal.abort();
    await expect(pool.run(task, aborted)).rejects.toThrow(/abort/i);
    const runs = [0, 1, 2, 3, 4, 5].map(() => pool.run(task));
    if (options.inline) expect(pool.queued).toBe(6); // none has had its turn yet
    await Promise.all(runs);
    expect(pool.queued).toBe(0);
    expect(pool.utilization).toBeGreaterThanOrEqual(0);
    expect(pool.utilization).toBeLessThanOrEqual(1);
  });
});
