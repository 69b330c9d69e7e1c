/**
 * JPEG scans on several threads, for a gateway given many uploads at once. On one thread a
 * burst's files were scanned one after another: on the 16-core machine, twelve 100 MP uploads
 * were accepted ~260 ms apart (that thread at 100 %), the last after 3.8 s of a 7.6 s burst,
 * while six workers waited for bands. Each scan goes to the thread with the fewest scans in
 * flight (the first when all are idle), and a source asked for again to the thread that has
 * it. Threads start on their first scan and end when idle (JpegScanThread), so the pool costs
 * nothing between bursts.
 */

import { availableParallelism } from "node:os";
import type { SourceFile } from "../../../engine/ports/codec.js";
import type { FileScan } from "./scan-file.js";
import { type JpegScans, JpegScanThread } from "./scan-thread.js";

/** A quarter of the cores, 1 to 4: the rest are the gateway's and, on one machine, the workers'. */
export const defaultScanThreads = (cores = availableParallelism()): number => Math.max(1, Math.min(4, Math.floor(cores / 4)));

export class JpegScanPool implements JpegScans {
  private readonly threads: JpegScanThread[];

  constructor(size = defaultScanThreads()) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a scan pool needs at least one thread, got ${size}`);
    this.threads = Array.from({ length: size }, () => new JpegScanThread());
  }

  scan(source: SourceFile, size: number): Promise<FileScan> | undefined {
    const thread = this.threads.find((t) => t.has(source)) ?? this.leastBusy();
    return thread.scan(source, size);
  }

  /** Scans in flight on each thread, in order (for tests and diagnostics). */
  get inFlight(): number[] {
    return this.threads.map((t) => t.inFlight);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }

  private leastBusy(): JpegScanThread {
    return this.threads.reduce((best, t) => (t.inFlight < best.inFlight ? t : best));
  }
}
