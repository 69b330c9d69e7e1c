// `tessera process` end to end against sharp doing the nearest equivalent, each as its own OS
// process on the same input, plus the memory of a 100 MP job and thread scaling.
//
//   npm run bench:process
//   node bench/process.bench.js --runs 5 --skip-100mp

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import sharp from "sharp";

const { values: args } = parseArgs({
  options: { runs: { type: "string", default: "3" }, "skip-100mp": { type: "boolean" }, threads: { type: "string" } },
});
const RUNS = Math.max(1, Number(args.runs));
const run = promisify(execFile);
const cache = fileURLToPath(new URL("./.cache/", import.meta.url));
const photo = fileURLToPath(new URL("../test/fixtures/images/hubble_deep_field.jpg", import.meta.url));
const bin = fileURLToPath(new URL("../bin/tessera.js", import.meta.url));
const PIPELINE = "gaussian-blur(sigma=2) | sobel";
mkdirSync(cache, { recursive: true });

async function makeInput(name, width, height) {
  const path = `${cache}${name}`;
  if (!existsSync(path)) await sharp(photo).resize(width, height, { fit: "fill" }).jpeg({ quality: 90 }).toFile(path);
  return path;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeTessera(input, threads) {
  const walls = [];
  let profile;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const argv = [bin, "process", input, "-o", `${cache}out-tessera.jpg`, "-p", PIPELINE, "--profile"];
    if (threads) argv.push("--threads", String(threads));
    const { stderr } = await run(process.execPath, argv, { maxBuffer: 1 << 20 });
    walls.push(performance.now() - t);
    profile = JSON.parse(stderr.trim().split("\n").pop());
  }
  return { wall: median(walls), profile };
}

// sharp's nearest equivalent: blur(2), then one 3×3 convolution (a Sobel x kernel), then JPEG
// with Tessera's JPEG settings (quality 80, standard Huffman tables: see sharp-codec.ts).
const SHARP_SCRIPT = `
const sharp = require("sharp");
sharp(process.argv[1]).blur(2).convolve({ width: 3, height: 3, kernel: [-1, 0, 1, -2, 0, 2, -1, 0, 1] })
  .jpeg({ quality: 80, optimiseCoding: false }).toFile(process.argv[2]).catch((e) => { console.error(e); process.exit(1); });`;

async function timeSharp(input) {
  const walls = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run(process.execPath, ["-e", SHARP_SCRIPT, input, `${cache}out-sharp.jpg`], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    walls.push(performance.now() - t);
  }
  return median(walls);
}

const input24 = await makeInput("24mp.jpg", 6000, 4000);
const tessera = await timeTessera(input24, args.threads);
const viaSharp = await timeSharp(input24);
const p = tessera.profile;
const total = tessera.wall;
console.log(
  `\n24 MP JPEG (6000×4000) → "${PIPELINE}" → JPEG, ${p.threads} threads, median of ${RUNS} runs, node ${process.version}`,
);
console.log(`| tessera process | sharp blur(2) → convolve → jpeg | ratio |`);
console.log(`|---:|---:|---:|`);
console.log(`| ${(total / 1000).toFixed(2)} s | ${(viaSharp / 1000).toFixed(2)} s | ${(total / viaSharp).toFixed(2)} |`);
// Wall-clock phases, one after another (the source is cut inside "stages", overlapped).
const phases = ["submit", "stages", "reduce", "stitch", "encode"];
const other = total - phases.reduce((a, k) => a + (p[k] ?? 0), 0);
console.log(
  `\nwhere the time went (ms): ${phases.map((k) => `${k} ${p[k] ?? 0}`).join(", ")}, process start, file I/O and exit ${Math.round(other)}`,
);
console.log(
  `summed over bands (they overlap): read and decode ${p.read} ms, kernels ${p.kernels} ms, encode and write ${p.write} ms; peak RSS ${p.maxRssMB} MB`,
);

const one = await timeTessera(input24, 1);
const two = await timeTessera(input24, 2);
console.log(
  `\nthreads 1: ${(one.wall / 1000).toFixed(2)} s, threads 2: ${(two.wall / 1000).toFixed(2)} s, speed-up ${(one.wall / two.wall).toFixed(2)}×`,
);

if (!args["skip-100mp"]) {
  const input100 = await makeInput("100mp.jpg", 10000, 10000);
  const big = await timeTessera(input100, args.threads);
  console.log(`\n100 MP (10000×10000): ${(big.wall / 1000).toFixed(1)} s, peak RSS ${big.profile.maxRssMB} MB`);
}
rmSync(`${cache}out-tessera.jpg`, { force: true });
rmSync(`${cache}out-sharp.jpg`, { force: true });
