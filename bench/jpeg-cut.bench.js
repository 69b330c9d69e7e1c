// JPEG band cutter benchmark: how long the gateway's serial scan of a 24 MP JPEG takes (the walk
// over every MCU that jpegCutter does once), against sharp decoding the whole file, and how long
// cutting every band then takes. Needs the build: `npx tsc -p tsconfig.build.json` (or npm run build).
//
//   node bench/jpeg-cut.bench.js                  # 6000×4000 q90 from hubble_deep_field.jpg
//   node bench/jpeg-cut.bench.js --runs 15 --band 256
//
// Two inputs of the same size: the photograph upscaled (smooth, so few bits per block: the walker's
// per-block cost dominates) and the photograph tiled at its own resolution (camera-like detail, so
// more bits per block: closer to a real 24 MP upload). Times are medians after one warm-up.

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { jpegCutter } from "../dist/infra/adapters/jpeg/cut.js";
import { medianTime } from "./timing.js";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "9" },
    photo: { type: "string", default: "hubble_deep_field.jpg" },
    width: { type: "string", default: "6000" },
    height: { type: "string", default: "4000" },
    quality: { type: "string", default: "90" },
    band: { type: "string", default: "512" },
  },
});
const RUNS = Math.max(3, Number(args.runs));
const width = Number(args.width);
const height = Number(args.height);
const band = Number(args.band);
const photoPath = fileURLToPath(new URL(`../test/fixtures/images/${args.photo}`, import.meta.url));

/** Median wall time in ms over RUNS runs after one warm-up. */
const time = (fn) => medianTime(fn, RUNS);

const jpegOf = async (pipeline) => new Uint8Array(await pipeline.jpeg({ quality: Number(args.quality) }).toBuffer());
const inputs = [
  ["upscaled", await jpegOf(sharp(photoPath).resize(width, height, { fit: "fill" }))],
  [
    "tiled",
    await jpegOf(
      sharp({ create: { width, height, channels: 3, background: "#000" } }).composite([{ input: photoPath, tile: true }]),
    ),
  ],
];

console.log(`${width}×${height} q${args.quality} from ${args.photo}, ${RUNS} runs, node ${process.version}`);
for (const [name, bytes] of inputs) {
  const cutter = jpegCutter(bytes);
  if ("unsupported" in cutter) throw new Error(`${name}: ${cutter.unsupported}`);
  const mb = bytes.length / 1e6;
  const scan = await time(() => jpegCutter(bytes));
  const decode = await time(() => sharp(bytes).raw().toBuffer());
  let pieces = 0;
  const cutAll = await time(() => {
    pieces = 0;
    for (let y = 0; y < height; y += band) {
      cutter.cut(y, Math.min(height, y + band));
      pieces++;
    }
  });
  console.log(
    `${name.padEnd(8)} ${mb.toFixed(2)} MB  scan ${scan.toFixed(1)} ms = ${(mb / (scan / 1000)).toFixed(0)} MB/s, ` +
      `${((width * height) / 1e6 / (scan / 1000)).toFixed(0)} Mpx/s  |  sharp decode ${decode.toFixed(1)} ms  |  ` +
      `cut ${pieces} bands of ${band} rows ${cutAll.toFixed(1)} ms`,
  );
}
