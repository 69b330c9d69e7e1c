// Does Tessera get faster as it spreads over threads and worker processes, and how does it
// compare with sharp side by side? One run answers both; every figure in it is measured in that
// run, on this machine, next to the figure it is compared with. Nothing asserts a wall time.
//
//   npm run bench:scale                          # defaults: threads 1,2,4,… up to the cores
//   node bench/scale.bench.js --quick            # one run each, no 100 MP row
//   node bench/scale.bench.js --threads 1,2,4,8,16 --workers 1,2,3,4,6 --cluster-image 100mp
//   node bench/scale.bench.js --skip kernels,heavy,100mp,cluster,api,startup --json out.json
//
// Rows: the kernels alone on N threads; `tessera process` (light and heavy pipeline) against
// sharp as its own process at the same thread count; 100 MP wall and peak RSS; a local cluster
// of W worker processes (one job alone, and a burst of 2 jobs per worker); the HTTP API of
// `tessera serve`; start-up cost. Markdown tables go to stdout as rows are measured, and
// everything is written as JSON after each section.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import sharp from "sharp";
import {
  BIN,
  commandFor,
  fmt,
  freePort,
  KERNEL_WORKER_ROLE,
  killAllSync,
  lastJsonLine,
  liveGroups,
  median,
  round,
  run,
  sleep,
  startService,
  stopAll,
  stopService,
} from "./scale-lib.js";

// glibc's malloc settings the `tessera` command starts with (its shebang sets the same list:
// test/infra/malloc-env.test.ts), so that sharp can be measured with them too.
const { MALLOC_ENV } = await import("../dist/infra/local/child-process.js").catch((err) => {
  throw new Error(`the build is missing (${err.message}); run \`npm run build\` first`);
});
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = join(ROOT, "bench", ".cache");
const PHOTO = join(ROOT, "test", "fixtures", "images", "hubble_deep_field.jpg");
const NODE = process.execPath;

const LIGHT = "gaussian-blur(sigma=2) | sobel";
const HEAVY = "median(radius=2) | gaussian-blur(sigma=4) | sharpen(sigma=1, amount=1) | canny";
// The JPEG settings Tessera's encoder is moving to; sharp's defaults (mozjpeg with optimised
// Huffman coding) encode several times slower, so sharp is measured both ways.
const SAME_JPEG = { quality: 80, optimiseCoding: false };
const SECTIONS = ["kernels", "light", "heavy", "100mp", "cluster", "api", "startup"];
const KERNEL_ROUNDS = 3;
/** Each kernels-alone band has at least this many rows, so halos and borders stay a small part of it. */
const MIN_BAND_ROWS = 200;
const PROCESS_TIMEOUT_MS = 600_000;
const JOB_TIMEOUT_MS = 600_000;
const POLL_MS = 50;
/** Jobs per cluster worker posted at once in the cluster section's burst. */
const BURST_PER_WORKER = 2;

// ---------------------------------------------------------------------------------------------
// Flags.

const USAGE = `Usage: node bench/scale.bench.js [--threads LIST] [--workers LIST] [--cluster-threads T]
       [--cluster-loops N] [--cluster-image 24mp|100mp] [--runs N] [--skip LIST] [--json PATH] [--quick]

  --threads LIST        thread counts (default: 1,2,4,… below the core count, then the core count)
  --workers LIST        cluster worker processes (default 1,2,3)
  --cluster-threads T   kernel threads per cluster worker (default 2)
  --cluster-loops N     bands each cluster worker holds at once (default: the worker's own)
  --cluster-image I     24mp (default) or 100mp
  --runs N              runs per figure, median reported (default 3)
  --skip LIST           any of ${SECTIONS.join(",")}
  --json PATH           where the JSON goes (default bench/.cache/scale.json)
  --quick               --runs 1 and --skip 100mp
`;

function usage(message) {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function intList(flag, text) {
  const list = text.split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 1024))
    usage(`${flag} must be a comma-separated list of positive integers, got ${JSON.stringify(text)}`);
  return [...new Set(list)].sort((a, b) => a - b);
}

function defaultThreads(cores) {
  const list = [];
  for (let n = 1; n < cores; n *= 2) list.push(n);
  list.push(cores);
  return list;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      threads: { type: "string" },
      workers: { type: "string", default: "1,2,3" },
      "cluster-threads": { type: "string", default: "2" },
      "cluster-loops": { type: "string" },
      "cluster-image": { type: "string", default: "24mp" },
      runs: { type: "string" },
      skip: { type: "string", default: "" },
      json: { type: "string", default: join(CACHE, "scale.json") },
      quick: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (err) {
  usage(err.message);
}
if (parsed.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const CORES = os.availableParallelism();
const THREADS = parsed.threads ? intList("--threads", parsed.threads) : defaultThreads(CORES);
const WORKERS = intList("--workers", parsed.workers);
const CLUSTER_THREADS = intList("--cluster-threads", parsed["cluster-threads"])[0];
const CLUSTER_LOOPS = parsed["cluster-loops"] !== undefined ? intList("--cluster-loops", parsed["cluster-loops"])[0] : undefined;
if (!["24mp", "100mp"].includes(parsed["cluster-image"])) usage(`--cluster-image must be 24mp or 100mp`);
const CLUSTER_IMAGE = parsed["cluster-image"];
const RUNS = parsed.runs !== undefined ? intList("--runs", parsed.runs)[0] : parsed.quick ? 1 : 3;
const SKIP = new Set(
  parsed.skip
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);
for (const name of SKIP) if (!SECTIONS.includes(name)) usage(`--skip: unknown section ${JSON.stringify(name)}`);
if (parsed.quick) SKIP.add("100mp");
const JSON_PATH = resolve(parsed.json);
const MAX_THREADS = THREADS[THREADS.length - 1];
const TIME_BIN = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

// ---------------------------------------------------------------------------------------------
// Clean-up: temporary directories and child processes go, whatever way the bench ends.

const tempDirs = new Set();
function tempDir(prefix) {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}
function removeTemp(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}
process.on("exit", () => {
  killAllSync();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (interrupted) process.exit(130); // a second signal: the 'exit' handler SIGKILLs the rest
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping child processes…\n`);
    // Give a cluster the time to drain its workers, stop its emulators and remove their directories.
    stopAll(45_000).finally(() => process.exit(130));
  });
}

const TMP = tempDir("tessera-scale-");

// ---------------------------------------------------------------------------------------------
// Report.

const report = {
  machine: {
    cores: CORES,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    totalMemoryGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAverageAtStart: os.loadavg().map((v) => round(v, 2)),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    peakRssSource: TIME_BIN ? "/usr/bin/time -f %M" : "tessera --profile maxRssMB",
  },
  options: {
    threads: THREADS,
    workers: WORKERS,
    clusterThreads: CLUSTER_THREADS,
    clusterLoops: CLUSTER_LOOPS ?? null,
    clusterImage: CLUSTER_IMAGE,
    runs: RUNS,
    skip: [...SKIP],
    quick: parsed.quick,
    pipelines: { light: LIGHT, heavy: HEAVY },
    sharpSameJpeg: SAME_JPEG,
  },
  startedAt: new Date().toISOString(),
  inputs: {},
  sections: {},
};

function writeReport() {
  mkdirSync(dirname(JSON_PATH), { recursive: true });
  const temp = `${JSON_PATH}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(temp, JSON_PATH);
}

const say = (line = "") => console.log(line);
const secs = (ms) => fmt(ms / 1000);

// ---------------------------------------------------------------------------------------------
// Inputs, made once into bench/.cache/ (git-ignored) and reused; the 24 and 100 MP ones have
// the same names and settings as bench/process.bench.js, so the two benches share them.

async function makeInput(name, width, height, encode) {
  const path = join(CACHE, name);
  if (!existsSync(path)) {
    mkdirSync(CACHE, { recursive: true });
    // Written beside and renamed: an interrupted run never leaves a truncated input to reuse.
    const temp = `${path}.${process.pid}.tmp`;
    try {
      await encode(sharp(PHOTO).resize(width, height, { fit: "fill" })).toFile(temp);
      renameSync(temp, path);
    } finally {
      rmSync(temp, { force: true });
    }
  }
  const info = { path, width, height, megapixels: (width * height) / 1e6, bytes: statSync(path).size };
  report.inputs[name] = info;
  return info;
}
const jpeg90 = (s) => s.jpeg({ quality: 90 });
const input24 = () => makeInput("24mp.jpg", 6000, 4000, jpeg90);
const input100 = () => makeInput("100mp.jpg", 10000, 10000, jpeg90);
const inputTiny = () => makeInput("tiny64.png", 64, 64, (s) => s.png());

// ---------------------------------------------------------------------------------------------
// The commands measured.

const RSS_TAG = "scale-bench-max-rss-kb=";

/** Peak RSS in MB from /usr/bin/time's tagged line (KB), else from tessera's --profile line. */
function peakRss(stderr, profile) {
  const match = new RegExp(`${RSS_TAG}(\\d+)`).exec(stderr);
  if (match) return Number(match[1]) / 1024;
  return typeof profile?.maxRssMB === "number" ? profile.maxRssMB : null;
}

/** Runs argv (a node script) as its own process, under /usr/bin/time when asked and present. */
function node(argv, { rss = false, env, label }) {
  const [command, args] = commandFor(argv);
  if (rss && TIME_BIN)
    return run(TIME_BIN, ["-f", `${RSS_TAG}%M`, command, ...args], { env, cwd: ROOT, timeoutMs: PROCESS_TIMEOUT_MS, label });
  return run(command, args, { env, cwd: ROOT, timeoutMs: PROCESS_TIMEOUT_MS, label });
}

/** `tessera process` once: wall ms, peak RSS (when asked), the --profile line as printed. */
async function tesseraProcess(input, pipeline, threads, { rss = false } = {}) {
  const out = join(TMP, "tessera-out.jpg");
  const argv = [BIN, "process", input.path, "-o", out, "-p", pipeline, "--threads", String(threads), "--profile"];
  const r = await node(argv, { rss, label: `tessera process ${input.width}×${input.height} --threads ${threads}` });
  // Only maxRssMB is relied on; the rest of the profile is kept in the JSON as it came.
  const profile = lastJsonLine(r.stderr);
  return { ms: r.ms, rssMB: rss ? peakRss(r.stderr, profile) : null, profile, outBytes: statSync(out).size };
}

// sharp's nearest equivalent of the light pipeline: blur(2), then one 3×3 convolution (a Sobel
// x kernel), then JPEG, as its own process with N libvips threads. `require` resolves from the
// repository root (the child's cwd).
const SHARP_SCRIPT = `
const sharp = require("sharp");
const [, input, output, threads, options] = process.argv;
sharp.concurrency(Number(threads));
sharp(input).blur(2).convolve({ width: 3, height: 3, kernel: [-1, 0, 1, -2, 0, 2, -1, 0, 1] })
  .jpeg(JSON.parse(options)).toFile(output).catch((e) => { console.error(e); process.exit(1); });`;

/** sharp as its own process; `tuned`: with the `tessera` command's glibc settings (MALLOC_ENV). */
async function sharpProcess(input, threads, jpegOptions, { rss = false, tuned = false } = {}) {
  const out = join(TMP, "sharp-out.jpg");
  const r = await node(["-e", SHARP_SCRIPT, input.path, out, String(threads), JSON.stringify(jpegOptions)], {
    rss,
    // libuv's pool runs sharp's work; it must not be smaller than the threads asked for.
    env: { UV_THREADPOOL_SIZE: String(Math.max(4, threads)), ...(tuned && MALLOC_ENV) },
    label: `sharp ${input.width}×${input.height} concurrency ${threads}`,
  });
  return { ms: r.ms, rssMB: rss ? peakRss(r.stderr, null) : null, outBytes: statSync(out).size };
}

/** Median wall of `runs` calls, with every sample kept. */
async function medianOf(runs, once) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  return { ms: median(samples.map((s) => s.ms)), samples };
}

// ---------------------------------------------------------------------------------------------
// HTTP: waiting for a server, and one job from POST to downloaded result.

async function waitFor(url, ready, service, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (!service.running) throw new Error(`${what}: ${service.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = await response.json().catch(() => null);
      if (response.ok && ready(body)) return body;
      last = response.ok ? `not ready: ${JSON.stringify(body).slice(0, 300)}` : `HTTP ${response.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await sleep(250);
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s (last answer: ${last}).\n${service.output()}`);
}

/** Submits the image with the light pipeline, polls until it ends, downloads the result. */
async function job(base, input, bytes, pipeline) {
  const started = performance.now();
  const form = new FormData();
  form.set("image", new Blob([bytes], { type: "image/jpeg" }), input.path.split("/").pop());
  form.set("pipeline", pipeline);
  form.set("format", "jpeg");
  const submitted = await fetch(`${base}/v1/jobs`, { method: "POST", body: form, signal: AbortSignal.timeout(120_000) });
  if (submitted.status !== 202)
    throw new Error(`POST /v1/jobs: HTTP ${submitted.status}: ${(await submitted.text()).slice(0, 500)}`);
  const acceptedMs = performance.now() - started;
  const { id } = await submitted.json();
  const polls = Math.ceil(JOB_TIMEOUT_MS / POLL_MS);
  for (let i = 0; ; i++) {
    if (i >= polls || performance.now() - started > JOB_TIMEOUT_MS) {
      await fetch(`${base}/v1/jobs/${id}`, { method: "DELETE" }).catch(() => undefined);
      throw new Error(`job ${id} did not end within ${JOB_TIMEOUT_MS / 1000} s (canceled)`);
    }
    const response = await fetch(`${base}/v1/jobs/${id}`, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok) throw new Error(`GET /v1/jobs/${id}: HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
    const state = await response.json();
    if (state.status === "succeeded") break;
    if (state.status === "failed" || state.status === "canceled")
      throw new Error(`job ${id} ${state.status}: ${JSON.stringify(state.error ?? null)}`);
    await sleep(POLL_MS);
  }
  const result = await fetch(`${base}/v1/jobs/${id}/result`, { signal: AbortSignal.timeout(120_000) });
  if (!result.ok) throw new Error(`GET /v1/jobs/${id}/result: HTTP ${result.status}: ${(await result.text()).slice(0, 500)}`);
  const outBytes = (await result.arrayBuffer()).byteLength;
  return { ms: performance.now() - started, acceptedMs, id, outBytes };
}

// ---------------------------------------------------------------------------------------------
// 1. The kernels alone: N worker threads, each with its own Kernels instance and its own band.

function startKernelWorker(band, pipeline) {
  const worker = new Worker(new URL("./scale-lib.js", import.meta.url), {
    workerData: { role: KERNEL_WORKER_ROLE, ...band, pipeline },
    transferList: [band.buffer],
  });
  const ready = new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`kernel worker exited (code ${code}) before it was ready`)));
    worker.once("message", resolve);
  });
  return { worker, ready };
}

/** Posts one round to every worker; resolves with the wall until the last one answered. */
function kernelRound(workers, round) {
  return new Promise((resolve, reject) => {
    const perThread = [];
    const timer = setTimeout(() => reject(new Error(`kernel round ${round} took over 300 s`)), 300_000);
    const started = performance.now();
    for (const { worker } of workers) {
      worker.on("message", function answer(message) {
        if (message.round !== round) return;
        worker.off("message", answer);
        perThread.push(message.ms);
        if (perThread.length === workers.length) {
          clearTimeout(timer);
          resolve({ ms: performance.now() - started, perThread });
        }
      });
      worker.postMessage(round);
    }
    for (const { worker } of workers) worker.once("error", reject);
  });
}

async function kernelsSection(sec) {
  const input = await input24();
  const { data, info } = await sharp(input.path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  say(`\n### Kernels alone: "${LIGHT}" on ${width}×${height} RGBA split into N bands, one thread and one Kernels instance each`);
  say(
    `median of ${KERNEL_ROUNDS} rounds after one untimed run per thread; Mpx/s = all bands' pixels / wall of the slowest thread\n`,
  );
  say("| threads | rows per band | wall s | Mpx/s | speed-up vs 1 thread | slowest / fastest thread |");
  say("|---:|---:|---:|---:|---:|---:|");
  let base;
  for (const n of THREADS) {
    const rows = Math.min(height, Math.max(MIN_BAND_ROWS, Math.floor(height / n)));
    const workers = [];
    try {
      for (let i = 0; i < n; i++) {
        // Bands tile the image; when N × MIN_BAND_ROWS exceeds its height, the last ones overlap.
        const top = Math.min(i * rows, height - rows);
        const bytes = new Uint8Array(rows * width * 4);
        bytes.set(data.subarray(top * width * 4, (top + rows) * width * 4));
        workers.push(startKernelWorker({ width, height: rows, buffer: bytes.buffer }, LIGHT));
      }
      await Promise.all(workers.map((w) => w.ready));
      const rounds = [];
      for (let r = 0; r < KERNEL_ROUNDS; r++) rounds.push(await kernelRound(workers, r));
      const wall = median(rounds.map((r) => r.ms));
      const mpxPerS = (n * rows * width) / 1e6 / (wall / 1000);
      if (n === 1) base = mpxPerS;
      // How unevenly the threads of one round finished (1.00: together), median over rounds.
      const spread = median(rounds.map((r) => Math.max(...r.perThread) / Math.min(...r.perThread)));
      const row = {
        threads: n,
        rowsPerBand: rows,
        wallS: round(wall / 1000),
        mpxPerS: round(mpxPerS, 1),
        speedup: base ? round(mpxPerS / base) : null,
        slowestOverFastest: round(spread),
        roundsMs: rounds.map((r) => round(r.ms, 1)),
      };
      sec.rows.push(row);
      say(`| ${n} | ${rows} | ${secs(wall)} | ${fmt(mpxPerS, 1)} | ${fmt(row.speedup)} | ${fmt(spread)} |`);
      writeReport();
    } finally {
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. `tessera process`, 24 MP, light pipeline, against sharp at the same thread count.

async function lightSection(sec) {
  const input = await input24();
  say(`\n### tessera process vs sharp, 24 MP JPEG (${input.width}×${input.height}) → "${LIGHT}" → JPEG`);
  say(
    `each its own process, median of ${RUNS} run(s), runs interleaved; sharp: blur(2) → 3×3 Sobel-x convolve → jpeg, sharp.concurrency(N)`,
  );
  say(`ratio = tessera / sharp with JPEG ${JSON.stringify(SAME_JPEG)} (above 1: tessera slower)`);
  say(`"glibc as tessera": sharp with the environment the tessera command starts with, ${JSON.stringify(MALLOC_ENV)}\n`);
  say(
    "| threads | tessera s | sharp s | ratio tessera/sharp | sharp, glibc as tessera s | ratio to it | tessera speed-up vs 1 thread |",
  );
  say("|---:|---:|---:|---:|---:|---:|---:|");
  // Untimed: the input in the page cache, node's and the dynamic linker's first-start costs.
  await tesseraProcess(input, LIGHT, MAX_THREADS);
  await sharpProcess(input, MAX_THREADS, SAME_JPEG);
  let base;
  for (const n of THREADS) {
    const t = [];
    const s = [];
    const g = [];
    // Interleaved, so a change in the machine's load hits all three alike.
    for (let i = 0; i < RUNS; i++) {
      t.push(await tesseraProcess(input, LIGHT, n));
      s.push(await sharpProcess(input, n, SAME_JPEG));
      g.push(await sharpProcess(input, n, SAME_JPEG, { tuned: true }));
    }
    const tessera = median(t.map((x) => x.ms));
    const same = median(s.map((x) => x.ms));
    const tuned = median(g.map((x) => x.ms));
    if (n === 1) base = tessera;
    const row = {
      threads: n,
      tesseraS: round(tessera / 1000),
      sharpSameJpegS: round(same / 1000),
      ratio: round(tessera / same),
      sharpGlibcAsTesseraS: round(tuned / 1000),
      ratioToGlibcAsTessera: round(tessera / tuned),
      speedup: base ? round(base / tessera) : null,
      outputBytes: { tessera: t[0].outBytes, sharpSameJpeg: s[0].outBytes },
      samplesMs: {
        tessera: t.map((x) => round(x.ms, 0)),
        sharpSameJpeg: s.map((x) => round(x.ms, 0)),
        sharpGlibcAsTessera: g.map((x) => round(x.ms, 0)),
      },
      tesseraProfile: t[0].profile,
    };
    sec.rows.push(row);
    say(
      `| ${n} | ${secs(tessera)} | ${secs(same)} | ${fmt(row.ratio)} | ${secs(tuned)} | ${fmt(row.ratioToGlibcAsTessera)} | ${fmt(row.speedup)} |`,
    );
    writeReport();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. `tessera process`, 24 MP, heavy pipeline (sharp has no canny: no sharp column).

async function heavySection(sec) {
  const input = await input24();
  say(`\n### tessera process, 24 MP JPEG → "${HEAVY}" → JPEG, median of ${RUNS} run(s)`);
  say(
    `warm: the same job in one process whose engine is up (bench/warm.bench.js: a first run, then the median of ${WARM_RUNS}), as \`tessera serve\` and every cluster worker run it; the one-shot wall less the warm one is the start-up a one-shot process pays\n`,
  );
  say("| threads | tessera s | Mpx/s | speed-up vs 1 thread | warm s | warm speed-up |");
  say("|---:|---:|---:|---:|---:|---:|");
  let base;
  let warmBase;
  for (const n of THREADS) {
    const m = await medianOf(RUNS, () => tesseraProcess(input, HEAVY, n));
    const warm = await warmJob(input, HEAVY, n);
    if (n === 1) {
      base = m.ms;
      warmBase = warm.ms;
    }
    const mpxPerS = input.megapixels / (m.ms / 1000);
    const row = {
      threads: n,
      tesseraS: round(m.ms / 1000),
      mpxPerS: round(mpxPerS, 2),
      speedup: base ? round(base / m.ms) : null,
      warmS: round(warm.ms / 1000),
      warmSpeedup: warmBase ? round(warmBase / warm.ms) : null,
    };
    row.samplesMs = m.samples.map((x) => round(x.ms, 0));
    row.warmSamplesMs = warm.samples.map((x) => round(x, 0));
    row.tesseraProfile = m.samples[0].profile;
    sec.rows.push(row);
    say(`| ${n} | ${secs(m.ms)} | ${fmt(mpxPerS)} | ${fmt(row.speedup)} | ${secs(warm.ms)} | ${fmt(row.warmSpeedup)} |`);
    writeReport();
  }
}

/** Warm runs of a job after the first, in one process (bench/warm.bench.js). */
const WARM_RUNS = 3;

/** The median wall of `pipeline` on `input` at `n` threads in a process that has run it once already. */
async function warmJob(input, pipeline, n) {
  const script = join(ROOT, "bench", "warm.bench.js");
  const { stdout } = await run(NODE, [script, input.path, String(n), pipeline, String(WARM_RUNS + 1)], {
    cwd: ROOT,
    label: `warm ${pipeline} at ${n} threads`,
  });
  const samples = [...stdout.matchAll(/^run (\d+): (\d+) ms/gm)].filter((r) => r[1] !== "0").map((r) => Number(r[2]));
  if (samples.length !== WARM_RUNS)
    throw new Error(`bench/warm.bench.js printed ${samples.length} warm runs, not ${WARM_RUNS}:\n${stdout}`);
  return { ms: median(samples), samples };
}

// ---------------------------------------------------------------------------------------------
// 4. 100 MP, light pipeline, at the largest thread count: wall and peak RSS.

async function bigSection(sec) {
  const input = await input100();
  const n = MAX_THREADS;
  say(`\n### 100 MP JPEG (${input.width}×${input.height}) → "${LIGHT}" → JPEG at ${n} threads, median of ${RUNS} run(s)`);
  say(`peak RSS from ${report.machine.peakRssSource} (the highest of the runs); sharp with JPEG ${JSON.stringify(SAME_JPEG)}\n`);
  say("| | wall s | Mpx/s | peak RSS MB |");
  say("|---|---:|---:|---:|");
  const t = [];
  const s = [];
  const g = [];
  for (let i = 0; i < RUNS; i++) {
    t.push(await tesseraProcess(input, LIGHT, n, { rss: true }));
    s.push(await sharpProcess(input, n, SAME_JPEG, { rss: true }));
    g.push(await sharpProcess(input, n, SAME_JPEG, { rss: true, tuned: true }));
  }
  const peak = (xs) => (xs.every((x) => x.rssMB === null) ? null : Math.max(...xs.map((x) => x.rssMB ?? 0)));
  for (const [name, xs] of [
    ["tessera process", t],
    ["sharp", s],
    ["sharp, glibc as tessera", g],
  ]) {
    const ms = median(xs.map((x) => x.ms));
    const row = {
      tool: name,
      threads: n,
      wallS: round(ms / 1000),
      mpxPerS: round(input.megapixels / (ms / 1000), 2),
      peakRssMB: round(peak(xs), 0),
    };
    row.samplesMs = xs.map((x) => round(x.ms, 0));
    if (name === "tessera process") row.profileMaxRssMB = xs.map((x) => x.profile?.maxRssMB ?? null);
    sec.rows.push(row);
    say(`| ${name} | ${fmt(row.wallS)} | ${fmt(row.mpxPerS)} | ${fmt(row.peakRssMB, 0)} |`);
  }
  sec.ratioTesseraOverSharp = round(sec.rows[0].wallS / sec.rows[1].wallS);
  sec.ratioToGlibcAsTessera = round(sec.rows[0].wallS / sec.rows[2].wallS);
  say(
    `\nratio tessera / sharp: ${fmt(sec.ratioTesseraOverSharp)}; to sharp with glibc as tessera: ${fmt(sec.ratioToGlibcAsTessera)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// 5. A local cluster: W worker processes of T threads each, fed through the gateway's API.

async function clusterSection(sec) {
  const input = CLUSTER_IMAGE === "100mp" ? await input100() : await input24();
  const T = CLUSTER_THREADS;
  const bytes = readFileSync(input.path);
  say(`\n### Local cluster (\`tessera cluster\`): ${input.width}×${input.height} JPEG → "${LIGHT}" → JPEG through the API`);
  say(
    `wall = POST /v1/jobs to the result downloaded, median of ${RUNS} job(s) after a warm-up job on the same image (so every worker process has run bands of its size); ${T} thread(s) per worker, ${CLUSTER_LOOPS ?? "its default"} loop(s)`,
  );

  // The single-process figure the cluster is compared with, measured in this row set.
  const proc = await medianOf(RUNS, () => tesseraProcess(input, LIGHT, T));
  const proc2 = T === 2 ? proc : await medianOf(RUNS, () => tesseraProcess(input, LIGHT, 2));
  sec.processThreadsT = {
    threads: T,
    wallS: round(proc.ms / 1000),
    mpxPerS: round(input.megapixels / (proc.ms / 1000), 2),
    outputBytes: proc.samples[0].outBytes,
  };
  sec.processThreads2 = { threads: 2, wallS: round(proc2.ms / 1000) };
  say(`tessera process --threads ${T} on the same image: ${secs(proc.ms)} s = ${fmt(sec.processThreadsT.mpxPerS)} Mpx/s\n`);
  say(
    `one job: the median job alone; burst: ${BURST_PER_WORKER} jobs per worker posted at once, Mpx/s = all their pixels / (first POST to last result)\n`,
  );
  say(
    `| workers | threads per worker | one job: wall s | Mpx/s | efficiency | Mpx/s ÷ process --threads ${T} | burst: jobs | wall s | Mpx/s | efficiency |`,
  );
  say("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  writeReport();

  let one;
  let oneBurst;
  for (const W of WORKERS) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const loops = CLUSTER_LOOPS === undefined ? [] : ["--loops", String(CLUSTER_LOOPS)];
    const service = startService(
      BIN,
      ["cluster", "--workers", String(W), "--threads", String(T), ...loops, "--port", String(port)],
      {
        cwd: ROOT,
        label: `tessera cluster --workers ${W}`,
        // The gateway's default admission (200 MP at once) would queue a burst of large jobs.
        env: { TESSERA_MAX_ACTIVE_JOBS: "64", TESSERA_MAX_ACTIVE_PIXELS: String(4_000_000_000) },
      },
    );
    let samples;
    let burst;
    let stopped;
    try {
      // The emulators, the gateway and the workers start one after another: allow for each.
      const startMs = 60_000 + 5_000 * W;
      await waitFor(
        `${base}/v1/cluster`,
        (body) => Array.isArray(body?.workers) && body.workers.filter((w) => w.alive).length >= W,
        service,
        startMs,
        `tessera cluster did not show ${W} live worker(s) at ${base}/v1/cluster`,
      );
      await job(base, input, bytes, LIGHT);
      samples = [];
      for (let i = 0; i < RUNS; i++) samples.push(await job(base, input, bytes, LIGHT));
      // One job cannot keep many workers busy: its upload, cut, first band and result are serial.
      // A burst measures what a cluster is for, throughput when there is work for every worker.
      const started = performance.now();
      const jobs = await Promise.all(Array.from({ length: BURST_PER_WORKER * W }, () => job(base, input, bytes, LIGHT)));
      burst = {
        jobs: jobs.length,
        ms: performance.now() - started,
        resultBytes: jobs.map((j) => j.outBytes),
        // When each job's 202 came and when its result was in, from the burst's start: a serial
        // step at submit shows as 202s spread over the burst (the gateway's scan once did).
        acceptedS: jobs.map((j) => round(j.acceptedMs / 1000)).sort((a, b) => a - b),
        doneS: jobs.map((j) => round(j.ms / 1000)).sort((a, b) => a - b),
      };
    } finally {
      stopped = await stopService(service, 60_000);
      if (!stopped.graceful || stopped.leftovers)
        process.stderr.write(
          `warning: tessera cluster --workers ${W} ${stopped.graceful ? "left processes behind" : "did not stop on SIGTERM"}; killed\n`,
        );
    }
    // The next cluster must not compete with what is left of this one.
    if (!stopped.gone) throw new Error(`tessera cluster --workers ${W}: processes still alive after SIGKILL`);
    const ms = median(samples.map((s) => s.ms));
    const mpxPerS = input.megapixels / (ms / 1000);
    const burstMpxPerS = (burst.jobs * input.megapixels) / (burst.ms / 1000);
    if (W === 1) {
      one = mpxPerS;
      oneBurst = burstMpxPerS;
    }
    const row = {
      workers: W,
      threadsPerWorker: T,
      wallS: round(ms / 1000),
      mpxPerS: round(mpxPerS, 2),
      efficiency: one ? round(mpxPerS / (W * one)) : null,
      overProcess: round(mpxPerS / sec.processThreadsT.mpxPerS),
      samplesMs: samples.map((s) => round(s.ms, 0)),
      // A check that a whole result came back: compare with the process run's output size.
      resultBytes: samples.map((s) => s.outBytes),
      burst: {
        jobs: burst.jobs,
        wallS: round(burst.ms / 1000),
        mpxPerS: round(burstMpxPerS, 2),
        efficiency: oneBurst ? round(burstMpxPerS / (W * oneBurst)) : null,
        resultBytes: burst.resultBytes,
        acceptedS: burst.acceptedS,
        doneS: burst.doneS,
      },
    };
    sec.rows.push(row);
    say(
      `| ${W} | ${T} | ${secs(ms)} | ${fmt(mpxPerS)} | ${fmt(row.efficiency)} | ${fmt(row.overProcess)} | ${burst.jobs} | ${secs(burst.ms)} | ${fmt(burstMpxPerS)} | ${fmt(row.burst.efficiency)} |`,
    );
    writeReport();
  }
  const single = sec.rows.find((r) => r.workers === 1);
  if (single) {
    sec.oneWorkerOverProcessMpx = single.overProcess;
    sec.oneWorkerTimeOverProcess2Time = round(single.wallS / sec.processThreads2.wallS);
    say(`\n1-worker cluster Mpx/s ÷ tessera process --threads ${T} Mpx/s: ${fmt(single.overProcess)}`);
    say(`(2-core target) 1-worker cluster time ÷ tessera process --threads 2 time: ${fmt(sec.oneWorkerTimeOverProcess2Time)}`);
  }
  say("\nthe bursts over time, seconds from their start: when the jobs' 202s came, and their results\n");
  say("| workers | 202s, first – last | results, first – last |");
  say("|---:|---:|---:|");
  for (const { workers, burst } of sec.rows) {
    const span = (xs) => `${fmt(xs[0])} – ${fmt(xs[xs.length - 1])}`;
    say(`| ${workers} | ${span(burst.acceptedS)} | ${span(burst.doneS)} |`);
  }
}

// ---------------------------------------------------------------------------------------------
// 6. The API path: `tessera serve` (in-process workers, all cores) against `tessera process`.

async function apiSection(sec) {
  const input = await input24();
  const bytes = readFileSync(input.path);
  const n = CORES;
  say(`\n### API path: \`tessera serve --threads ${n}\`, 24 MP JPEG → "${LIGHT}" → JPEG`);
  say(
    `wall = POST /v1/jobs to the result downloaded, median of ${RUNS} job(s) after one warm-up job, against tessera process --threads ${n}\n`,
  );
  const proc = await medianOf(RUNS, () => tesseraProcess(input, LIGHT, n));
  const dataDir = tempDir("tessera-scale-data-");
  const port = await freePort();
  const service = startService(BIN, ["serve", "--threads", String(n)], {
    cwd: ROOT,
    env: { PORT: String(port), TESSERA_DATA_DIR: dataDir },
    label: "tessera serve",
  });
  const base = `http://127.0.0.1:${port}`;
  let samples;
  try {
    await waitFor(`${base}/healthz`, () => true, service, 60_000, `tessera serve did not answer ${base}/healthz`);
    await job(base, input, bytes, LIGHT);
    samples = [];
    for (let i = 0; i < RUNS; i++) samples.push(await job(base, input, bytes, LIGHT));
  } finally {
    const stopped = await stopService(service, 30_000);
    if (!stopped.graceful) process.stderr.write("warning: tessera serve did not stop on SIGTERM; killed\n");
    removeTemp(dataDir);
  }
  const api = median(samples.map((s) => s.ms));
  const row = {
    threads: n,
    apiS: round(api / 1000),
    processS: round(proc.ms / 1000),
    ratio: round(api / proc.ms),
    samplesMs: { api: samples.map((s) => round(s.ms, 0)), process: proc.samples.map((s) => round(s.ms, 0)) },
    // A check that a whole result came back: the two should be about the same size.
    resultBytes: { api: samples.map((s) => s.outBytes), process: proc.samples[0].outBytes },
  };
  sec.rows.push(row);
  say("| threads | API (POST → result) s | tessera process s | ratio API / process |");
  say("|---:|---:|---:|---:|");
  say(`| ${n} | ${secs(api)} | ${secs(proc.ms)} | ${fmt(row.ratio)} |`);
}

// ---------------------------------------------------------------------------------------------
// 7. Start-up: what a process costs before it touches a pixel.

async function startupSection(sec) {
  const tiny = await inputTiny();
  const RUNS_STARTUP = 7;
  const commands = [
    ["node -e 0", ["-e", "0"]],
    ["tessera --help", [BIN, "--help"]],
    ["tessera process tiny.png -p invert", [BIN, "process", tiny.path, "-o", join(TMP, "tiny-out.png"), "-p", "invert"]],
  ];
  const samples = commands.map(() => []);
  // Interleaved, so drift in the machine's load does not land on one command.
  for (let i = 0; i < RUNS_STARTUP; i++) {
    for (const [c, [label, argv]] of commands.entries())
      samples[c].push((await run(...commandFor(argv), { cwd: ROOT, timeoutMs: 60_000, label })).ms);
  }
  const nodeMs = median(samples[0]);
  say(`\n### Start-up, median of ${RUNS_STARTUP} runs each (64×64 PNG)\n`);
  say("| command | ms | minus node -e 0, ms |");
  say("|---|---:|---:|");
  for (const [c, [label]] of commands.entries()) {
    const ms = median(samples[c]);
    sec.rows.push({
      command: label,
      ms: round(ms, 1),
      overNodeMs: round(ms - nodeMs, 1),
      samplesMs: samples[c].map((x) => round(x, 1)),
    });
    say(`| \`${label}\` | ${fmt(ms, 0)} | ${c === 0 ? "–" : fmt(ms - nodeMs, 0)} |`);
  }
}

// ---------------------------------------------------------------------------------------------

const m = report.machine;
say(`## Tessera scaling benchmark`);
say(
  `\n${m.cores} cores (${m.cpuModel}), ${m.totalMemoryGiB} GiB, ${m.platform}, node ${m.node}, sharp ${m.sharp} (libvips ${m.libvips})`,
);
say(
  `load average at start: ${m.loadAverageAtStart.join(" ")}; threads ${THREADS.join(",")}; workers ${WORKERS.join(",")}; runs ${RUNS}`,
);
say(`skipped: ${[...SKIP].join(", ") || "none"}; JSON: ${JSON_PATH}`);
writeReport();

const runners = {
  kernels: kernelsSection,
  light: lightSection,
  heavy: heavySection,
  "100mp": bigSection,
  cluster: clusterSection,
  api: apiSection,
  startup: startupSection,
};
let failures = 0;
for (const name of SECTIONS) {
  if (interrupted) break;
  if (SKIP.has(name)) {
    report.sections[name] = { skipped: true };
    continue;
  }
  const sec = { rows: [] };
  report.sections[name] = sec;
  const started = performance.now();
  try {
    await runners[name](sec);
  } catch (err) {
    if (interrupted) break;
    failures++;
    sec.error = err.message;
    say(`\n**${name} failed:** ${err.message.replaceAll("\n", "\n    ")}`);
  }
  sec.seconds = round((performance.now() - started) / 1000, 1);
  process.stderr.write(`[${name}: ${sec.seconds} s]\n`);
  writeReport();
}

if (!interrupted) {
  report.finishedAt = new Date().toISOString();
  report.machine.loadAverageAtEnd = os.loadavg().map((v) => round(v, 2));
  writeReport();
  const left = liveGroups();
  if (left.length > 0)
    process.stderr.write(`warning: still running at the end, killed: ${left.map(([pid, l]) => `${pid} (${l})`).join(", ")}\n`);
  await stopAll(5_000);
  removeTemp(TMP);
  say(`\nJSON written to ${JSON_PATH}${failures ? `; ${failures} section(s) failed` : ""}`);
  process.exit(failures ? 1 : 0);
}
