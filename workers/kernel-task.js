// One pool thread: one WebAssembly instance of the kernels, instantiated from the module the
// main thread compiled once. Plain JavaScript so the same file runs under vitest (from source)
// and from the build; its message types are in pool-messages.ts.

import { workerData } from "node:worker_threads";
import { loadKernels } from "@tessera/kernels";
import { move, transferableSymbol, valueSymbol } from "piscina";

/** @type {import("./pool-messages.js").ThreadData} */
const data = workerData;
const kernels = await loadKernels(data.module);

/**
 * @param {import("./pool-messages.js").TileTask} task
 * @returns {import("./pool-messages.js").TileTaskResult}
 */
export default function runTile(task) {
  const started = performance.now();
  const { window, core } = task;
  // The core goes back in the window's own buffer: the kernels copy the window into wasm
  // memory first, so it may be overwritten. A stage can have no tile steps (a pipeline that
  // starts with a histogram op): the core is then copied as it is, and its histogram counted.
  const out = {
    width: core.width,
    height: core.height,
    // (Never longer than the window, so that a malformed task fails in the kernels' checks.)
    data: new Uint8ClampedArray(
      window.data.buffer,
      window.data.byteOffset,
      Math.min(window.data.length, core.width * core.height * 4),
    ),
  };
  const whole = { x: 0, y: 0, width: window.width, height: window.height };
  const histogram = kernels.runWindow(
    window,
    whole,
    core,
    task.steps,
    out,
    { x: 0, y: 0 },
    {
      histogram: task.histogram,
    },
  );
  const result = { core: out, ms: performance.now() - started, ...(histogram && { histogram }) };
  // Hand the buffer back without copying: the main thread gives it to the next tile.
  const buffers = histogram ? [window.data.buffer, histogram.buffer] : [window.data.buffer];
  return move({ [transferableSymbol]: buffers, [valueSymbol]: result });
}
