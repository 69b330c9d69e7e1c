import { describe, expect, it } from "vitest";
import { progressLine } from "../../cli/progress-bar.js";
import type { JobManifest } from "../../engine/job.js";

describe("progressLine", () => {
  it("shows tiles done over total, the stage and the elapsed time", () => {
    const job = {
      stage: 1,
      stages: [
        { done: 40, total: 40 },
        { done: 10, total: 40 },
      ],
    } as JobManifest;
    expect(progressLine(job, 3250, 8)).toBe("[#####···] 50/80 tiles  stage 2/2  3.3 s");
    expect(progressLine({ ...job, stage: 2 } as JobManifest, 0, 8)).toBe("[#####···] 50/80 tiles  stage 2/2  0.0 s");
  });

  it("says the result is being built once every tile is done", () => {
    const job = { stage: 1, step: "finish", stages: [{ done: 40, total: 40 }] } as JobManifest;
    expect(progressLine(job, 5000, 8)).toBe("[########] 40/40 tiles  building the result  5.0 s");
  });
});
