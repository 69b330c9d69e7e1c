// A module KernelPool.call runs a function of in the pool tests: plain JavaScript, since a pool
// thread cannot import TypeScript.

import { threadId } from "node:worker_threads";

/** Writes `value` into the shared `cells` and says which thread it ran on. */
export function mark({ cells, value }) {
  Atomics.store(cells, 0, value);
  return { threadId };
}
