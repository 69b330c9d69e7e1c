// One pool thread: one WebAssembly instance of the kernels, instantiated from the module the
// main thread compiled once. Plain JavaScript so the same file runs under vitest (from source)
// and from the build; its message types are in pool-messages.ts. At start it imports nothing but
// the kernels (a thread's start-up is part of every one-shot `tessera process`); the detectors
// (workers/detect, and tfjs behind it) are imported on the first detection task only.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
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
 * analysis op) answers with the op's partial for its core instead of writing pixels. A
 * detection task runs a model on one window's input (runDetect).
 *
 * @param {import("./pool-messages.js").PoolTask} task
 * @returns {import("./pool-messages.js").TileTaskResult | Promise<import("./pool-messages.js").TileTaskResult>}
 */
export default function runTile(task) {
  if (task.kind === "detect") return runDetect(task);
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

/** @type {Promise<typeof import("./detect/index.js")> | undefined} */
let detect;

/**
 * The compiled detection module. Beside this file when it runs from the build (dist/workers/,
 * which dist/bundle/ uses too); when it runs from source (vitest), only the .ts is beside it, and
 * a thread cannot import TypeScript, so the build's copy is used (`npm run build` makes it).
 */
function detectModule() {
  const beside = new URL("./detect/index.js", import.meta.url);
  return existsSync(fileURLToPath(beside)) ? beside.href : new URL("../dist/workers/detect/index.js", import.meta.url).href;
}

/**
 * One window through its detector: the model is loaded once per thread (loadDetector caches
 * it; the first window also pays its load). A failed import is not kept, so a retry tries again.
 *
 * @param {import("./pool-messages.js").DetectTask} task
 */
async function runDetect(task) {
  const started = performance.now();
  if (!detect) {
    detect = import(detectModule());
    detect.catch(() => {
      detect = undefined;
    });
  }
  const mod = await detect;
  const detector = await mod.loadDetector(task.params.op === "detect-objects" ? "objects" : "faces");
  const detections = await mod.detectInput(detector, task.input, task.content, task.window, task.params);
  return { ms: performance.now() - started, detections };
}
