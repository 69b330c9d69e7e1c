/**
 * JPEG scans walked on a kernel pool's thread, for `tessera process`. Its scan is the one serial
 * step before any band can start, and on a thread of its own (JpegScanThread) it paid a V8
 * isolate's boot for ~60 ms of walking: ~70 ms of CPU and ~2,000 page faults (on the 2-core
 * machine a 24 MP run took 0.06–0.4 s of CPU less without it, at 1–16 threads). The pool's threads boot anyway
 * and have nothing to do before the first band, which waits for the scan: the first free one
 * walks it (scan-file.ts, called by name), in shared memory so that nothing is copied back.
 */

import type { SourceFile } from "../../../engine/ports/codec.js";
import type { FileScan } from "./scan-file.js";
import { builtModule, type JpegScans, MIN_BYTES } from "./scan-thread.js";

/** What runs a module's function on another thread: KernelPool.call. */
export interface ThreadCalls {
  call<T>(module: URL, name: string, arg: unknown): Promise<T>;
}

export class PoolJpegScans implements JpegScans {
  private readonly scans = new WeakMap<SourceFile, Promise<FileScan>>();

  /** `pool`: the pool once it is made (its threads may still be booting; calls wait for them). */
  constructor(private readonly pool: Promise<ThreadCalls>) {}

  scan(source: SourceFile, size: number): Promise<FileScan> | undefined {
    const started = this.scans.get(source);
    if (started) return started;
    const module = builtModule("scan-file.js");
    if (size < MIN_BYTES || !module) return undefined;
    const scan = this.pool.then((pool) => pool.call<FileScan>(module, "scanFileShared", source.path));
    scan.catch(() => undefined); // the caller that awaits it sees the error; nobody else must
    this.scans.set(source, scan);
    return scan;
  }

  /** Nothing of its own to end: the pool's owner closes the pool. */
  async close(): Promise<void> {}
}
