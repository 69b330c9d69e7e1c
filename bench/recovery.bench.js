// How long recovery takes when `tessera serve` is SIGKILLed at each phase of a job and started
// again on the same data (the numbers in docs/operations.md's failure-modes table). Per phase:
// the restart (spawn to listening) and the job's remaining time after it (listening to
// succeeded), for a 1 MP PNG through "gaussian-blur(sigma=2) | equalize | sobel" in 256 px
// tiles. The process kills itself at the phase (TESSERA_TEST_FAULT, see cli/fault-injection.ts).
//
//   npm run bench:recovery

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { startServe } from "../test/helpers/server.js";

const PHASES = ["split", "stages", "reduce", "stitch", "encode", "finish"];
const PIPELINE = "gaussian-blur(sigma=2) | equalize | sobel";
const png = await sharp(fileURLToPath(new URL("../test/fixtures/images/astronaut.png", import.meta.url)))
  .resize(1000, 1000)
  .png()
  .toBuffer();

async function post(url) {
  const form = new FormData();
  form.set("image", new Blob([png], { type: "image/png" }), "1mp.png");
  form.set("pipeline", PIPELINE);
  form.set("tileSize", "256");
  const response = await fetch(`${url}/v1/jobs`, { method: "POST", body: form });
  return (await response.json()).id;
}

async function ended(url, id) {
  for (let i = 0; i < 1200; i++) {
    const job = await (await fetch(`${url}/v1/jobs/${id}`)).json();
    if (["succeeded", "failed", "canceled"].includes(job.status)) return job.status;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} did not end within 30 s`);
}

const rows = [];
for (const phase of PHASES) {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-recovery-"));
  const first = await startServe({ TESSERA_TEST_FAULT: `kill:${phase}` }, { dataDir });
  const gone = new Promise((resolve) => first.child.once("exit", resolve));
  const id = await post(first.url).catch(() => undefined); // split: the POST dies with the process
  await gone;
  const restartAt = performance.now();
  const second = await startServe({}, { dataDir });
  const listening = performance.now();
  const status = id === undefined ? "removed (never acknowledged)" : await ended(second.url, id);
  const done = performance.now();
  rows.push({
    phase,
    restartS: ((listening - restartAt) / 1000).toFixed(2),
    jobAfterRestartS: id === undefined ? "-" : ((done - listening) / 1000).toFixed(2),
    status,
  });
  await first.stop();
  await second.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log("| killed at | restart (s) | job done after restart (s) | ending |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.phase} | ${r.restartS} | ${r.jobAfterRestartS} | ${r.status} |`);
