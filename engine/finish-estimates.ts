/**
 * How long a job's finish takes (from the step `finish` to the result stored: joining pieces,
 * building a pyramid, reading and reducing a canny layer and encoding it), learnt from the jobs
 * this coordinator finished, in ms per megapixel, by output format and by what the last stage
 * leaves to the finish. The ETA adds it to the tiles' time left, and counts it down while the
 * finish runs, so the bar does not show no time left while the result is being built.
 *
 * An exponential average with weight ½ for the newest job: it follows the machine's load within
 * a few jobs. Nothing is known before the first job of a kind; the ETA counts the tiles alone then.
 */

import type { Stage } from "./plan.js";

export class FinishEstimates {
  private readonly msPerMpx = new Map<string, number>();

  /** The kind of finish a job has: its format and what its last stage leaves to the finish. */
  static key(format: string, last: Stage | undefined): string {
    const kind = last?.detection ? "detection" : last?.analysis ? "analysis" : (last?.reduction ?? "pieces");
    return `${format}|${kind}`;
  }

  record(key: string, pixels: number, ms: number): void {
    if (!(pixels > 0) || !(ms >= 0)) return;
    const rate = ms / (pixels / 1e6);
    const before = this.msPerMpx.get(key);
    this.msPerMpx.set(key, before === undefined ? rate : (before + rate) / 2);
  }

  /** The finish of a job of `pixels` of this kind, in ms; undefined before one has finished. */
  estimateMs(key: string, pixels: number): number | undefined {
    const rate = this.msPerMpx.get(key);
    return rate === undefined ? undefined : Math.round(rate * (pixels / 1e6));
  }
}
