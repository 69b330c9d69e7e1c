// A gigapixel image through Tessera, in one process and on a local 3-worker cluster, against
// sharp streaming the same pipeline: wall time, Mpx/s, and every process's peak RSS. Nothing
// asserts a time; the table is the result.
//
//   npm run bench:gigapixel                      # 1000 MP (made once, cached in bench/.cache)
//   node bench/gigapixel.bench.js --mp 250       # smaller, for a quick look
//   node bench/gigapixel.bench.js --skip cluster,sharp --threads 2 --json out.json
//
// The input is a tiled BigTIFF (256-px JPEG-compressed tiles) of a photograph resized to the
// size asked for; the output a tiled pyramidal BigTIFF. Peak RSS is each process's own high
// water mark (VmHWM in /proc, or /usr/bin/time's %M): Linux.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { BIN, commandFor, fmt, freePort, lastJsonLine, run, sleep, startService, stopService } from "./scale-lib.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = join(ROOT, "bench", ".cache");
const PHOTO = join(ROOT, "test", "fixtures", "images", "hubble_deep_field.jpg");
const PIPELINE = "gaussian-blur(sigma=2) | sobel";
const TIME_BIN = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const RSS_TAG = "gigapixel-bench-max-rss-kb=";
const TIMEOUT_MS = 3_600_000;

const { values: args } = parseArgs({
  options: {
    mp: { type: "string", default: "1000" },
    threads: { type: "string" },
    workers: { type: "string", default: "3" },
    skip: { type: "string", default: "" },
    json: { type: "string" },
  },
});
const MP = Number(args.mp);
const THREADS = Number(args.threads ?? Math.min(os.availableParallelism(), 16));
const WORKERS = Number(args.workers);
const SKIP = new Set(args.skip.split(",").filter(Boolean));
if (!(MP > 0) || !(THREADS > 0) || !(WORKERS > 0)) throw new Error("--mp, --threads and --workers must be positive numbers");
const say = (line) => process.stdout.write(`${line}\n`);
const report = { mp: MP, threads: THREADS, workers: WORKERS, pipeline: PIPELINE, rows: [] };

/** The cached input: a square tiled BigTIFF of about MP megapixels. */
async function input() {
  const side = Math.round(Math.sqrt(MP * 1e6));
  const path = join(CACHE, `gigapixel-${side}.tif`);
  if (!existsSync(path)) {
    mkdirSync(CACHE, { recursive: true });
    say(`making ${path} (${side}×${side}), once…`);
    const started = performance.now();
    await sharp(PHOTO, { limitInputPixels: false })
      .resize(side, side, { fit: "fill" })
      .tiff({ tile: true, tileWidth: 256, tileHeight: 256, compression: "jpeg", quality: 90, bigtiff: true })
      .toFile(`${path}.tmp`);
    renameSync(`${path}.tmp`, path); // complete or absent: a cut-short run leaves no cached half
    say(`made in ${fmt((performance.now() - started) / 1000, 1)} s`);
  }
  return { path, width: side, height: side, megapixels: (side * side) / 1e6, bytes: statSync(path).size };
}

const peakOf = (stderr) => {
  const match = new RegExp(`${RSS_TAG}(\\d+)`).exec(stderr);
  return match ? Number(match[1]) / 1024 : null;
};

/**
 * Runs a node script as its own process (the `tessera` command through its shebang:
 * commandFor), its peak RSS measured by /usr/bin/time when present.
 */
function timed(argv, env, label) {
  const [program, args] = commandFor(argv);
  const [command, full] = TIME_BIN ? [TIME_BIN, ["-f", `${RSS_TAG}%M`, program, ...args]] : [program, args];
  return run(command, full, { env: { ...process.env, ...env }, cwd: ROOT, timeoutMs: TIMEOUT_MS, label });
}

function row(what, ms, image, processes) {
  const entry = { what, wallS: ms / 1000, mpxPerS: image.megapixels / (ms / 1000), peakRssMB: processes };
  report.rows.push(entry);
  const rss = Object.entries(processes)
    .map(([name, mb]) => `${name} ${mb === null ? "?" : Math.round(mb)}`)
    .join(", ");
  say(`| ${what} | ${fmt(entry.wallS, 1)} | ${fmt(entry.mpxPerS, 1)} | ${rss} |`);
}

async function embedded(image, out) {
  const r = await timed(
    [BIN, "process", image.path, "-o", out, "-p", PIPELINE, "--threads", String(THREADS), "--profile"],
    { TESSERA_MAX_PIXELS: String(image.width * image.height) },
    "tessera process",
  );
  const profile = lastJsonLine(r.stderr);
  report.embeddedProfile = profile;
  row(`\`tessera process\`, ${THREADS} threads`, r.ms, image, { process: peakOf(r.stderr) ?? profile?.maxRssMB ?? null });
}

const SHARP_SCRIPT = `
const sharp = require("sharp");
const [, input, output, threads] = process.argv;
sharp.concurrency(Number(threads));
sharp(input, { limitInputPixels: false }).blur(2).convolve({ width: 3, height: 3, kernel: [-1, 0, 1, -2, 0, 2, -1, 0, 1] })
  .tiff({ tile: true, pyramid: true, bigtiff: true, compression: "deflate" }).toFile(output)
  .catch((e) => { console.error(e); process.exit(1); });`;

async function sharpStreaming(image, out) {
  const r = await timed(
    ["-e", SHARP_SCRIPT, image.path, out, String(THREADS)],
    { UV_THREADPOOL_SIZE: String(Math.max(4, THREADS)) },
    "sharp",
  );
  row(`sharp streaming the same pipeline, ${THREADS} threads`, r.ms, image, { process: peakOf(r.stderr) });
}

/** Every process under `pid` (itself included), from /proc. */
function tree(pid) {
  const all = [];
  const visit = (p) => {
    all.push(p);
    const children = existsSync(`/proc/${p}/task/${p}/children`) ? readFileSync(`/proc/${p}/task/${p}/children`, "utf8") : "";
    for (const c of children.split(/\s+/).filter(Boolean)) visit(Number(c));
  };
  visit(pid);
  return all;
}

/** Peak RSS (VmHWM) of each live process under `pid`, named by its command line. */
function peaks(pid) {
  const out = {};
  for (const p of tree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, "utf8");
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      const argv = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      const role = argv.includes("worker")
        ? `worker ${p}`
        : argv.includes("gateway")
          ? "gateway"
          : argv.includes("cluster")
            ? "cluster"
            : /azurite/.test(argv.join(" "))
              ? "azurite"
              : /service-bus-emulator/.test(argv.join(" "))
                ? "service bus emulator"
                : `pid ${p}`;
      if (hwm) out[role] = Number(hwm[1]) / 1024;
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function cluster(image) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const pixels = String(image.width * image.height);
  const service = startService(
    BIN,
    [
      "cluster",
      "--workers",
      String(WORKERS),
      "--threads",
      String(Math.max(1, Math.floor(THREADS / WORKERS))),
      "--port",
      String(port),
    ],
    {
      cwd: ROOT,
      label: `tessera cluster --workers ${WORKERS}`,
      env: {
        ...process.env,
        TESSERA_MAX_PIXELS: pixels,
        TESSERA_MAX_ACTIVE_PIXELS: pixels,
        TESSERA_MAX_PIXEL_STEPS: String(image.width * image.height * 8),
        TESSERA_MAX_UPLOAD_BYTES: String(image.bytes + 1_000_000),
      },
    },
  );
  try {
    for (let i = 0; ; i++) {
      if (i > 600 || !service.running) throw new Error(`the cluster did not start within 150 s: ${service.output()}`);
      const body = await fetch(`${base}/v1/cluster`)
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null);
      if (body?.workers?.filter((w) => w.alive).length >= WORKERS) break;
      await sleep(250);
    }
    const started = performance.now();
    const form = new FormData();
    form.set("image", new Blob([readFileSync(image.path)]), "gigapixel.tif");
    form.set("pipeline", PIPELINE);
    form.set("format", "tiff");
    const posted = await fetch(`${base}/v1/jobs`, { method: "POST", body: form });
    if (posted.status !== 202) throw new Error(`POST /v1/jobs: HTTP ${posted.status}: ${(await posted.text()).slice(0, 500)}`);
    const { id } = await posted.json();
    let status = "queued";
    for (let polls = 0; polls < TIMEOUT_MS / 500 && status !== "succeeded"; polls++) {
      const job = await (await fetch(`${base}/v1/jobs/${id}`)).json();
      status = job.status;
      if (status !== "queued" && status !== "running" && status !== "succeeded")
        throw new Error(`job ${id} ${status}: ${JSON.stringify(job.error)}`);
      if (status !== "succeeded") await sleep(500);
    }
    if (status !== "succeeded") throw new Error(`job ${id} did not end within the bench's hour`);
    const result = await fetch(`${base}/v1/jobs/${id}/result`);
    const bytes = (await result.arrayBuffer()).byteLength;
    const ms = performance.now() - started;
    report.clusterResultBytes = bytes;
    row(`\`tessera cluster\`, ${WORKERS} workers, through the API`, ms, image, peaks(service.child.pid));
  } finally {
    await stopService(service, 60_000);
  }
}

const image = await input();
say(`\n## ${image.width}×${image.height} (${fmt(image.megapixels, 0)} MP) tiled TIFF → "${PIPELINE}" → pyramidal TIFF`);
say(
  `${os.availableParallelism()} cores, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}; input ${fmt(image.bytes / 1e6, 0)} MB\n`,
);
say("| what | wall s | Mpx/s | peak RSS MB, per process |");
say("|---|---:|---:|---|");
const outDir = join(os.tmpdir(), `tessera-gigapixel-${process.pid}`);
mkdirSync(outDir, { recursive: true });
try {
  if (!SKIP.has("embedded")) await embedded(image, join(outDir, "tessera.tif"));
  if (!SKIP.has("sharp")) await sharpStreaming(image, join(outDir, "sharp.tif"));
  if (!SKIP.has("cluster")) await cluster(image);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
