/**
 * Named points in a job's life where fault-injection tests stop the world: the coordinator
 * calls `atPhase` as it enters each phase, and a probe (set only by a test harness, see
 * cli/fault-injection.ts) may kill the process there or hold the job a while. With no probe
 * set, which is always the case outside tests, `atPhase` resolves at once and costs nothing.
 *
 *   split    the source is being stored as the first stage's inputs (inside the POST)
 *   stages   a stage's first band has finished; the others are in flight
 *   reduce   a stage's bands are done; its reduction (histogram, hysteresis) is next
 *   stitch   every stage is done; the result is next read, joined or stitched
 *   encode   the result is encoded and about to be stored
 *   finish   the result is stored; the job's ending is next recorded
 */

export type JobPhase = "split" | "stages" | "reduce" | "stitch" | "encode" | "finish";
export const JOB_PHASES: readonly JobPhase[] = ["split", "stages", "reduce", "stitch", "encode", "finish"];

export type PhaseProbe = (jobId: string, phase: JobPhase) => void | Promise<void>;

let probe: PhaseProbe | undefined;

/** Installs (or, with undefined, removes) the process's probe. */
export function setPhaseProbe(next: PhaseProbe | undefined): void {
  probe = next;
}

export async function atPhase(jobId: string, phase: JobPhase): Promise<void> {
  if (probe) await probe(jobId, phase);
}
