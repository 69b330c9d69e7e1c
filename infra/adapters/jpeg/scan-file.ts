/**
 * A JPEG file read and its scan walked (scanJpeg), on whichever thread loads this module: the
 * scan thread (scan-worker.ts) or a kernel pool thread (pool-scans.ts, which calls
 * scanFileShared by name). It imports nothing else of Tessera's, so that either thread loads little.
 */

import { open } from "node:fs/promises";
import { type ByteAlloc, plainBytes, sharedBytes } from "./bits.js";
import { type ScannedJpeg, scanJpeg } from "./cut.js";

export interface FileScan {
  /** The file's bytes. */
  readonly bytes: Uint8Array;
  readonly scanned: ScannedJpeg | { unsupported: string };
}

/** Reads the file at `path` into memory from `alloc` and walks its scan, its data in the same kind of memory. */
export async function scanFile(path: string, alloc: ByteAlloc = plainBytes): Promise<FileScan> {
  const file = await open(path, "r");
  let bytes: Uint8Array;
  try {
    const { size } = await file.stat();
    bytes = alloc(size);
    for (let at = 0; at < size; ) {
      const { bytesRead } = await file.read(bytes, at, size - at, at);
      if (bytesRead === 0) throw new Error(`${path} ended at byte ${at} of ${size} while being read`);
      at += bytesRead;
    }
  } finally {
    await file.close();
  }
  return { bytes, scanned: scanJpeg(bytes, alloc) };
}

/**
 * scanFile in shared memory: the answer reaches the thread that asked without a copy (a
 * pool's answer is cloned, and the file and its scan data are each the file's size).
 */
export const scanFileShared = (path: string): Promise<FileScan> => scanFile(path, sharedBytes);
