// One pool thread: one WebAssembly instance of the kernels, instantiated from the module the
// main thread compiled once. Plain JavaScript so the same file runs under vitest (from source)
// and from the build; its message types are in pool-messages.ts.

import { workerData } from "node:worker_threads";
import { crop, loadKernels } from "@tessera/kernels";
import { move, transferableSymbol, valueSymbol } from "piscina";

/** @type {import("./pool-messages.js").ThreadData} */
const data = workerData;
const kernels = await loadKernels(data.module);

/**
 * @param {import("./pool-messages.js").TileTask} task
 * @returns {import("./pool-messages.js").TileTaskResult}
 */
export default function runTile(task) {
  // A stage can have no tile steps (a pipeline that starts with a histogram op): the tile
  // then only reports its core and histogram.
  const core = task.steps.length > 0 ? kernels.runRegion(task.window, task.core, task.steps) : crop(task.window, task.core);
  const result = task.histogram ? { core, histogram: kernels.histogram(core) } : { core };
  // Hand both buffers back without copying: piscina transfers what a movable lists.
  const buffers = result.histogram ? [core.data.buffer, result.histogram.buffer] : [core.data.buffer];
  return move({ [transferableSymbol]: buffers, [valueSymbol]: result });
}
