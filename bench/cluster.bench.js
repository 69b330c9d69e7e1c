// A local cluster of real processes (Service Bus emulator, Azurite, gateway, N workers): tiles
// per second with 1, 2 and 3 worker processes of one thread each, and how long a job takes to
// finish after one of its workers is killed at 30% (SIGKILL: its socket closes and the broker
// releases its sessions at once) or hangs (SIGSTOP: its sessions come back only when their
// locks expire).
//
//   npm run bench:cluster
//   node bench/cluster.bench.js --workers 1,2,3 --lock-ms 10000 --side 1536

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { startLocalCluster } from "../dist/infra/local/cluster.js";

const { values: args } = parseArgs({
  options: {
    workers: { type: "string", default: "1,2,3" },
    "lock-ms": { type: "string", default: "10000" },
    side: { type: "string", default: "1536" },
    tile: { type: "string", default: "64" },
    "skip-faults": { type: "boolean" },
  },
});
const LOCK_MS = Number(args["lock-ms"]);
const TILE = Number(args.tile);
const PIPELINE = "gaussian-blur(sigma=2) | sobel";
const photo = fileURLToPath(new URL("../test/fixtures/images/hubble_deep_field.jpg", import.meta.url));
const side = Number(args.side);
const input = await sharp(photo).resize(side, side, { fit: "fill" }).png().toBuffer();

async function submit(url) {
  const form = new FormData();
  form.set("image", new Blob([new Uint8Array(input)], { type: "image/png" }), "bench.png");
  form.set("pipeline", PIPELINE);
  form.set("tileSize", String(TILE));
  const response = await fetch(`${url}/v1/jobs`, { method: "POST", body: form });
  if (response.status !== 202) throw new Error(`submit: ${response.status} ${await response.text()}`);
  return (await response.json()).id;
}

/** Polls the job; calls `at(fraction)` on each poll; resolves with timings once it ended. */
async function follow(url, id, at = () => {}) {
  let firstTile;
  for (let i = 0; i < 100_000; i++) {
    const job = await (await fetch(`${url}/v1/jobs/${id}`)).json();
    const fraction = job.progress.done / job.progress.total;
    if (firstTile === undefined && job.progress.done > 0) firstTile = performance.now();
    await at(fraction, job);
    if (["succeeded", "failed", "canceled"].includes(job.status)) {
      if (job.status !== "succeeded") throw new Error(`job ${job.status}: ${JSON.stringify(job.error)}`);
      return { tiles: job.progress.total, firstTile, end: performance.now() };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("job did not end");
}

const rows = [];
for (const n of args.workers.split(",").map(Number)) {
  const cluster = await startLocalCluster({ workers: n, threads: 1, lockMs: LOCK_MS, heartbeatMs: 1000 });
  // Ctrl-C stops the cluster too: no process or temporary folder is left behind.
  const interrupted = () => void cluster.stop().then(() => process.exit(130));
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    await follow(cluster.url, await submit(cluster.url)); // warm-up: connections, JIT, container
    const start = performance.now();
    const { tiles, end } = await follow(cluster.url, await submit(cluster.url));
    const seconds = (end - start) / 1000;
    rows.push({ workers: n, tiles, seconds: seconds.toFixed(2), tilesPerSecond: (tiles / seconds).toFixed(1) });
    console.log(`${n} worker(s): ${tiles} tiles in ${seconds.toFixed(2)} s = ${(tiles / seconds).toFixed(1)} tiles/s`);

    if (n >= 2 && !args["skip-faults"]) {
      for (const signal of ["SIGKILL", "SIGSTOP"]) {
        const victim = cluster.workers.find((w) => w.child.exitCode === null && w.child.signalCode === null);
        const id = await submit(cluster.url);
        let hitAt; // when the victim was hit, with bands of the job still to run
        const { end } = await follow(cluster.url, id, (fraction) => {
          if (hitAt === undefined && fraction >= 0.3) {
            victim.child.kill(signal);
            hitAt = performance.now();
          }
        });
        // The victim held a band (or was about to): the job cannot end before that band comes
        // back to another worker, at once for a closed socket (SIGKILL), after the lock (SIGSTOP).
        const recovered = hitAt === undefined ? undefined : end - hitAt;
        const took = recovered === undefined ? "n/a" : `${(recovered / 1000).toFixed(2)} s`;
        console.log(`  ${signal} one of ${n} workers at 30%: the job finished ${took} later (lock ${LOCK_MS / 1000} s)`);
        rows.push({
          workers: n,
          fault: signal,
          recoverySeconds: recovered === undefined ? null : (recovered / 1000).toFixed(2),
          lockSeconds: LOCK_MS / 1000,
        });
        if (signal === "SIGSTOP") {
          victim.child.kill("SIGCONT");
          victim.child.kill("SIGKILL");
        }
        await cluster.addWorker(); // back to n live workers for the next fault
      }
    }
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await cluster.stop();
  }
}
console.table(rows);
