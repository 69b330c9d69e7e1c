/**
 * How far the first stage's dispatch may run ahead of the bands done, when each band it sends
 * carries a raw window (a source read a region at a time). Without a bound the coordinator
 * would write every window of a large image into storage (for `tessera process`, into memory)
 * before the workers had consumed the first: a gigapixel source, whole, in raw windows.
 * JPEG pieces are compressed and small, and are not held back.
 */

import type { JobManifest } from "./job.js";
import { TERMINAL } from "./job.js";

/**
 * Raw window bytes sent and not yet done, at most (but always at least two bands' worth: one on
 * the threads, one being read). A gigapixel image's window is ~49 MB (31 623 pixels wide, RGB):
 * two of them, where 256 MB let three wait in memory, for a peak ~50 MB lower and the same wall
 * time at 16 threads (docs/performance.md, "Gigapixel"); a 100 MP one's ~16 MB: nine.
 */
export const WINDOWS_AHEAD_BYTES = 144 * 2 ** 20;
/** Re-checks this often even without a band done, so a canceled job's dispatch ends. */
const RECHECK_MS = 100;

export class BandsAhead {
  private readonly sent = new Set<number>();
  private wakers: (() => void)[] = [];

  /**
   * `done` is the stage's set of finished bands, which the driver adds to as events arrive
   * (calling finished() each time).
   */
  constructor(
    private readonly done: ReadonlySet<number>,
    private readonly windowBytes: number,
    private readonly job: JobManifest,
  ) {}

  private outstanding(): number {
    let n = 0;
    for (const band of this.sent) if (!this.done.has(band)) n++;
    return n;
  }

  /** Resolves once `band` may be sent (or the job has ended), and counts it as sent. */
  async room(band: number): Promise<void> {
    const limit = Math.max(2, Math.floor(WINDOWS_AHEAD_BYTES / Math.max(1, this.windowBytes)));
    while (this.outstanding() >= limit && !TERMINAL.has(this.job.status)) {
      await new Promise<void>((resolve) => {
        // A real timer, not the injected clock: this is a wake-up, not a duration anyone tests.
        const timer = setTimeout(resolve, RECHECK_MS);
        this.wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.sent.add(band);
  }

  /** A band of the stage finished: a dispatch waiting for room looks again. */
  finished(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}
