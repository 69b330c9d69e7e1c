// Kernel benchmark: every op of Tessera's WebAssembly kernels against sharp (libvips, native),
// wasm-vips, OpenCV.js and photon wherever each has an equivalent, one thread each, on one
// 12 MP input made by resizing a photograph. The analysis ops (keypoints, lines, regions)
// follow in a second table, against OpenCV.js on the same input's grey bytes
// (bench/analysis-rows.js says how they are timed and checked).
//
//   npm run bench:kernels                       # every op, table on stdout
//   npm run bench:kernels -- --runs 9           # more runs per op
//   npm run bench:kernels -- --only convolve    # rows (of either table) whose name contains the text
//   npm run bench:kernels -- --json out.json    # both tables: `rows` and `analysis`
//   npm run bench:kernels -- --fresh-pages      # with the C allocator's defaults (see below)
//
// Every timed call includes getting pixels in and out of JS memory (sharp: raw buffer → raw
// buffer; the WebAssembly libraries: copy into their memory and back out to a fresh buffer),
// so the comparison is what a caller pays. Where a library writes one channel (a grey result),
// Tessera is asked for its one-channel form too (`run(image, pipeline, {channels: 1})`), and
// rows whose peers take a grey image give every side the same grey image (the photo's luma).
//
// Each contender runs in a process of its own (bench/kernels-contender.js), one after the
// other, with a full garbage collection before every timed call: no library's threads, heap
// or garbage are in another's way.
//
// Fresh pages. Every contender returns its result in a fresh buffer. With the C allocator's
// defaults, a buffer over 32 MB (a 12 MP RGBA result is 48 MB) is always new pages from the
// kernel, and on a VM faulting them in costs ~150 ms (12 µs a page), against ~3 ms to write
// pages already mapped: for a point op that is 90 % of every contender's time, and whether a
// buffer lands on mapped pages decides the ranking. So by default the contenders' processes run
// with glibc told to keep freed memory for reuse (MALLOC_MMAP_THRESHOLD_ and
// MALLOC_TRIM_THRESHOLD_), every contender alike: the table then measures the libraries.
// `--fresh-pages` runs them with the defaults, and the copy floor column shows what the page
// faults cost there.
//
// Equal work is checked, not assumed: each peer's first result is compared with Tessera's and
// the largest absolute difference per byte is printed beside its time (colour channels only
// where the output is RGBA: alpha is 255 throughout). A peer's `note` (peers-libs.js) says
// where its definition differs.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadKernels } from "@tessera/kernels";
import { printAnalysis, runAnalysis } from "./analysis-rows.js";
import { makeInput, selectRows } from "./kernels-rows.js";
import { PEER_NAMES } from "./peers-libs.js";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    json: { type: "string" },
    photo: { type: "string", default: "astronaut.png" },
    width: { type: "string", default: "4000" },
    height: { type: "string", default: "3000" },
    only: { type: "string" },
    "fresh-pages": { type: "boolean", default: false },
  },
});
const RUNS = Math.max(3, Number(args.runs));
const width = Number(args.width);
const height = Number(args.height);
const mpx = (width * height) / 1e6;
const freshPages = args["fresh-pages"];
/** glibc's tunables (read at process start): serve every size from memory it keeps, and keep it. */
const KEEP_FREED = { MALLOC_MMAP_THRESHOLD_: "4294967295", MALLOC_TRIM_THRESHOLD_: "4294967295" };
const CONTENDER = fileURLToPath(new URL("./kernels-contender.js", import.meta.url));

/** Runs one contender's process over the selected rows; its JSON line, or `error`. */
function contender(name) {
  const argv = ["--expose-gc", CONTENDER, "--name", name, "--runs", String(RUNS), "--photo", args.photo];
  argv.push("--width", String(width), "--height", String(height), ...(args.only ? ["--only", args.only] : []));
  const env = { ...process.env, ...(freshPages ? {} : KEEP_FREED) };
  const child = spawnSync(process.execPath, argv, {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 24,
  });
  const line = child.stdout?.trim().split("\n").pop();
  if (child.status === 0 && line) return JSON.parse(line);
  return { name, error: `its process ended with ${child.error?.message ?? `status ${child.status}`}` };
}

const selected = selectRows(args.only);
let rows = [];
let peers = [];
if (selected.length > 0) {
  const ours = contender("Tessera");
  if (ours.error) throw new Error(`Tessera's process failed: ${ours.error}`);
  peers = PEER_NAMES.map(contender);
  for (const p of peers) {
    if (p.error) process.stderr.write(`${p.name} did not run, its column is empty: ${p.error}\n`);
  }
  rows = selected.map((row) => {
    const { ms, floorMs } = ours.rows[row.name];
    const result = {
      op: row.name,
      pipeline: row.pipeline,
      input: row.input ?? "rgba",
      channels: row.channels ?? 4,
      tessera: ms,
      floorMs,
    };
    result.peers = Object.fromEntries(peers.flatMap((p) => (p.rows?.[row.name] ? [[p.name, p.rows[row.name]]] : [])));
    const times = Object.entries(result.peers).filter(([, p]) => p.ms !== undefined);
    const fastestPeer = times.reduce((b, [name, p]) => (!b || p.ms < b.ms ? { name, ms: p.ms } : b), null);
    result.fastest = fastestPeer && fastestPeer.ms < ms ? fastestPeer.name : "Tessera";
    result.vsFastestPeer = fastestPeer ? fastestPeer.ms / ms : null;
    return result;
  });
}

const names = peers.map((p) => p.name);
const cell = (p) => {
  if (!p) return "–";
  if (p.error) return `failed: ${p.error}`;
  return `${(mpx / (p.ms / 1000)).toFixed(0)} (Δ${p.maxDiff})`;
};
console.log(
  `\n${width}×${height} (${mpx.toFixed(1)} MP) from ${args.photo}, one thread each, each in its own process, median of ${RUNS} runs, copies in and out included; ` +
    (freshPages
      ? "fresh pages for every result (--fresh-pages)"
      : "freed memory kept for reuse (the default; --fresh-pages for fresh pages)"),
);
console.log([`node ${process.version}`, ...peers.map((p) => `${p.name} ${p.error ? "(did not run)" : p.version}`)].join("; "));
if (rows.length > 0) {
  console.log(
    "Mpx/s, higher is better; (Δn) = largest |peer − Tessera| per byte of the result; – = no equivalent op; " +
      "copy floor = copying the result's bytes out of wasm memory into a fresh buffer alone, which every time includes\n",
  );
  console.log(`| op | in → out | copy floor | Tessera | ${names.join(" | ")} | fastest | Tessera vs fastest peer |`);
  console.log(`|---|---|---:|---:|${names.map(() => "---:").join("|")}|---|---:|`);
  for (const r of rows) {
    const io = `${r.input === "grey" ? "grey" : "RGBA"} → ${r.channels === 1 ? "grey" : "RGBA"}`;
    const ratio = r.vsFastestPeer === null ? "–" : `${r.vsFastestPeer.toFixed(2)}×`;
    console.log(
      `| ${r.op} | ${io} | ${(mpx / (r.floorMs / 1000)).toFixed(0)} | ${(mpx / (r.tessera / 1000)).toFixed(0)} | ${names.map((n) => cell(r.peers[n])).join(" | ")} | ${r.fastest} | ${ratio} |`,
    );
  }
  const behind = rows.filter((r) => r.fastest !== "Tessera");
  console.log(
    behind.length === 0
      ? "\nTessera is the fastest on every op measured."
      : `\nNot ahead: ${behind.map((r) => `${r.op} (${r.fastest} takes ${r.vsFastestPeer.toFixed(2)}× our time)`).join(", ")}`,
  );
}
const notes = rows.flatMap((r) => names.flatMap((n) => (r.peers[n]?.note ? [`${r.op}, ${n}: ${r.peers[n].note}`] : [])));
if (notes.length) console.log(`\nDefinitions that differ (the Δ column measures by how much):\n- ${notes.join("\n- ")}`);

const k = await loadKernels();
const { grey } = await makeInput(k, { photo: args.photo, width, height });
const analysis = await runAnalysis({ kernels: k, grey: { width, height, data: grey }, runs: RUNS, only: args.only });
printAnalysis(analysis, { runs: RUNS });
if (rows.length + analysis.length === 0) console.log(`\nNo row's name contains "${args.only}".`);
if (args.json) {
  const report = { width, height, runs: RUNS, freshPages, peers: peers.map(({ rows: _, ...p }) => p), rows, analysis };
  writeFileSync(args.json, JSON.stringify(report, null, 2));
}
