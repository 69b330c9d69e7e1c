/**
 * Where `tessera process` keeps a job's blobs (source, bands, pieces, result). In memory for
 * ordinary images; on disk for very large ones, in a folder beside the output that the process
 * removes when it ends, so a gigapixel job's pieces and result live in the page cache, not in
 * the process's memory. The result is then streamed to the output file, never held whole.
 */

import { mkdtemp, open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { BlobStore } from "../engine/ports/blob-store.js";
import { FsBlobStore } from "../infra/adapters/fs-blob-store.js";

/** Images above this many pixels (the API's default limit) are spooled to disk; TESSERA_SPOOL_PIXELS overrides it. */
export const SPOOL_PIXELS = 100_000_000;

export interface Spool {
  /** The blob store to use; undefined: the embedded default (in memory). */
  readonly blobs?: BlobStore;
  /** Removes the folder, if there is one. */
  remove(): Promise<void>;
}

/** A spool for an image of `pixels`, in `dir` (the output's folder: the same disk the result goes to). */
export async function spoolFor(pixels: number, dir: string, threshold = SPOOL_PIXELS): Promise<Spool> {
  if (pixels <= threshold) return { remove: async () => undefined };
  const folder = await mkdtemp(join(dir, `.tessera-spool-${process.pid}-`));
  return {
    blobs: new FsBlobStore(folder, { durable: false }),
    remove: () => rm(folder, { recursive: true, force: true }),
  };
}

/** Streams blob `name` into the file `path` (created or truncated). */
export async function writeBlobTo(blobs: BlobStore, name: string, path: string): Promise<void> {
  const file = await open(path, "w");
  try {
    for await (const chunk of await blobs.getStream(name)) await file.write(chunk);
  } finally {
    await file.close();
  }
}
