// A local cluster of real processes (Service Bus emulator, Azurite, gateway, N workers): tiles
// per second with 1, 2 and 3 worker processes of one thread each, and how long the session a
// worker was in the middle of takes to reach another worker when that worker is killed
// (SIGKILL: its socket closes and the broker releases its sessions at once) or hangs (SIGSTOP:
// its sessions come back only when their locks expire).
//
//   npm run bench:cluster
//   node bench/cluster.bench.js --workers 1,2,3 --lock-ms 10000 --side 1536

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { bands, defaultBandSize, makeGrid } from "../dist/engine/tiling.js";
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

/** The band (session) a tile belongs to, as the coordinator cuts them (engine/tiling.ts). */
function bandOf(job, tile) {
  const grid = makeGrid(job.width, job.height, job.grid.tileSize);
  const size = defaultBandSize(grid);
  return bands(grid, size).findIndex((tiles) => tiles.includes(tile));
}

/**
 * A band (session) `worker` is surely still in: it finished a tile of it, and at least four of
 * its tiles are not done, so events still on their way cannot have finished it. A worker
 * releases a session only after its last tile.
 */
function heldBands(job, worker) {
  const grid = makeGrid(job.width, job.height, job.grid.tileSize);
  const done = job.tileWorkers;
  const held = new Set();
  bands(grid, defaultBandSize(grid)).forEach((tiles, band) => {
    const mine = tiles.some((t) => String(done[t] ?? "").startsWith(`${worker}/`));
    if (mine && tiles.filter((t) => done[t] === undefined).length >= 4) held.add(band);
  });
  return held;
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
        const name = String(victim.started.id);
        const id = await submit(cluster.url);
        let hit; // when the victim was hit, and the sessions (bands) it was in the middle of
        let recovered;
        await follow(cluster.url, id, (fraction, job) => {
          if (hit === undefined && fraction >= 0.3) {
            const held = heldBands(job, name);
            if (held.size === 0) return; // wait until it is mid-session, so there is something to recover
            victim.child.kill(signal);
            hit = { at: performance.now(), held, doneBefore: new Set(Object.keys(job.tileWorkers)) };
          } else if (hit !== undefined && recovered === undefined) {
            // The first tile of one of its sessions finished by someone else: that session came back.
            const taken = Object.entries(job.tileWorkers).some(
              ([tile, worker]) =>
                !hit.doneBefore.has(tile) && !worker.startsWith(`${name}/`) && hit.held.has(bandOf(job, Number(tile))),
            );
            if (taken) recovered = performance.now() - hit.at;
          }
        });
        const took = recovered === undefined ? "n/a (its sessions had ended)" : `${(recovered / 1000).toFixed(2)} s`;
        console.log(
          `  ${signal} one of ${n} workers mid-session: its session went to another worker after ${took} (lock ${LOCK_MS / 1000} s)`,
        );
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
