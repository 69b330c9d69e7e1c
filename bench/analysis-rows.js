// The analysis rows of bench/kernels.bench.js: Tessera's analysis ops (they return data, not
// pixels: keypoints, lines, regions) against OpenCV.js (single-threaded build), in the same run
// and report as the image ops, on the same 12 MP image's grey bytes (its luma, as the grey rows).
//
// Both sides start from grey bytes in JS memory and end with plain JS data: OpenCV's time
// includes filling its Mat and reading its result back (KeyPointVector, corner, line and stats
// Mats; ORB's descriptors stay in their Mat); ours includes copying into wasm memory (and ORB's
// base64 descriptors). Ours is timed as the op's two halves, tile + reduce, on windows cut
// beforehand with the op's halo (cutting is the engine's job, done once per tile as it decodes):
// "whole" is the image as one window (what one worker runs), "tiled" every 1024² window in this
// one thread, then the reduce: the cost of the distributed form before any parallelism.
//
// Equal work is checked, not assumed, on each side's first (warm-up) result: results ours /
// OpenCV's, how many of ours OpenCV also found (fast, corners: same position; orb: same position
// and size, with the largest angle difference among those; components: same area, box and
// centroid; hough-lines: same rho and theta), whether the lists are identical, and whether tiled
// == whole byte for byte. The three (whole, tiled, OpenCV's) run interleaved (timing.js `race`).
// The components op binarises luma ≥ 128 itself, so OpenCV's time
// includes its cv.threshold. Both hough-lines sides take the same edge map: our canny op's.

import { componentsOp, cornersOp, cutTile, fastOp, houghLinesOp, orbOp } from "@tessera/kernels";
import { openCv } from "./peers-libs.js";
import { race } from "./timing.js";

const TILE = 1024;
const CANNY = "canny(low=50, high=150, sigma=1.4)";
const CORNERS = { max: 1000, quality: 0.01, minDistance: 10, block: 3, k: 0.04 };
const HOUGH = { rho: 1, theta: 1, threshold: 100 };

/** A grey Mat holding `image`; the caller deletes it. */
function greyMat(cv, image) {
  const m = new cv.Mat(image.height, image.width, cv.CV_8UC1);
  m.data.set(image.data);
  return m;
}

const free = (...objects) => {
  for (const o of objects) o.delete();
};

/** A KeyPointVector as our Keypoint objects (no descriptors). */
function keypoints(found) {
  const out = [];
  for (let i = 0; i < found.size(); i++) {
    const k = found.get(i);
    out.push({ x: k.pt.x, y: k.pt.y, response: k.response, size: k.size, angle: k.angle });
  }
  return out;
}

const place = (k) => `${k.x},${k.y}`;
const placeAndSize = (k) => `${k.x},${k.y},${k.size}`;
const region = (c) => JSON.stringify(c);
const line = (l) => `${l.rho},${l.theta}`;

/** What each op (by name) returns: its result's field, and the key that says two results are the same. */
const RESULT = {
  fast: { field: "keypoints", key: place },
  corners: { field: "keypoints", key: place },
  components: { field: "components", key: region },
  "hough-lines": { field: "lines", key: line },
  orb: { field: "keypoints", key: placeAndSize, angles: true },
};

/** OpenCV's equivalent of each op (by name): grey image in, the list of our result's field out. */
const OPENCV = {
  fast(cv, image, p) {
    const [src, detector, found] = [greyMat(cv, image), new cv.FastFeatureDetector(), new cv.KeyPointVector()];
    detector.setThreshold(p.threshold);
    detector.setNonmaxSuppression(p.nonmax);
    detector.detect(src, found);
    const out = keypoints(found);
    free(src, found, detector);
    return out;
  },
  corners(cv, image, p) {
    const [src, corners, mask] = [greyMat(cv, image), new cv.Mat(), new cv.Mat()];
    cv.goodFeaturesToTrack(src, corners, p.max, p.quality, p.minDistance, mask, p.block, p.method === "harris", p.k);
    const out = [];
    for (let i = 0; i < corners.rows; i++) out.push({ x: corners.data32F[2 * i], y: corners.data32F[2 * i + 1] });
    free(src, corners, mask);
    return out;
  },
  components(cv, image, p) {
    const [src, bin, labels, stats, centroids] = [greyMat(cv, image), new cv.Mat(), new cv.Mat(), new cv.Mat(), new cv.Mat()];
    cv.threshold(src, bin, 127, 255, cv.THRESH_BINARY);
    const n = cv.connectedComponentsWithStats(bin, labels, stats, centroids, p.connectivity, cv.CV_32S);
    const out = [];
    for (let l = 1; l < n; l++) {
      const s = stats.data32S.subarray(l * 5, l * 5 + 5);
      const centroid = [centroids.data64F[2 * l], centroids.data64F[2 * l + 1]];
      if (s[4] >= p.minArea) out.push({ area: s[4], bbox: [s[0], s[1], s[2], s[3]], centroid });
    }
    free(src, bin, labels, stats, centroids);
    return out;
  },
  "hough-lines"(cv, image, p) {
    const [src, lines] = [greyMat(cv, image), new cv.Mat()];
    cv.HoughLines(src, lines, p.rho, (p.theta * Math.PI) / 180, p.threshold);
    const out = [];
    for (let i = 0; i < lines.rows; i++) out.push({ rho: lines.data32F[2 * i], theta: lines.data32F[2 * i + 1] });
    free(src, lines);
    return out;
  },
  orb(cv, image, p) {
    const [src, mask, descriptors] = [greyMat(cv, image), new cv.Mat(), new cv.Mat()];
    const [orb, found] = [new cv.ORB(p.max), new cv.KeyPointVector()];
    orb.detectAndCompute(src, mask, found, descriptors);
    const out = keypoints(found);
    free(src, mask, descriptors, found, orb);
    return out;
  },
};

/**
 * Equal work, counted: `same` of ours have a result of OpenCV's with the same `key`; `identical`
 * when both lists are equal item for item, in order, on the fields OpenCV returns; with `angles`,
 * the largest angle difference among the same.
 */
function agreement(ours, theirs, { key, angles }) {
  const at = new Map(theirs.map((t) => [key(t), t]));
  const pick = (o) => Object.fromEntries(Object.keys(theirs[0] ?? o).map((f) => [f, o[f]]));
  const identical = ours.length === theirs.length && ours.every((o, i) => JSON.stringify(pick(o)) === JSON.stringify(theirs[i]));
  const out = { ours: ours.length, theirs: theirs.length, same: 0, identical };
  for (const o of ours) {
    const t = at.get(key(o));
    if (!t) continue;
    out.same++;
    if (!angles) continue;
    const d = Math.abs(o.angle - t.angle) % 360;
    out.maxAngleDiff = Math.max(out.maxAngleDiff ?? 0, Math.min(d, 360 - d));
  }
  return out;
}

/** The rows: name (what `--only` matches), op and params; `input: "edges"` takes the edge map. */
export const ANALYSIS_ROWS = [
  { name: "fast t=20 nonmax", op: fastOp, params: { threshold: 20, nonmax: true } },
  { name: "fast t=20 no nonmax", op: fastOp, params: { threshold: 20, nonmax: false } },
  { name: "corners shi-tomasi max=1000 d=10", op: cornersOp, params: { ...CORNERS, method: "shi-tomasi" } },
  { name: "corners harris max=1000 d=10", op: cornersOp, params: { ...CORNERS, method: "harris" } },
  { name: "components connectivity=8", op: componentsOp, params: { connectivity: 8, minArea: 1 } },
  { name: "components connectivity=4", op: componentsOp, params: { connectivity: 4, minArea: 1 } },
  { name: `hough-lines rho=1 theta=1° threshold=${HOUGH.threshold}`, op: houghLinesOp, params: HOUGH, input: "edges" },
  { name: "orb max=500", op: orbOp, params: { max: 500 } },
  { name: "orb max=5000", op: orbOp, params: { max: 5000 } },
];

/** The windows of `image` cut into `size`² cores with `halo` pixels of context. */
function windows(image, size, halo) {
  const out = [];
  for (let y = 0; y < image.height; y += size) {
    for (let x = 0; x < image.width; x += size) {
      const core = { x, y, width: Math.min(size, image.width - x), height: Math.min(size, image.height - y) };
      out.push(cutTile(image, core, halo));
    }
  }
  return out;
}

/**
 * Times the rows whose name contains `only` (all without it) on `grey` ({width, height, data}),
 * median of `runs` runs each, with `kernels` from loadKernels(). Never throws for OpenCV: a
 * failure is the row's OpenCV.js `error`. Progress goes to stderr.
 */
export async function runAnalysis({ kernels, grey, runs, only }) {
  const selected = ANALYSIS_ROWS.filter((row) => !only || row.name.includes(only));
  if (selected.length === 0) return [];
  const started = performance.now();
  let cv;
  let cvError;
  try {
    ({ cv } = await openCv());
  } catch (err) {
    cvError = `${err?.message ?? err}`.split("\n")[0];
  }
  const heap = kernels.analysisHeap;
  const inputs = { grey };
  if (selected.some((row) => row.input === "edges")) {
    const edges = kernels.run({ ...grey, channels: 1 }, CANNY, { channels: 1 }).data;
    inputs.edges = { width: grey.width, height: grey.height, data: new Uint8Array(edges.buffer, edges.byteOffset, edges.length) };
  }
  const rows = [];
  for (const row of selected) {
    const image = inputs[row.input ?? "grey"];
    const halo = row.op.halo(row.params);
    const run = (cut) => () =>
      row.op.reduce(
        cut.map((w) => row.op.tile(heap, w, row.params)),
        image,
        row.params,
      );
    const contenders = {
      whole: run(windows(image, Math.max(image.width, image.height), halo)),
      tiled: run(windows(image, TILE, halo)),
    };
    if (cv) contenders.opencv = () => OPENCV[row.op.name](cv, image, row.params);
    const timings = await race(contenders, runs);
    const { whole, tiled, opencv } = timings;
    if (whole.error) throw whole.error;
    if (tiled.error) throw tiled.error;
    const kind = RESULT[row.op.name];
    const ours = whole.out[kind.field] ?? [];
    const result = {
      op: row.name,
      params: row.params,
      input: row.input === "edges" ? `edges (${CANNY})` : "grey",
      result: `${ours.length} ${kind.field}`,
      tessera: { whole: whole.ms, tiled: tiled.ms },
      tiledEqualsWhole: JSON.stringify(tiled.out) === JSON.stringify(whole.out),
      peers: {},
    };
    if (!cv) result.peers["OpenCV.js"] = { error: `did not load: ${cvError}` };
    else if (opencv.error) result.peers["OpenCV.js"] = { error: `${opencv.error?.message ?? opencv.error}`.split("\n")[0] };
    else result.peers["OpenCV.js"] = { ms: opencv.ms, ...agreement(ours, opencv.out, kind) };
    const peer = result.peers["OpenCV.js"];
    rows.push(result);
    process.stderr.write(
      `${row.name}: Tessera ${whole.ms.toFixed(0)} ms (tiled ${tiled.ms.toFixed(0)} ms), OpenCV.js ${
        peer.error ?? `${peer.ms.toFixed(0)} ms (${equalWork(peer)})`
      }\n`,
    );
  }
  process.stderr.write(`analysis rows: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return rows;
}

/** "ours / theirs, same (identical)" and the largest angle difference where keypoints have angles. */
function equalWork(p) {
  const angle = p.maxAngleDiff === undefined ? "" : `, angles within ${p.maxAngleDiff.toExponential(1)}°`;
  return `${p.ours} / ${p.theirs}, ${p.same} same${p.identical ? ", identical" : ""}${angle}`;
}

/** Prints the analysis rows as a markdown table (after the image ops' table). */
export function printAnalysis(rows, { runs }) {
  if (rows.length === 0) return;
  const ms = (t) => (t < 10 ? t.toFixed(1) : t.toFixed(0));
  console.log(
    `\nAnalysis ops on the same image's grey bytes, one thread each, median of ${runs} runs: ms, lower is better.` +
      "\nequal work = results ours / OpenCV's, how many of ours OpenCV also found (same place; orb: and size; components:" +
      " same area, box and centroid; lines: same rho, theta), identical = the same list in the same order\n",
  );
  console.log(
    "| op | result | Tessera whole | Tessera tiled 1024² | OpenCV.js | OpenCV.js / Tessera whole | equal work | tiled = whole |",
  );
  console.log("|---|---|---:|---:|---:|---:|---|---|");
  for (const r of rows) {
    const p = r.peers["OpenCV.js"];
    const theirs = p.error
      ? [`failed: ${p.error}`, "–", "–"]
      : [ms(p.ms), `${(p.ms / r.tessera.whole).toFixed(2)}×`, equalWork(p)];
    const cells = [r.op, r.result, ms(r.tessera.whole), ms(r.tessera.tiled), ...theirs, r.tiledEqualsWhole ? "yes" : "NO"];
    console.log(`| ${cells.join(" | ")} |`);
  }
  const behind = rows.filter((r) => r.peers["OpenCV.js"].ms < r.tessera.whole);
  console.log(
    behind.length === 0
      ? "\nTessera (whole) is faster than OpenCV.js on every analysis op measured."
      : `\nOpenCV.js ahead: ${behind.map((r) => `${r.op} (${(r.peers["OpenCV.js"].ms / r.tessera.whole).toFixed(2)}× our time)`).join(", ")}`,
  );
}
