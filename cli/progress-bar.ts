/**
 * A one-line progress bar for terminals: `[#####·····]  12/40 tiles  stage 1/2  3.2 s`, and
 * `building the result` in place of the stage once every tile is done and the result is joined
 * and encoded (which, for a pyramid or a canny job, takes a while).
 */

import type { JobManifest } from "../engine/job.js";
import { overallProgress } from "../engine/job.js";

export function progressLine(job: JobManifest, elapsedMs: number, width = 24): string {
  const { done, total } = overallProgress(job);
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  const stage = Math.min(job.stage + 1, job.stages.length);
  const step = job.step === "finish" ? "building the result" : `stage ${stage}/${job.stages.length}`;
  return `[${"#".repeat(filled)}${"·".repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total} tiles  ${step}  ${(elapsedMs / 1000).toFixed(1)} s`;
}

/** Draws on a TTY stream, redrawing in place; does nothing elsewhere (logs stay clean). */
export class ProgressBar {
  private readonly started = Date.now();
  private last = "";
  constructor(private readonly stream: NodeJS.WriteStream) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(job: JobManifest): void {
    if (!this.enabled) return;
    const line = progressLine(job, Date.now() - this.started);
    if (line === this.last) return;
    this.last = line;
    this.stream.write(`\r${line}`);
  }

  done(): void {
    if (this.enabled && this.last) this.stream.write("\n");
  }
}
