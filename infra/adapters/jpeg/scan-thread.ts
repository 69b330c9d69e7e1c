/**
 * A JPEG's scan walked on a thread of its own. Cutting a JPEG into bands needs one serial walk
 * over every MCU (scanJpeg: ~60 ms for a 24 MP file, ~200 ms for 100 MP, cold), and nothing of
 * the job can start before it. On the calling thread it also blocked everything else there:
 * in `tessera process` the loading of sharp and the kernel threads' start, in a gateway every
 * other request. Here it runs beside them: `tessera process` starts it before it loads sharp,
 * and a gateway's uploads are scanned one after another while its main thread serves.
 *
 * The thread starts on the first scan and ends after IDLE_MS without one; it never keeps the
 * process alive. Anything that goes wrong on it (no build to load it from, a file that cannot
 * be read) rejects the scan, and the caller walks the file itself.
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { SourceFile } from "../../../engine/ports/codec.js";
import type { FileScan } from "./scan-file.js";
import type { ScanRequest } from "./scan-worker.js";

/** Files smaller than this are scanned where they are asked for: a thread's start costs more. */
export const MIN_BYTES = 1 << 20;
const IDLE_MS = 5_000;

/**
 * The built module `name` of this folder (scan-worker.js, scan-file.js), from wherever this
 * module runs: beside it in the build, from the CLI bundle (dist/bundle/), or the build's copy
 * when it runs from source (vitest).
 */
export function builtModule(name: string): URL | undefined {
  return [`./${name}`, `../infra/adapters/jpeg/${name}`, `../../../dist/infra/adapters/jpeg/${name}`]
    .map((p) => new URL(p, import.meta.url))
    .find((url) => existsSync(fileURLToPath(url)));
}

/**
 * Where JPEG scans are walked off the calling thread: one JpegScanThread, a JpegScanPool of
 * them, or a kernel pool's thread (PoolJpegScans).
 */
export interface JpegScans {
  /** The scan of `source`'s file, started now or earlier for the same source; undefined: walk it yourself. */
  scan(source: SourceFile, size: number): Promise<FileScan> | undefined;
  close(): Promise<void>;
}

export class JpegScanThread implements JpegScans {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (scan: FileScan) => void; reject: (err: Error) => void }>();
  private readonly scans = new WeakMap<SourceFile, Promise<FileScan>>();
  private idle: ReturnType<typeof setTimeout> | undefined;

  /**
   * The scan of `source`'s file (`size` bytes), started now or earlier for the same source;
   * undefined when the file is too small to be worth a thread or the thread cannot start.
   */
  scan(source: SourceFile, size: number): Promise<FileScan> | undefined {
    const started = this.scans.get(source);
    if (started) return started;
    if (size < MIN_BYTES) return undefined;
    const worker = this.thread();
    if (!worker) return undefined;
    clearTimeout(this.idle);
    const id = this.nextId++;
    const scan = new Promise<FileScan>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    scan.catch(() => undefined); // the caller that awaits it sees the error; nobody else must
    this.scans.set(source, scan);
    worker.postMessage({ id, path: source.path } satisfies ScanRequest);
    return scan;
  }

  /** Whether `source`'s scan was started here (its answer kept for a later ask). */
  has(source: SourceFile): boolean {
    return this.scans.has(source);
  }

  /** Scans asked of this thread and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Ends the thread now; scans in flight reject. */
  async close(): Promise<void> {
    clearTimeout(this.idle);
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error("the JPEG scan thread was closed"));
    await worker?.terminate();
  }

  private thread(): Worker | undefined {
    if (this.worker) return this.worker;
    const file = builtModule("scan-worker.js");
    if (!file) return undefined;
    const worker = new Worker(file);
    worker.unref();
    worker.on("message", (answer: { id: number; error?: string } & Partial<FileScan>) => {
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (answer.error !== undefined || !answer.bytes || !answer.scanned) waiting?.reject(new Error(answer.error));
      else waiting?.resolve({ bytes: answer.bytes, scanned: answer.scanned });
      if (this.pending.size === 0) this.idle = setTimeout(() => void this.close(), IDLE_MS).unref();
    });
    const gone = (err: Error) => {
      // A thread that was closed failed its scans then; a later thread's are not its to fail.
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(err);
    };
    worker.on("error", gone);
    worker.on("exit", () => gone(new Error("the JPEG scan thread exited")));
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }
}
