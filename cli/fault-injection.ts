/**
 * Fault injection for the chaos tests (test/chaos/): TESSERA_TEST_FAULT makes a `serve` or
 * `gateway` process misbehave at a named phase of its jobs (engine/phase-probe.ts), so a
 * test can kill it or cancel a job at exactly that point, as a real crash or a real user
 * would. Unset (always, outside tests) it installs nothing.
 *
 *   TESSERA_TEST_FAULT=kill:<phase>        SIGKILL this process on entering <phase>
 *   TESSERA_TEST_FAULT=pause:<phase>:<ms>  hold the job <ms> at <phase> (time to cancel it there)
 *
 * Before acting it prints `{"event":"test-phase","jobId":…,"phase":…}` on stdout, so the test
 * knows the job is there.
 */

import { JOB_PHASES, type JobPhase, setPhaseProbe } from "../engine/phase-probe.js";

export function installFaultInjection(spec = process.env.TESSERA_TEST_FAULT): void {
  if (!spec) return;
  const [action, phase, ms] = spec.split(":");
  if ((action !== "kill" && action !== "pause") || !JOB_PHASES.includes(phase as JobPhase)) {
    throw new Error(`TESSERA_TEST_FAULT must be kill:<phase> or pause:<phase>:<ms> with a phase of ${JOB_PHASES.join(", ")}`);
  }
  const holdMs = Number(ms ?? 0);
  const hit = new Set<string>();
  setPhaseProbe(async (jobId, at) => {
    // Once per job: a job that comes back after a restart runs through unharmed.
    if (at !== phase || hit.has(jobId)) return;
    hit.add(jobId);
    process.stdout.write(`${JSON.stringify({ event: "test-phase", jobId, phase: at })}\n`);
    if (action === "kill") process.kill(process.pid, "SIGKILL");
    else await new Promise((resolve) => setTimeout(resolve, holdMs));
  });
}
