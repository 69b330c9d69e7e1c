/**
 * The kernel pool without threads: tasks run on the calling thread, one at a time, through the
 * same task function as a pool thread (tile-task.js) over an instance of the kernels of its
 * own. For a job too small to repay a thread's boot; a task blocks this thread's event loop
 * while its kernels run, which one tile's worth of work can afford.
 */

import { setImmediate as nextTurn } from "node:timers/promises";
import { loadKernels } from "@tessera/kernels";
import type { PoolTask, TileTaskResult } from "./pool-messages.js";
import { tileTask } from "./tile-task.js";

export class InlineRunner {
  private busyMs = 0;
  private readonly started = performance.now();
  /** The last task's end: each task waits for the one before it, as on a single thread. */
  private last: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Tasks handed in and not started yet. */
  private waiting = 0;

  private constructor(private readonly runTile: (task: PoolTask) => TileTaskResult | Promise<TileTaskResult>) {}

  static async create(module: WebAssembly.Module): Promise<InlineRunner> {
    return new InlineRunner(tileTask(await loadKernels(module)));
  }

  run(task: PoolTask, signal?: AbortSignal): Promise<TileTaskResult> {
    return this.inTurn(() => this.runTile(task), signal);
  }

  /** KernelPool.call, here. */
  call(module: URL, name: string, arg: unknown): Promise<unknown> {
    return this.inTurn(async () => {
      const fn = (await import(module.href))[name];
      if (typeof fn !== "function") throw new TypeError(`${module.href} exports no function ${name}`);
      return fn(arg);
    });
  }

  private inTurn<T>(work: () => T | Promise<T>, signal?: AbortSignal): Promise<T> {
    this.waiting++;
    const turn = this.last.then(async () => {
      // A turn of the event loop first, so whoever queued the task carries on (reads, sends)
      // before the kernels take the thread, as it would with a pool thread.
      await nextTurn();
      this.waiting--;
      if (this.closed) throw new Error("the kernel pool is closed");
      signal?.throwIfAborted();
      const t = performance.now();
      try {
        return await work();
      } finally {
        this.busyMs += performance.now() - t;
      }
    });
    this.last = turn.catch(() => undefined);
    return turn;
  }

  /** Fraction of this thread's time spent in tasks since the runner started (0..1). */
  get utilization(): number {
    return Math.min(1, this.busyMs / Math.max(1, performance.now() - this.started));
  }

  /** Tasks waiting for the one running before them. */
  get queued(): number {
    return this.waiting;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.last;
  }
}
