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
//
// Every timed call includes getting pixels in and out of JS memory (sharp: raw buffer → raw
// buffer; the WebAssembly libraries: copy into their memory and back out to a fresh buffer),
// so the comparison is what a caller pays. Each row's contenders run interleaved, one call
// each per round (timing.js `race`), so they share the allocator's state. Where a library writes one channel (a grey result),
// Tessera is asked for its one-channel form too (`run(image, pipeline, {channels: 1})`), and
// rows whose peers take a grey image give every side the same grey image (the photo's luma).
//
// Equal work is checked, not assumed: each peer's first result is compared with Tessera's and
// the largest absolute difference per byte is printed beside its time (colour channels only
// where the output is RGBA: alpha is 255 throughout). A peer's `note` (peers-libs.js) says
// where its definition differs.

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadKernels, parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
// The colour ops' matrices, from the package's own executors, so the peers get the same numbers.
import { colourMatrix } from "../kernels/dist/exec.js";
import { printAnalysis, runAnalysis } from "./analysis-rows.js";
import { BINOMIAL5, loadPeers } from "./peers-libs.js";
import { race } from "./timing.js";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    json: { type: "string" },
    photo: { type: "string", default: "astronaut.png" },
    width: { type: "string", default: "4000" },
    height: { type: "string", default: "3000" },
    only: { type: "string" },
  },
});
const RUNS = Math.max(3, Number(args.runs));
const photoPath = fileURLToPath(new URL(`../test/fixtures/images/${args.photo}`, import.meta.url));

/**
 * Rows: name, Tessera pipeline, the input (`rgba` or `grey`) and output channels, and the key
 * of the peers' equivalents (peers-libs.js). Peers that lack an op leave a "–".
 */
const ROWS = [
  { name: "gaussian-blur σ=2", key: "gaussian", pipeline: "gaussian-blur(sigma=2)" },
  { name: "box-blur r=1", key: "box", pipeline: "box-blur(radius=1)" },
  { name: "median r=1", key: "median", pipeline: "median(radius=1)" },
  { name: "sharpen σ=1", key: "sharpen", pipeline: "sharpen(sigma=1)" },
  { name: "convolve 3×3 sharpen", key: "convolve3", pipeline: "convolve(kernel=[0,-1,0,-1,5,-1,0,-1,0])" },
  // libvips truncates Σ/256; offset −0.5 turns our rounding into the same floor (DESIGN.md).
  { name: "convolve 5×5 binomial", key: "convolve5", pipeline: `convolve(kernel=[${BINOMIAL5}], offset=-0.5)` },
  { name: "sobel (grey)", key: "sobel", pipeline: "sobel", input: "grey", channels: 1 },
  { name: "prewitt → grey", key: "prewitt", pipeline: "prewitt", channels: 1 },
  { name: "scharr (grey)", key: "scharr", pipeline: "scharr", input: "grey", channels: 1 },
  { name: "laplacian (grey)", key: "laplacian", pipeline: "laplacian", input: "grey", channels: 1 },
  { name: "canny → grey", key: "canny", pipeline: "canny(low=50, high=150, sigma=1.4)", channels: 1 },
  { name: "grayscale rec601 → grey", key: "grayscale", pipeline: "grayscale(mode=rec601)", channels: 1 },
  { name: "grayscale average", key: "grayscale-average", pipeline: "grayscale(mode=average)" },
  { name: "invert", key: "invert", pipeline: "invert" },
  { name: "brightness +37", key: "brightness", pipeline: "brightness(delta=37)" },
  { name: "contrast 1.5", key: "contrast", pipeline: "contrast(factor=1.5)" },
  { name: "gamma 2.2", key: "gamma", pipeline: "gamma(gamma=2.2)" },
  { name: "posterize 4", key: "posterize", pipeline: "posterize(levels=4)" },
  { name: "saturation 2", key: "saturation", pipeline: "saturation(factor=2)" },
  { name: "hue-rotate 90°", key: "hue-rotate", pipeline: "hue-rotate(degrees=90)" },
  { name: "sepia", key: "sepia", pipeline: "sepia" },
  { name: "threshold 128 (grey)", key: "threshold", pipeline: "threshold(value=128)", input: "grey", channels: 1 },
  { name: "equalize (grey)", key: "equalize", pipeline: "equalize", input: "grey", channels: 1 },
  { name: "normalize 1–99% (grey)", key: "normalize", pipeline: "normalize(low=1, high=99)", input: "grey", channels: 1 },
  { name: "otsu-threshold (grey)", key: "otsu-threshold", pipeline: "otsu-threshold", input: "grey", channels: 1 },
];

const width = Number(args.width);
const height = Number(args.height);
const { data } = await sharp(photoPath)
  .resize(width, height, { fit: "fill" })
  .ensureAlpha()
  .raw()
  .toBuffer({ resolveWithObject: true });
const rgba = new Uint8Array(data.buffer, data.byteOffset, data.length);
const mpx = (width * height) / 1e6;

const k = await loadKernels();
// The grey input: the photo's luma, as Tessera's own grayscale computes it.
const grey = k.run({ width, height, data: rgba }, "grayscale", { channels: 1 }).data;
const input = { width, height, rgba, grey: new Uint8Array(grey.buffer, grey.byteOffset, grey.length) };

const params = (text) => parsePipeline(text)[0]?.params ?? {};
const matrices = {
  saturation: colourMatrix("saturation", params("saturation(factor=2)")),
  "hue-rotate": colourMatrix("hue-rotate", params("hue-rotate(degrees=90)")),
  sepia: colourMatrix("sepia", params("sepia")),
};
const selected = ROWS.filter((row) => !args.only || row.name.includes(args.only));
// Nothing to compare when --only picks analysis rows alone: the peers are not loaded then.
const peers = selected.length > 0 ? await loadPeers(matrices) : [];
for (const p of peers) {
  if (p.error) process.stderr.write(`${p.name} did not load, its column is empty: ${p.error}\n`);
}

/**
 * Largest |a − b| per byte; with 4 channels only R, G, B are compared; with `interior`, the
 * outermost pixels are left out.
 */
function maxDiff(a, b, channels, interior = false) {
  if (a.length !== b.length) return `size ${b.length} ≠ ${a.length}`;
  const skip = interior ? 1 : 0;
  let max = 0;
  for (let y = skip; y < height - skip; y++) {
    for (let i = (y * width + skip) * channels; i < ((y + 1) * width - skip) * channels; i++) {
      if (channels === 4 && (i & 3) === 3) continue;
      const d = Math.abs(a[i] - b[i]);
      if (d > max) max = d;
    }
  }
  return max;
}

/** Wasm memory holding a result's worth of bytes, for the floor column. */
const floorMemory = new Uint8Array(new WebAssembly.Memory({ initial: Math.ceil((width * height * 4) / 65536) }).buffer);
const rows = [];
for (const row of selected) {
  const channels = row.channels ?? 4;
  const image = row.input === "grey" ? { width, height, channels: 1, data: input.grey } : { width, height, data: input.rgba };
  const options = channels === 4 ? {} : { channels };
  // The floor: copying a result of this size out of wasm memory into a fresh buffer, which
  // every contender's time includes. Where everyone sits near it, the op itself is a few %.
  const outBytes = width * height * channels;
  const contenders = { floor: () => floorMemory.slice(0, outBytes), Tessera: () => k.run(image, row.pipeline, options).data };
  for (const peer of peers) {
    const op = peer.ops[row.key];
    if (op) contenders[peer.name] = () => op.run(input);
  }
  const timings = await race(contenders, RUNS);
  const ours = timings.Tessera;
  if (ours.error) throw ours.error;
  const result = {
    op: row.name,
    pipeline: row.pipeline,
    input: row.input ?? "rgba",
    channels,
    tessera: ours.ms,
    floorMs: timings.floor.ms,
    peers: {},
  };
  for (const peer of peers) {
    const op = peer.ops[row.key];
    const theirs = timings[peer.name];
    if (!theirs) continue;
    result.peers[peer.name] = theirs.error
      ? { error: `${theirs.error?.message ?? theirs.error}`.split("\n")[0] }
      : { ms: theirs.ms, maxDiff: maxDiff(ours.out, theirs.out, channels, op.interior), note: op.note };
  }
  const times = Object.entries(result.peers).filter(([, p]) => p.ms !== undefined);
  const best = times.reduce((b, [name, p]) => (p.ms < b.ms ? { name, ms: p.ms } : b), { name: "Tessera", ms: ours.ms });
  result.fastest = best.name;
  const fastestPeer = times.reduce((b, [name, p]) => (!b || p.ms < b.ms ? { name, ms: p.ms } : b), null);
  result.vsFastestPeer = fastestPeer ? fastestPeer.ms / ours.ms : null;
  rows.push(result);
  process.stderr.write(
    `${row.name}: Tessera ${ours.ms.toFixed(0)} ms${times.map(([n, p]) => `, ${n} ${p.ms.toFixed(0)} ms (max diff ${p.maxDiff})`).join("")}\n`,
  );
}

const names = peers.map((p) => p.name);
const cell = (p) => {
  if (!p) return "–";
  if (p.error) return `failed: ${p.error}`;
  return `${(mpx / (p.ms / 1000)).toFixed(0)} (Δ${p.maxDiff})`;
};
console.log(
  `\n${width}×${height} (${mpx.toFixed(1)} MP) from ${args.photo}, one thread each, median of ${RUNS} runs, copies in and out included`,
);
console.log([`node ${process.version}`, ...peers.map((p) => `${p.name} ${p.error ? "(not loaded)" : p.version}`)].join("; "));
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
const notes = [];
for (const peer of peers) {
  for (const r of rows) {
    const note = r.peers[peer.name]?.note;
    if (note) notes.push(`${r.op}, ${peer.name}: ${note}`);
  }
}
if (notes.length) console.log(`\nDefinitions that differ (the Δ column measures by how much):\n- ${notes.join("\n- ")}`);

const analysis = await runAnalysis({ kernels: k, grey: { width, height, data: input.grey }, runs: RUNS, only: args.only });
printAnalysis(analysis, { runs: RUNS });
if (rows.length + analysis.length === 0) console.log(`\nNo row's name contains "${args.only}".`);
if (args.json) {
  const report = { width, height, runs: RUNS, peers: peers.map(({ ops, ...p }) => p), rows, analysis };
  writeFileSync(args.json, JSON.stringify(report, null, 2));
}
