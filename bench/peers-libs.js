// The libraries bench/kernels.bench.js compares the kernels with: sharp (libvips, native),
// wasm-vips (libvips in WebAssembly), OpenCV.js and photon. Each is loaded on its own; one that
// fails to load is returned with `error` set, and the bench shows it as a missing column.
//
// Every op here is one library's nearest equivalent of one bench row (kernels.bench.js ROWS,
// same keys), written as a caller would: JS bytes in, JS bytes out, every copy included. Each
// returns the result's bytes in the row's layout (4 = RGBA, 1 = grey) or a promise of them.
// `note` says where the definition differs from ours; the bench prints the measured largest
// difference beside it, so a note is never the only evidence.
//
// All run on one thread: sharp.concurrency(1), vips.concurrency(1); this OpenCV.js build has no
// parallel framework; photon has no threads.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** A package's version from its package.json (found from its entry point: not every package exports it). */
function packageVersion(name) {
  let dir = dirname(require.resolve(name));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (pkg.name === name) return pkg.version;
    } catch {}
  }
  return "?";
}

/** 2δ − G (7×7, σ = 1, radius ceil(3σ)): in + 1·(in − gauss(in)) as one convolution. */
export function unsharpKernel7() {
  const g = [];
  let sum = 0;
  for (let k = -3; k <= 3; k++) {
    g.push(Math.exp(-(k * k) / 2));
    sum += g[g.length - 1];
  }
  const w = g.map((v) => v / sum);
  const out = [];
  for (let y = 0; y < 7; y++) for (let x = 0; x < 7; x++) out.push((x === 3 && y === 3 ? 2 : 0) - w[y] * w[x]);
  return out;
}

const SHARPEN3 = [0, -1, 0, -1, 5, -1, 0, -1, 0];
/** The 5×5 binomial kernel (outer product of 1 4 6 4 1), sum 256. */
export const BINOMIAL5 = [1, 4, 6, 4, 1].flatMap((a) => [1, 4, 6, 4, 1].map((b) => a * b));
const REC601 = [0.299, 0.587, 0.114];
const rows3 = (m) => [m.slice(0, 3), m.slice(3, 6), m.slice(6, 9)];
/** A 3×3 colour matrix as 4×4 with alpha passed through (libraries that see 4 bands). */
const with4 = (m) => [
  [...m.slice(0, 3), 0],
  [...m.slice(3, 6), 0],
  [...m.slice(6, 9), 0],
  [0, 0, 0, 1],
];
const gammaTable = (g) => Array.from({ length: 256 }, (_, i) => Math.floor(255 * (i / 255) ** (1 / g) + 0.5));
const posterizeTable = (levels) =>
  Array.from({ length: 256 }, (_, i) => Math.floor((Math.floor((i * (levels - 1)) / 255 + 0.5) * 255) / (levels - 1) + 0.5));

const LOADERS = { sharp: loadSharp, "wasm-vips": loadVips, "OpenCV.js": loadOpenCv, photon: loadPhoton };

/** The peers' names, in the bench's column order. */
export const PEER_NAMES = Object.keys(LOADERS);

/**
 * Loads the peer called `name` (one of PEER_NAMES); never throws. `matrices` are the colour
 * ops' 3×3 matrices (from the kernels package).
 */
export function loadPeer(name, matrices) {
  const load = LOADERS[name];
  if (!load) throw new Error(`no peer named ${name}; the peers are ${PEER_NAMES.join(", ")}`);
  return load(matrices);
}

async function attempt(name, load) {
  try {
    return { name, ...(await load()) };
  } catch (err) {
    return { name, version: "", ops: {}, error: `${err?.message ?? err}`.split("\n")[0] };
  }
}

function loadSharp(m) {
  return attempt("sharp", async () => {
    const sharp = (await import("sharp")).default;
    sharp.concurrency(1);
    sharp.cache(false);
    const rgba = (i) => sharp(i.rgba, { raw: { width: i.width, height: i.height, channels: 4 } });
    const grey = (i) => sharp(i.grey, { raw: { width: i.width, height: i.height, channels: 1 } });
    const out = (s) => s.raw().toBuffer();
    const truncates = "libvips truncates where we round half up";
    return {
      version: `${sharp.versions.sharp} (libvips ${sharp.versions.vips})`,
      ops: {
        gaussian: { run: (i) => out(rgba(i).blur({ sigma: 2, precision: "float", minAmplitude: 0.001 })), note: truncates },
        box: { run: (i) => out(rgba(i).blur()), note: truncates },
        median: { run: (i) => out(rgba(i).median(3)) },
        sharpen: {
          run: (i) => out(rgba(i).convolve({ width: 7, height: 7, kernel: unsharpKernel7(), scale: 1 })),
          note: "as one 7×7 convolution (2δ − G); truncates",
        },
        convolve3: { run: (i) => out(rgba(i).convolve({ width: 3, height: 3, kernel: SHARPEN3 })) },
        convolve5: { run: (i) => out(rgba(i).convolve({ width: 5, height: 5, kernel: BINOMIAL5 })) },
        grayscale: {
          run: (i) => out(rgba(i).recomb([REC601, REC601, REC601]).extractChannel(0)),
          note: truncates,
        },
        invert: { run: (i) => out(rgba(i).negate({ alpha: false })) },
        brightness: { run: (i) => out(rgba(i).linear(1, 37)) },
        contrast: { run: (i) => out(rgba(i).linear(1.5, -64)), note: truncates },
        gamma: { run: (i) => out(rgba(i).gamma(1, 2.2)), note: truncates },
        saturation: { run: (i) => out(rgba(i).recomb(rows3(m.saturation))), note: truncates },
        "hue-rotate": { run: (i) => out(rgba(i).recomb(rows3(m["hue-rotate"]))), note: truncates },
        sepia: { run: (i) => out(rgba(i).recomb(rows3(m.sepia))), note: truncates },
        // sharp writes a one-band raw image as 3 bands unless told to stay in b-w.
        threshold: { run: (i) => out(grey(i).threshold(128).toColourspace("b-w")) },
        normalize: {
          run: (i) => out(grey(i).normalise({ lower: 1, upper: 99 }).toColourspace("b-w")),
          note: "its own percentile rule",
        },
      },
    };
  });
}

function loadVips(m) {
  return attempt("wasm-vips", async () => {
    const Vips = (await import("wasm-vips")).default;
    // No HEIF/JXL/SVG side modules: nothing here decodes files.
    const vips = await Vips({ dynamicLibraries: [] });
    vips.concurrency(1);
    vips.Cache.max(0);
    const mask = (rows, scale = 1) => vips.Image.newFromArray(rows, scale, 0);
    const square = (k, side, scale) =>
      mask(
        Array.from({ length: side }, (_, y) => k.slice(y * side, y * side + side)),
        scale,
      );
    const masks = {
      box: mask(
        [
          [1, 1, 1],
          [1, 1, 1],
          [1, 1, 1],
        ],
        9,
      ),
      sharpen3: square(SHARPEN3, 3, 1),
      binomial5: square(BINOMIAL5, 5, 256),
      unsharp7: square(unsharpKernel7(), 7, 1),
      rec601: mask([[...REC601, 0]]),
      saturation: mask(with4(m.saturation)),
      "hue-rotate": mask(with4(m["hue-rotate"])),
      sepia: mask(with4(m.sepia)),
    };
    /** Runs `f` on the input as a vips image and copies the result out, deleting every image made. */
    const run = (bands, f) => (i) => {
      const made = [];
      const keep = (img) => {
        made.push(img);
        return img;
      };
      try {
        const src = keep(vips.Image.newFromMemory(bands === 4 ? i.rgba : i.grey, i.width, i.height, bands, "uchar"));
        let res = keep(f(src, keep));
        if (res.format !== "uchar") res = keep(res.cast("uchar"));
        return res.writeToMemory();
      } finally {
        for (const img of made) img.delete();
      }
    };
    const truncates = "libvips casts by truncating where we round half up";
    return {
      version: `${packageVersion("wasm-vips")} (libvips ${vips.version()})`,
      ops: {
        gaussian: {
          run: run(4, (s) => s.gaussblur(2, { precision: "float", min_ampl: 0.001 })),
          note: truncates,
        },
        box: { run: run(4, (s) => s.conv(masks.box, { precision: "integer" })), note: truncates },
        median: { run: run(4, (s) => s.median(3)) },
        sharpen: {
          run: run(4, (s) => s.conv(masks.unsharp7, { precision: "float" })),
          note: "as one 7×7 convolution (2δ − G); truncates",
        },
        convolve3: { run: run(4, (s) => s.conv(masks.sharpen3, { precision: "integer" })) },
        convolve5: { run: run(4, (s) => s.conv(masks.binomial5, { precision: "integer" })) },
        grayscale: { run: run(4, (s) => s.recomb(masks.rec601)), note: truncates },
        invert: { run: run(4, (s) => s.linear([-1, -1, -1, 1], [255, 255, 255, 0], { uchar: true })) },
        brightness: { run: run(4, (s) => s.linear([1, 1, 1, 1], [37, 37, 37, 0], { uchar: true })) },
        contrast: { run: run(4, (s) => s.linear([1.5, 1.5, 1.5, 1], [-64, -64, -64, 0], { uchar: true })) },
        gamma: { run: run(4, (s) => s.gamma({ exponent: 2.2 })) },
        saturation: { run: run(4, (s) => s.recomb(masks.saturation)), note: truncates },
        "hue-rotate": { run: run(4, (s) => s.recomb(masks["hue-rotate"])), note: truncates },
        sepia: { run: run(4, (s) => s.recomb(masks.sepia)), note: truncates },
        threshold: { run: run(1, (s) => s.moreEq(128)) },
        equalize: { run: run(1, (s) => s.histEqual()), note: "libvips' own equalisation table" },
      },
    };
  });
}

/**
 * OpenCV's Emscripten module is a thenable that resolves to itself, so awaiting it never
 * settles: it is required and waited for by onRuntimeInitialized (as test/kernels does).
 */
export function openCv() {
  return new Promise((resolve, reject) => {
    const cv = require("@techstark/opencv-js");
    const timer = setTimeout(() => reject(new Error("OpenCV.js did not initialise within 60 s")), 60_000);
    const done = () => {
      clearTimeout(timer);
      resolve({ cv });
    };
    if (typeof cv.Mat === "function") done();
    else cv.onRuntimeInitialized = done;
  });
}

function loadOpenCv(m) {
  return attempt("OpenCV.js", async () => {
    const { cv } = await openCv();
    const version = /Version control:\s*(\S+)/.exec(cv.getBuildInformation())?.[1] ?? "?";
    const R = cv.BORDER_REPLICATE;
    const anchor = new cv.Point(-1, -1);
    const f32 = (rows, cols, values) => cv.matFromArray(rows, cols, cv.CV_32F, values);
    const lut = (table) => cv.matFromArray(1, 256, cv.CV_8UC1, table);
    /** Constant operands are made once, like a kernel's weights. Sized on first use. */
    const consts = new Map();
    const constant = (key, i, make) => {
      if (!consts.has(key)) consts.set(key, make(i));
      return consts.get(key);
    };
    const scalarMat = (i, v) => new cv.Mat(i.height, i.width, cv.CV_8UC4, new cv.Scalar(...v));
    const k = {
      sharpen3: f32(3, 3, SHARPEN3),
      binomial5: f32(
        5,
        5,
        BINOMIAL5.map((v) => v / 256),
      ),
      gamma: lut(gammaTable(2.2)),
      posterize: lut(posterizeTable(4)),
      saturation: f32(4, 4, with4(m.saturation).flat()),
      "hue-rotate": f32(4, 4, with4(m["hue-rotate"]).flat()),
      sepia: f32(4, 4, with4(m.sepia).flat()),
    };
    /** Copies the input into a Mat, runs `f(src, dst, temp)`, copies dst out, deletes every Mat. */
    const run = (type, f) => (i) => {
      const src = cv.matFromArray(i.height, i.width, type, type === cv.CV_8UC4 ? i.rgba : i.grey);
      const dst = new cv.Mat();
      const temps = [];
      const temp = () => {
        const t = new cv.Mat();
        temps.push(t);
        return t;
      };
      try {
        f(src, dst, temp);
        return dst.data.slice();
      } finally {
        src.delete();
        dst.delete();
        for (const t of temps) t.delete();
      }
    };
    const RGBA = cv.CV_8UC4;
    const GREY = cv.CV_8UC1;
    const halfEven = "OpenCV rounds half to even where we round half up";
    const magnitude = (op) => (src, dst, temp) => {
      const gx = temp();
      const gy = temp();
      const mag = temp();
      if (op === "sobel") {
        cv.Sobel(src, gx, cv.CV_32F, 1, 0, 3, 1, 0, R);
        cv.Sobel(src, gy, cv.CV_32F, 0, 1, 3, 1, 0, R);
      } else {
        cv.Scharr(src, gx, cv.CV_32F, 1, 0, 1, 0, R);
        cv.Scharr(src, gy, cv.CV_32F, 0, 1, 1, 0, R);
      }
      cv.magnitude(gx, gy, mag);
      mag.convertTo(dst, cv.CV_8U);
    };
    return {
      version,
      ops: {
        gaussian: {
          run: run(RGBA, (s, d) => cv.GaussianBlur(s, d, new cv.Size(13, 13), 2, 2, R)),
          note: "fixed-point gaussian",
        },
        box: { run: run(RGBA, (s, d) => cv.blur(s, d, new cv.Size(3, 3), anchor, R)) },
        median: { run: run(RGBA, (s, d) => cv.medianBlur(s, d, 3)) },
        sharpen: {
          run: run(RGBA, (s, d, temp) => {
            const blurred = temp();
            cv.GaussianBlur(s, blurred, new cv.Size(7, 7), 1, 1, R);
            cv.addWeighted(s, 2, blurred, -1, 0, d);
          }),
          note: "GaussianBlur then addWeighted: the blur is rounded to 8 bits in between",
        },
        convolve3: { run: run(RGBA, (s, d) => cv.filter2D(s, d, -1, k.sharpen3, anchor, 0, R)) },
        convolve5: {
          run: run(RGBA, (s, d) => cv.filter2D(s, d, -1, k.binomial5, anchor, -0.5, R)),
          note: halfEven,
        },
        sobel: { run: run(GREY, magnitude("sobel")), note: halfEven },
        scharr: { run: run(GREY, magnitude("scharr")), note: halfEven },
        laplacian: {
          run: run(GREY, (s, d, temp) => {
            const t = temp();
            cv.Laplacian(s, t, cv.CV_32F, 1, 1, 0, R);
            cv.convertScaleAbs(t, d);
          }),
          note: halfEven,
        },
        canny: {
          run: run(RGBA, (s, d, temp) => {
            const g = temp();
            const b = temp();
            cv.cvtColor(s, g, cv.COLOR_RGBA2GRAY);
            cv.GaussianBlur(g, b, new cv.Size(11, 11), 1.4, 1.4, R);
            cv.Canny(b, d, 50, 150, 3, true);
          }),
          note: "Rec.601 luma rounded to 8 bits, blurred and rounded again, zero-padded NMS (canny.ts)",
        },
        grayscale: { run: run(RGBA, (s, d) => cv.cvtColor(s, d, cv.COLOR_RGBA2GRAY)), note: "14-bit fixed-point weights" },
        invert: {
          run: run(RGBA, (s, d) =>
            cv.bitwise_xor(
              s,
              constant("invert", { width: s.cols, height: s.rows }, (i) => scalarMat(i, [255, 255, 255, 0])),
              d,
            ),
          ),
        },
        brightness: {
          run: run(RGBA, (s, d) =>
            cv.add(
              s,
              constant("brightness", { width: s.cols, height: s.rows }, (i) => scalarMat(i, [37, 37, 37, 0])),
              d,
            ),
          ),
        },
        contrast: { run: run(RGBA, (s, d) => s.convertTo(d, -1, 1.5, -64)), note: halfEven },
        gamma: { run: run(RGBA, (s, d) => cv.LUT(s, k.gamma, d)) },
        posterize: { run: run(RGBA, (s, d) => cv.LUT(s, k.posterize, d)) },
        saturation: { run: run(RGBA, (s, d) => cv.transform(s, d, k.saturation)), note: halfEven },
        "hue-rotate": { run: run(RGBA, (s, d) => cv.transform(s, d, k["hue-rotate"])), note: halfEven },
        sepia: { run: run(RGBA, (s, d) => cv.transform(s, d, k.sepia)), note: halfEven },
        threshold: { run: run(GREY, (s, d) => cv.threshold(s, d, 127, 255, cv.THRESH_BINARY)) },
        equalize: { run: run(GREY, (s, d) => cv.equalizeHist(s, d)) },
        "otsu-threshold": { run: run(GREY, (s, d) => cv.threshold(s, d, 0, 255, cv.THRESH_BINARY | cv.THRESH_OTSU)) },
      },
    };
  });
}

function loadPhoton() {
  return attempt("photon", async () => {
    const photon = await import("@silvia-odwyer/photon-node");
    const run = (f) => (i) => {
      const img = new photon.PhotonImage(i.rgba, i.width, i.height);
      try {
        f(img);
        return img.get_raw_pixels();
      } finally {
        img.free();
      }
    };
    const version = packageVersion("@silvia-odwyer/photon-node");
    // photon's box_blur, sharpen and adjust_brightness leave the outermost pixels as they
    // were: Δ is measured inside that 1-pixel frame (`interior`). Its sepia is another
    // matrix (Δ > 100), so it has no row.
    const frame = "leaves the 1-pixel border unfiltered; Δ measured inside it";
    return {
      version,
      ops: {
        box: { run: run((img) => photon.box_blur(img)), note: `${frame}; truncates`, interior: true },
        convolve3: { run: run((img) => photon.sharpen(img)), note: frame, interior: true },
        "grayscale-average": { run: run((img) => photon.grayscale(img)) },
        invert: { run: run((img) => photon.invert(img)) },
        brightness: { run: run((img) => photon.adjust_brightness(img, 37)), note: frame, interior: true },
        gamma: { run: run((img) => photon.gamma_correction(img, 2.2, 2.2, 2.2)) },
      },
    };
  });
}
