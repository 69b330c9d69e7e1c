/**
 * The thread scan-thread.ts starts: reads a JPEG file and walks its scan (scanFile), then hands
 * the file's bytes and the scan back without copying them (their buffers are transferred).
 */

import { parentPort } from "node:worker_threads";
import { scanFile } from "./scan-file.js";

export interface ScanRequest {
  readonly id: number;
  readonly path: string;
}

parentPort?.on("message", async ({ id, path }: ScanRequest) => {
  try {
    const { bytes, scanned } = await scanFile(path);
    const arrays = "unsupported" in scanned ? [] : [scanned.data, ...Object.values(scanned.index)];
    parentPort?.postMessage(
      { id, bytes, scanned },
      [bytes, ...arrays].map((a: ArrayBufferView) => a.buffer as ArrayBuffer),
    );
  } catch (err) {
    parentPort?.postMessage({ id, error: (err as Error).message });
  }
});
