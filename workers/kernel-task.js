// One pool thread: one WebAssembly instance of the kernels, instantiated from the module the
// main thread compiled once, running tile-task.js. At start it imports nothing but the kernels
// (a thread's start-up is part of every one-shot `tessera process`); the detectors
// (workers/detect, and tfjs behind it) are imported on the first detection task only.

import { workerData } from "node:worker_threads";
import { loadKernels } from "@tessera/kernels";
import { tileTask } from "./tile-task.js";

/** @type {import("./pool-messages.js").ThreadData} */
const data = workerData;

export default tileTask(await loadKernels(data.module));
