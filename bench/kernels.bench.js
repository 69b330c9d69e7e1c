// Kernel benchmark: Tessera's WebAssembly kernels against sharp (libvips) and photon, one
// thread each, on the same 12 MP RGBA input made by resizing a photograph.
//
//   npm run bench                 # all ops, table on stdout
//   npm run bench -- --runs 9     # more runs per op
//   npm run bench -- --json out.json
//
// Every timed call includes getting pixels in and out (sharp: raw buffer → raw buffer;
// Tessera: copy into wasm memory and back), so the comparison is what a caller pays.

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadKernels } from "@tessera/kernels";
import sharp from "sharp";
import { medianTime } from "./timing.js";

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
const RUNS = Math.max(5, Number(args.runs));
const photoPath = fileURLToPath(new URL(`../test/fixtures/images/${args.photo}`, import.meta.url));

sharp.concurrency(1);
sharp.cache(false);

/** Median wall time in ms over RUNS runs after one warm-up. */
const time = (fn) => medianTime(fn, RUNS);

async function loadPhoton() {
  try {
    return await import("@silvia-odwyer/photon-node");
  } catch {
    return undefined; // optional: the table then has no photon column
  }
}

const width = Number(args.width);
const height = Number(args.height);
const { data } = await sharp(photoPath)
  .resize(width, height, { fit: "fill" })
  .ensureAlpha()
  .raw()
  .toBuffer({ resolveWithObject: true });
const image = { width, height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
const raw = { raw: { width, height, channels: 4 } };
const mpx = (width * height) / 1e6;

const k = await loadKernels();
const photon = await loadPhoton();

/**
 * op | Tessera pipeline | sharp equivalent | photon equivalent (or null).
 * Equivalences are by definition where they exist (DESIGN.md); photon's nearest op otherwise.
 */
const cases = [
  ["gaussian-blur σ=2", "gaussian-blur(sigma=2)", (s) => s.blur(2), null],
  ["box-blur r=1", "box-blur(radius=1)", (s) => s.blur(), (p, img) => p.box_blur(img)],
  ["median r=1", "median(radius=1)", (s) => s.median(3), null],
  ["sharpen σ=1", "sharpen(sigma=1)", (s) => s.sharpen({ sigma: 1 }), (p, img) => p.sharpen(img)],
  ["grayscale", "grayscale", (s) => s.greyscale(), (p, img) => p.grayscale(img)],
  ["invert", "invert", (s) => s.negate({ alpha: false }), (p, img) => p.invert(img)],
  ["brightness +37", "brightness(delta=37)", (s) => s.linear(1, 37), (p, img) => p.adjust_brightness(img, 37)],
  ["gamma 2.2", "gamma(gamma=2.2)", (s) => s.gamma(2.2, 1.0), (p, img) => p.gamma_correction(img, 2.2, 2.2, 2.2)],
];

const rows = [];
for (const [name, pipeline, sharpOp, photonOp] of cases) {
  if (args.only && !name.includes(args.only)) continue;
  const tessera = await time(() => k.run(image, pipeline));
  const viaSharp = await time(() => sharpOp(sharp(data, raw)).raw().toBuffer());
  const viaPhoton =
    photon && photonOp
      ? await time(() => {
          const img = new photon.PhotonImage(data, width, height);
          photonOp(photon, img);
          const out = img.get_raw_pixels();
          img.free();
          return out;
        })
      : undefined;
  const row = {
    op: name,
    tesseraMpxPerS: mpx / (tessera / 1000),
    sharpMpxPerS: mpx / (viaSharp / 1000),
    photonMpxPerS: viaPhoton === undefined ? null : mpx / (viaPhoton / 1000),
  };
  row.ratio = row.tesseraMpxPerS / row.sharpMpxPerS;
  rows.push(row);
  process.stderr.write(`${name}: ${row.ratio.toFixed(2)}×\n`);
}

const fmt = (v) => (v === null ? "–" : v.toFixed(1));
const geomean = Math.exp(rows.reduce((a, r) => a + Math.log(r.ratio), 0) / rows.length);
console.log(`\n${width}×${height} RGBA (${mpx.toFixed(1)} MP) from ${args.photo}, one thread each, median of ${RUNS} runs`);
console.log(`node ${process.version}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips})\n`);
console.log("| op | Tessera Mpx/s | sharp Mpx/s | ratio | photon Mpx/s |");
console.log("|---|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.op} | ${fmt(r.tesseraMpxPerS)} | ${fmt(r.sharpMpxPerS)} | ${r.ratio.toFixed(2)} | ${fmt(r.photonMpxPerS)} |`,
  );
}
console.log(`\ngeometric mean of ratios: ${geomean.toFixed(2)}`);
if (args.json) writeFileSync(args.json, JSON.stringify({ width, height, runs: RUNS, rows, geomean }, null, 2));
