/**
 * Writes a Deep Zoom result as files: `NAME.dzi` and its tiles in `NAME_files/` beside it (a
 * viewer finds the tiles by that name), from the job's result folder. The tiles are written
 * into a temporary folder renamed into place, and the descriptor last, so an error leaves no
 * half-written pyramid behind.
 */

import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { resultFolder } from "../engine/blob-names.js";
import type { BlobStore } from "../engine/ports/blob-store.js";

/** The tiles folder a viewer looks for beside `out` (`scan.dzi` → `scan_files`). */
export const tilesFolderOf = (out: string): string => join(dirname(out), `${basename(out).replace(/\.dzi$/i, "")}_files`);

export async function writeDeepZoom(blobs: BlobStore, jobId: string, out: string): Promise<void> {
  const folder = resultFolder(jobId);
  const tiles = tilesFolderOf(out);
  const temp = join(dirname(out), `.${basename(tiles)}.${process.pid}.tmp`);
  const descriptorTemp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  try {
    for (const { name } of await blobs.list(`${folder}result_files/`)) {
      const path = join(temp, name.slice(`${folder}result_files/`.length));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await blobs.get(name));
    }
    await writeFile(descriptorTemp, await blobs.get(`${folder}result.dzi`));
    await rm(tiles, { recursive: true, force: true });
    await rename(temp, tiles);
    await rename(descriptorTemp, out);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    await rm(descriptorTemp, { force: true });
    throw err;
  }
}
