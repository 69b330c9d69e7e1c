// What one kernel task does, given an instance of the kernels. Shared by the pool threads
// (kernel-task.js: one instance per thread) and the inline pool (pool.ts: the calling thread,
// for a job too small to be worth a thread's boot). Plain JavaScript so that a thread can load
// it from source under vitest as from the build; its message types are in pool-messages.ts.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The task function over `kernels`. A tile task reads its window from the source and writes its
 * core into the target (runWindow copies the window into wasm memory first, then the core out).
 * A stage can have no tile steps (a pipeline that starts with a histogram op): the core is then
 * copied as it is, and its histogram counted. An analysis tile (the last stage of a pipeline
 * ending in an analysis op) answers with the op's partial for its core instead of writing
 * pixels. A detection task runs a model on one window's input (runDetect).
 *
 * @param {import("@tessera/kernels").Kernels} kernels
 * @returns {(task: import("./pool-messages.js").PoolTask) => import("./pool-messages.js").TileTaskResult | Promise<import("./pool-messages.js").TileTaskResult>}
 */
export function tileTask(kernels) {
  return (task) => {
    if (task.kind === "detect") return runDetect(task);
    if (task.kind === "touch") return touch(task.buffer);
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
  };
}

/** See TouchTask: one write access per page, changing nothing. @param {SharedArrayBuffer} buffer */
function touch(buffer) {
  const started = performance.now();
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i += 4096) Atomics.compareExchange(bytes, i, 0, 0);
  return { ms: performance.now() - started };
}

/** @type {Promise<typeof import("./detect/index.js")> | undefined} */
let detect;

/**
 * The compiled detection module, from wherever this file runs: beside it in the build
 * (dist/workers/), one level up and over from the CLI bundle (dist/bundle/, for the inline
 * pool), or the build's copy when it runs from source (vitest: a thread cannot import the .ts).
 */
function detectModule() {
  const candidates = ["./detect/index.js", "../workers/detect/index.js", "../dist/workers/detect/index.js"];
  const found = candidates.map((p) => new URL(p, import.meta.url)).find((url) => existsSync(fileURLToPath(url)));
  return (found ?? new URL(candidates[0], import.meta.url)).href;
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
