/**
 * Temporary files named after the process that owns them, `<prefix><pid>-<anything>`: the
 * region reader's tiled copies, the gateway's spooled uploads. A process that dies by SIGKILL
 * cleans up nothing, so the next one sweeps the files of owners that are gone; the files of
 * live processes stay.
 */

import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM"; // someone else's process, alive
  }
};

/** Removes the files in `dir` named `<prefix><pid>-…` whose process is gone. */
export async function removeStaleTempFiles(dir: string, prefix: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) await rm(join(dir, name), { force: true });
  }
}
