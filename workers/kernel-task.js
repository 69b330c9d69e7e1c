// One pool thread: one WebAssembly instance of the kernels, instantiated from the module the
// main thread compiled once. Plain JavaScript so the same file runs under vitest (from source)
// and from the build; its message types are in pool-messages.ts. It imports nothing but the
// kernels (a thread's start-up is part of every one-shot `tessera process`).

import { workerData } from "node:worker_threads";
import { loadKernels } from "@tessera/kernels";

/** @type {import("./pool-messages.js").ThreadData} */
const data = workerData;
const kernels = await loadKernels(data.module);

/**
 * Reads the tile's window from the shared source and writes its core into the shared target
 * (runWindow copies the window into wasm memory first, then the core out). A stage can have
 * no tile steps (a pipeline that starts with a histogram op): the core is then copied as it
 * is, and its histogram counted. An analysis tile (the last stage of a pipeline ending in an
 * analysis op) answers with the op's partial for its core instead of writing pixels.
 *
 * @param {import("./pool-messages.js").TileTask} task
 * @returns {import("./pool-messages.js").TileTaskResult}
 */
export default function runTile(task) {
  const started = performance.now();
  if (task.analysis) {
    // An analysis tile: the image steps, then the op on the luma around the core; no pixels out.
    const partial = kernels.analyseWindow(task.source, task.window, task.core, task.steps, task.analysis);
    return { ms: performance.now() - started, partial };
  }
  const histogram = kernels.runWindow(task.source, task.window, task.core, task.steps, task.target, task.at, {
    histogram: task.histogram,
  });
  return { ms: performance.now() - started, ...(histogram && { histogram }) };
}
