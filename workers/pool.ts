/**
 * The kernel pool: piscina threads, each with its own instance of the kernels. The module is
 * compiled once here and handed to every thread (compiling is the slow part; instantiating
 * is cheap). Pixels stay in shared memory: a task says where to read and where to write.
 * An inline pool runs the same tasks on the calling thread instead (inline-runner.ts).
 */

import { availableParallelism } from "node:os";
import { compileKernels } from "@tessera/kernels";
import type { Piscina } from "piscina";
import { InlineRunner } from "./inline-runner.js";
import type { PoolTask, ThreadData, TileTaskResult } from "./pool-messages.js";

export interface PoolOptions {
  /** Worker threads. Default: the number of cores. */
  threads?: number;
  /** A compiled kernels module to share; compiled from the packaged .wasm when omitted. */
  module?: WebAssembly.Module;
  /**
   * No threads: tasks run one at a time on the calling thread (`threads` is then 1). For a
   * one-shot job of a single tile, where booting a thread (a V8 isolate: 60–90 ms on a small
   * VM, and its teardown) costs more than the kernels.
   */
  inline?: boolean;
}

/** What runs the tasks: piscina's threads, or the calling thread. */
interface Runner {
  run(task: PoolTask, signal?: AbortSignal): Promise<TileTaskResult>;
  call(module: URL, name: string, arg: unknown): Promise<unknown>;
  readonly utilization: number;
  readonly queued: number;
  close(): Promise<void>;
}

export class KernelPool {
  readonly threads: number;
  /** The compiled kernels every thread instantiates (the main thread can use it too). */
  readonly module: WebAssembly.Module;
  private readonly runner: Runner;

  private constructor(
    runner: Runner,
    threads: number,
    module: WebAssembly.Module,
    private readonly booted: Promise<void>,
  ) {
    this.runner = runner;
    this.threads = threads;
    this.module = module;
  }

  static async create(options: PoolOptions = {}): Promise<KernelPool> {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`options.threads must be a positive integer, got ${String(options.threads)}`);
    }
    const module = options.module ?? (await compileKernels());
    if (options.inline) {
      const runner = await InlineRunner.create(module);
      return new KernelPool(runner, 1, module, Promise.resolve());
    }
    const workerData: ThreadData = { module };
    // Imported here, not above: an inline pool never loads it (start-up).
    const { Piscina } = await import("piscina");
    const piscina = new Piscina({
      // (From workers/, dist/workers/ and dist/bundle/ alike: see cli/bundle.mjs.)
      filename: new URL("../workers/kernel-task.js", import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      workerData,
      // Tiles are independent and long enough that handing one per thread at a time is
      // best: a thread never holds a second tile another idle thread could have started.
      concurrentTasksPerWorker: 1,
    });
    // Not awaited: tasks queue until a thread is up, so a caller can read and cut its input
    // while the threads boot (a one-shot `tessera process` would otherwise wait ~100 ms on 16).
    const booted = bootedThreads(piscina);
    booted.catch(() => undefined); // reported through ready() and waited for by close()
    const runner: Runner = {
      run: (task, signal) => piscina.run(task, signal && { signal }),
      call: (module, name, arg) => piscina.run(arg, { filename: module.href, name }),
      get utilization() {
        return piscina.utilization;
      },
      get queued() {
        return piscina.queueSize;
      },
      close: () => piscina.close({ force: true }),
    };
    return new KernelPool(runner, threads, module, booted);
  }

  /** Resolves once every thread has loaded the kernels; rejects if one failed to. */
  ready(): Promise<void> {
    return this.booted;
  }

  /**
   * Runs a tile on some thread, which writes its core into `task.target`. Source and target
   * must be views of SharedArrayBuffers: a plain buffer would reach the thread as a copy, and
   * the core would be written into the copy and lost.
   */
  run(task: PoolTask, signal?: AbortSignal): Promise<TileTaskResult> {
    // (An analysis tile has no target, a detection task neither pixels: they answer with data.)
    for (const [name, pixels] of [
      ["source", task.source],
      ["target", task.target],
    ] as const) {
      if (pixels && !(pixels.data.buffer instanceof SharedArrayBuffer))
        return Promise.reject(new TypeError(`task.${name}.data must be a view of a SharedArrayBuffer`));
    }
    return this.runner.run(task, signal);
  }

  /**
   * Runs the function `name` exported by `module` with `arg` on some thread, in turn with the
   * tiles: for other serial work a one-shot job has before its first tile (the JPEG scan of
   * `tessera process`), which would otherwise boot a thread of its own (a V8 isolate: ~70 ms of
   * CPU and ~2,000 page faults). The module is imported on the thread at its first call; what
   * the function returns is cloned back (shared memory is not copied).
   */
  call<T>(module: URL, name: string, arg: unknown): Promise<T> {
    return this.runner.call(module, name, arg) as Promise<T>;
  }

  /** Fraction of thread time spent running tasks since the pool started (0..1). */
  get utilization(): number {
    return this.runner.utilization;
  }

  /** Tasks waiting for a thread. */
  get queued(): number {
    return this.runner.queued;
  }

  async close(): Promise<void> {
    // Never terminate a thread that is still loading its modules (see bootedThreads).
    await this.booted.catch(() => undefined);
    await this.runner.close();
  }
}

/**
 * Resolves once every thread has loaded its task file (piscina's first message from a thread
 * says so), rejects if one fails to. A pool closed before that would terminate threads in the
 * middle of loading ES modules, which crashes Node 20 outright ("IsGraphAsync must be used on
 * an instantiated module"): a `tessera process` refusing its input at once did exactly that.
 */
async function bootedThreads(piscina: Piscina): Promise<void> {
  await Promise.all(
    piscina.threads.map(
      (thread) =>
        new Promise<void>((resolve, reject) => {
          thread.once("message", () => resolve());
          thread.once("error", reject);
          thread.once("exit", (code) => reject(new Error(`a kernel thread exited with code ${code} while starting`)));
        }),
    ),
  );
}
