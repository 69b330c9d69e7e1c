/**
 * The kernel pool: piscina threads, each with its own instance of the kernels. The module is
 * compiled once here and handed to every thread (compiling is the slow part; instantiating
 * is cheap). Pixels move in and out by transfer, in buffers the caller recycles.
 */

import { availableParallelism } from "node:os";
import { compileKernels } from "@tessera/kernels";
import { Piscina } from "piscina";
import type { ThreadData, TileTask, TileTaskResult } from "./pool-messages.js";

export interface PoolOptions {
  /** Worker threads. Default: the number of cores. */
  threads?: number;
  /** A compiled kernels module to share; compiled from the packaged .wasm when omitted. */
  module?: WebAssembly.Module;
}

export class KernelPool {
  readonly threads: number;
  /** The compiled kernels every thread instantiates (the main thread can use it too). */
  readonly module: WebAssembly.Module;
  private readonly piscina: Piscina;

  private constructor(piscina: Piscina, threads: number, module: WebAssembly.Module) {
    this.piscina = piscina;
    this.threads = threads;
    this.module = module;
  }

  static async create(options: PoolOptions = {}): Promise<KernelPool> {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`options.threads must be a positive integer, got ${String(options.threads)}`);
    }
    const module = options.module ?? (await compileKernels());
    const workerData: ThreadData = { module };
    const piscina = new Piscina({
      filename: new URL("./kernel-task.js", import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      workerData,
      // Tiles are independent and long enough that handing one per thread at a time is
      // best: a thread never holds a second tile another idle thread could have started.
      concurrentTasksPerWorker: 1,
    });
    return new KernelPool(piscina, threads, module);
  }

  /**
   * Runs a tile on some thread. The window's buffer is transferred there and comes back as
   * the result's core buffer: do not use the window afterwards.
   */
  run(task: TileTask, signal?: AbortSignal): Promise<TileTaskResult> {
    return this.piscina.run(task, { transferList: [task.window.data.buffer as ArrayBuffer], ...(signal && { signal }) });
  }

  /** Fraction of thread time spent running tasks since the pool started (0..1). */
  get utilization(): number {
    return this.piscina.utilization;
  }

  /** Tasks waiting for a thread. */
  get queued(): number {
    return this.piscina.queueSize;
  }

  async close(): Promise<void> {
    await this.piscina.close({ force: true });
  }
}
