// Entropy-level JPEG band surgery: pieces cut from a JPEG decode (with sharp) to exactly the whole
// file's rows, and bands encoded apart and joined decode exactly as the image encoded at once.
// Files come from sharp/mozjpeg in the variants the system meets, plus synthetic files written
// here for what sharp cannot make: 4:2:2, 4:4:0 and 4:1:1 sampling, codes longer than the fast
// lookup, and DC tables that lack the size categories a cut needs.

import { readFileSync } from "node:fs";
import sharp, { type JpegOptions, type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import { jpegCutter } from "../../infra/adapters/jpeg/cut.js";
import { canJoinJpegBands, joinJpegBands, jpegOutputMcu } from "../../infra/adapters/jpeg/join.js";
import { PHOTO_DIR, photoNames } from "../helpers/images.js";

const bytesOf = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

async function decode(jpeg: Uint8Array) {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, rowBytes: info.width * info.channels };
}

/** Cuts windows of `bands` rows ± each halo and checks every piece's rows against the whole file decoded. */
async function checkCuts(label: string, jpeg: Uint8Array, bands: number[], halos: number[]): Promise<void> {
  const cutter = jpegCutter(jpeg);
  if ("unsupported" in cutter) throw new Error(`${label}: unsupported: ${cutter.unsupported}`);
  const whole = await decode(jpeg);
  expect([cutter.width, cutter.height]).toEqual([whole.width, whole.height]);
  const windows: [number, number][] = [];
  for (const band of bands) {
    for (const halo of halos) {
      for (let y = 0; y < cutter.height; y += band)
        windows.push([Math.max(0, y - halo), Math.min(cutter.height, y + band + halo)]);
    }
  }
  const failures = await Promise.all(
    windows.map(async ([y0, y1]) => {
      const piece = cutter.cut(y0, y1);
      const mh = cutter.mcuHeight;
      expect(piece.top).toBe(Math.max(0, (Math.floor(y0 / mh) - 1) * mh));
      expect(piece.top + piece.rows).toBe(Math.min(cutter.height, (Math.ceil(y1 / mh) + 1) * mh));
      const got = await decode(piece.bytes);
      const same =
        got.width === whole.width &&
        got.height === piece.rows &&
        Buffer.compare(
          got.data.subarray((y0 - piece.top) * got.rowBytes, (y1 - piece.top) * got.rowBytes),
          whole.data.subarray(y0 * whole.rowBytes, y1 * whole.rowBytes),
        ) === 0;
      return same ? [] : [`${label}: rows [${y0}, ${y1}) differ`];
    }),
  );
  expect(failures.flat()).toEqual([]);
}

interface Variant {
  readonly name: string;
  readonly grey?: boolean;
  readonly options: JpegOptions;
}

const VARIANTS: Variant[] = [
  { name: "q50 4:2:0", options: { quality: 50, chromaSubsampling: "4:2:0", optimiseCoding: false } },
  { name: "q95 4:2:0 optimised", options: { quality: 95, chromaSubsampling: "4:2:0", optimiseCoding: true } },
  { name: "q95 4:4:4 optimised", options: { quality: 95, chromaSubsampling: "4:4:4", optimiseCoding: true } },
  { name: "q50 4:4:4", options: { quality: 50, chromaSubsampling: "4:4:4", optimiseCoding: false } },
  { name: "grey q80 optimised", grey: true, options: { quality: 80, optimiseCoding: true } },
  { name: "grey q95", grey: true, options: { quality: 95, optimiseCoding: false } },
];

function encode(input: Sharp, variant: Variant): Promise<Uint8Array> {
  const pipeline = variant.grey ? input.toColourspace("b-w") : input;
  return pipeline.jpeg(variant.options).toBuffer().then(bytesOf);
}

// --- Synthetic baseline JPEGs: random DC differences and AC symbols with tables chosen here. ---

interface Table {
  readonly counts: number[]; // codes of length 1, 2, ... 16
  readonly symbols: number[];
}
// DC size categories 0..3 only: where the absolute DC at a row start is 8 or more, a cut must extend the table.
const SMALL_DC: Table = { counts: [0, 3, 1], symbols: [0, 1, 2, 3] };
// A few AC symbols; 0x05 and 0x42 have 14-bit codes, longer than the cutter's fast lookup.
const SMALL_AC: Table = {
  counts: [0, 2, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
  symbols: [0x00, 0x01, 0x02, 0x11, 0x03, 0xf0, 0x31, 0x05, 0x42],
};

function canonical(t: Table): Map<number, [code: number, length: number]> {
  const codes = new Map<number, [number, number]>();
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++, code <<= 1) {
    for (let i = 0; i < (t.counts[len - 1] ?? 0); i++) codes.set(t.symbols[k++] ?? 0, [code++, len]);
  }
  return codes;
}

/** A baseline JPEG of random blocks with the given sampling factors per component (one or three). */
function syntheticJpeg(width: number, height: number, sampling: [number, number][], seed: number): Uint8Array {
  let s = seed;
  const rand = (n: number): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
  const out = [0xff, 0xd8];
  const u16 = (n: number) => [n >> 8, n & 255];
  const segment = (marker: number, body: number[]) => out.push(0xff, marker, ...u16(body.length + 2), ...body);
  const table = (cls: number, t: Table) => [cls << 4, ...Array.from({ length: 16 }, (_, i) => t.counts[i] ?? 0), ...t.symbols];
  const nc = sampling.length;
  segment(0xdb, [0, 1, ...new Array<number>(63).fill(4)]);
  segment(0xc4, [...table(0, SMALL_DC), ...table(1, SMALL_AC)]);
  segment(0xc0, [8, ...u16(height), ...u16(width), nc, ...sampling.flatMap(([h, v], c) => [c + 1, (h << 4) | v, 0])]);
  segment(0xda, [nc, ...sampling.flatMap((_, c) => [c + 1, 0]), 0, 63, 0]);
  const dc = canonical(SMALL_DC);
  const ac = canonical(SMALL_AC);
  let acc = 0;
  let bits = 0;
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++bits === 8) {
        out.push(acc, ...(acc === 0xff ? [0] : []));
        acc = 0;
        bits = 0;
      }
    }
  };
  const code = (codes: Map<number, [number, number]>, sym: number) => put(...(codes.get(sym) as [number, number]));
  const hmax = Math.max(...sampling.map(([h]) => h));
  const vmax = Math.max(...sampling.map(([, v]) => v));
  const mcus =
    nc === 1 ? Math.ceil(width / 8) * Math.ceil(height / 8) : Math.ceil(width / 8 / hmax) * Math.ceil(height / 8 / vmax);
  for (let m = 0; m < mcus; m++) {
    for (const [h, v] of sampling) {
      for (let b = 0; b < (nc === 1 ? 1 : h * v); b++) {
        const diff = rand(15) - 7;
        const size = diff === 0 ? 0 : Math.abs(diff) < 2 ? 1 : Math.abs(diff) < 4 ? 2 : 3;
        code(dc, size);
        put(diff < 0 ? diff + (1 << size) - 1 : diff, size);
        for (let k = 1; k < 64; ) {
          const fits = SMALL_AC.symbols.filter((x) => x !== 0 && (x === 0xf0 ? k + 16 < 64 : k + (x >> 4) + 1 <= 64));
          const sym = rand(4) === 0 || fits.length === 0 ? 0 : (fits[rand(fits.length)] as number);
          code(ac, sym);
          if (sym === 0) break;
          put(rand(1 << (sym & 15)), sym & 15);
          k += sym === 0xf0 ? 16 : (sym >> 4) + 1;
        }
      }
    }
  }
  while (bits !== 0) put(1, 1);
  out.push(0xff, 0xd9);
  return new Uint8Array(out);
}

/** The number of DHT segments before the scan. */
function dhtCount(jpeg: Uint8Array): number {
  let count = 0;
  for (let p = 2; jpeg[p + 1] !== 0xda; p += 2 + (((jpeg[p + 2] ?? 0) << 8) | (jpeg[p + 3] ?? 0))) {
    if (jpeg[p + 1] === 0xc4) count++;
  }
  return count;
}

describe("jpegCutter", () => {
  for (const name of photoNames()) {
    it(`cuts ${name} re-encoded by sharp in every variant into pieces that decode to the whole file's rows`, async () => {
      for (const variant of VARIANTS) {
        await checkCuts(`${name} ${variant.name}`, await encode(sharp(PHOTO_DIR + name), variant), [64, 100, 512], [0, 13]);
      }
    });
  }

  it("cuts the original JPEG files in test/fixtures/images", async () => {
    for (const name of photoNames().filter((n) => n.endsWith(".jpg"))) {
      await checkCuts(name, new Uint8Array(readFileSync(PHOTO_DIR + name)), [64, 512], [0, 13]);
    }
  });

  it("cuts odd sizes: partial MCUs at the right and bottom, one MCU row, 1×1", async () => {
    const photo = PHOTO_DIR + photoNames()[0];
    const sizes: [number, number, number[]][] = [
      [1001, 667, [64, 100]],
      [17, 9, [1, 4]],
      [50, 12, [5]],
      [60, 16, [3]],
      [1, 1, [1]],
    ];
    for (const [width, height, bands] of sizes) {
      for (const variant of [VARIANTS[0], VARIANTS[2], VARIANTS[4]] as Variant[]) {
        const jpeg = await encode(sharp(photo).resize(width, height, { fit: "fill" }), variant);
        await checkCuts(`${width}×${height} ${variant.name}`, jpeg, bands, [0, 13]);
      }
    }
  });

  it("cuts 4:2:2, 4:4:0, 4:1:1 and mixed sampling, and grey with declared 2×2 sampling (one block per MCU)", async () => {
    const samplings: [number, number][][] = [
      [
        [2, 1],
        [1, 1],
        [1, 1],
      ],
      [
        [1, 2],
        [1, 1],
        [1, 1],
      ],
      [
        [4, 1],
        [1, 1],
        [1, 1],
      ],
      [
        [2, 2],
        [2, 1],
        [1, 2],
      ],
      [[2, 2]],
    ];
    for (const [i, sampling] of samplings.entries()) {
      await checkCuts(`sampling ${JSON.stringify(sampling)}`, syntheticJpeg(203, 157, sampling, i + 1), [16, 40], [0, 13]);
    }
  });

  it("extends a DC table that lacks the size category an absolute DC value needs, without changing its codes", async () => {
    const jpeg = syntheticJpeg(
      240,
      200,
      [
        [2, 2],
        [1, 1],
        [1, 1],
      ],
      7,
    );
    await checkCuts("4:2:0 small DC table", jpeg, [16, 48], [0]);
    const cutter = jpegCutter(jpeg);
    if ("unsupported" in cutter) throw new Error(cutter.unsupported);
    const extended = Array.from({ length: 12 }, (_, i) => dhtCount(cutter.cut(i * 16, i * 16 + 16).bytes)).filter((n) => n > 1);
    expect(extended.length).toBeGreaterThan(0);
  });

  it("reports what it cannot cut, with the reason, and never throws", async () => {
    const photo = sharp(PHOTO_DIR + photoNames()[0]).resize(160, 128, { fit: "fill" });
    const baseline = await photo.clone().jpeg({ quality: 80 }).toBuffer().then(bytesOf);
    const sof = baseline.findIndex((b, i) => b === 0xff && baseline[i + 1] === 0xc0);
    const patched = (at: number, value: number) => baseline.map((b, i) => (i === at ? value : b));
    const joined = joinJpegBands([baseline, baseline], 160, 256, 128);
    const cases: [string, Uint8Array, RegExp][] = [
      ["progressive", await photo.clone().jpeg({ progressive: true }).toBuffer().then(bytesOf), /progressive/],
      ["PNG", await photo.clone().png().toBuffer().then(bytesOf), /not a JPEG/],
      ["empty", new Uint8Array(0), /not a JPEG/],
      ["truncated data", baseline.subarray(0, baseline.length >> 1), /truncated/],
      ["truncated header", baseline.subarray(0, 40), /truncated/],
      ["CMYK", await photo.clone().toColourspace("cmyk").jpeg().toBuffer().then(bytesOf), /4 components/],
      ["arithmetic", patched(sof + 1, 0xc9), /arithmetic/],
      ["lossless", patched(sof + 1, 0xc3), /lossless/],
      ["12-bit", patched(sof + 4, 12), /12-bit/],
      ["restart interval", joined, /restart/],
    ];
    for (const [label, bytes, reason] of cases) {
      const result = jpegCutter(bytes);
      expect("unsupported" in result ? result.unsupported : `${label} was accepted`).toMatch(reason);
    }
    // Corrupt data: random bytes over the scan either cut or are refused, and nothing throws.
    let seed = 99;
    for (let trial = 0; trial < 300; trial++) {
      const bytes = baseline.slice();
      for (let j = 0; j < 1 + (trial % 8); j++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        bytes[sof + (seed % (bytes.length - sof))] = seed >>> 24;
      }
      const result = jpegCutter(bytes);
      if (!("unsupported" in result)) result.cut(0, result.height);
    }
  });
});

describe("joinJpegBands", () => {
  const OUTPUT: JpegOptions = { quality: 80, optimiseCoding: false, chromaSubsampling: "4:2:0" };

  /** The image as raw pixels, and each band of it encoded alone with `options` (grey: one channel). */
  async function bandsOf(name: string, grey: boolean, bandRows: number, options: (band: number) => JpegOptions, height = 1100) {
    const { data, info } = await sharp(PHOTO_DIR + name)
      .resize(1500, height, { fit: "fill" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const enc = (pixels: Buffer, height: number, o: JpegOptions) => {
      const s = sharp(pixels, { raw: { width: info.width, height, channels: info.channels } });
      return (grey ? s.toColourspace("b-w") : s).jpeg(o).toBuffer().then(bytesOf);
    };
    const row = info.width * info.channels;
    const bands: Uint8Array[] = [];
    for (let y = 0, i = 0; y < info.height; y += bandRows, i++) {
      const h = Math.min(bandRows, info.height - y);
      bands.push(await enc(data.subarray(y * row, (y + h) * row), h, options(i)));
    }
    return { bands, whole: await enc(data, info.height, OUTPUT), width: info.width, height: info.height };
  }

  for (const name of ["astronaut.png", "rocket.jpg", "coffee.png"]) {
    for (const grey of [false, true]) {
      it(`joins ${grey ? "grey" : "colour"} bands of ${name} into the JPEG of the whole image`, async () => {
        const { bands, whole, width, height } = await bandsOf(name, grey, 512, () => OUTPUT);
        const joined = joinJpegBands(bands, width, height, 512);
        const meta = await sharp(joined).metadata();
        expect([meta.width, meta.height, meta.channels]).toEqual([width, height, grey ? 1 : 3]);
        expect(Buffer.compare((await decode(joined)).data, (await decode(whole)).data)).toBe(0);
      });
    }
  }

  it("joins bands when the last one is full, and returns a lone band as it is", async () => {
    const full = await bandsOf("chelsea.png", false, 512, () => OUTPUT, 1024);
    const joined = joinJpegBands(full.bands, 1500, 1024, 512);
    expect((await sharp(joined).metadata()).height).toBe(1024);
    expect(Buffer.compare((await decode(joined)).data, (await decode(full.whole)).data)).toBe(0);
    const lone = await bandsOf("chelsea.png", false, 1200, () => OUTPUT);
    expect(joinJpegBands(lone.bands, 1500, 1100, 1200)).toEqual(lone.bands[0]);
  });

  it("throws saying what differs when the bands do not match", async () => {
    const optimised = await bandsOf("rocket.jpg", false, 512, () => ({ ...OUTPUT, optimiseCoding: true }));
    expect(() => joinJpegBands(optimised.bands, 1500, 1100, 512)).toThrow(/Huffman tables .*optimiseCoding: false/);
    const quality = await bandsOf("rocket.jpg", false, 512, (i) => ({ ...OUTPUT, quality: i === 1 ? 70 : 80 }));
    expect(() => joinJpegBands(quality.bands, 1500, 1100, 512)).toThrow(/band 1 .*quantisation table/);
    const { bands } = await bandsOf("rocket.jpg", false, 512, () => OUTPUT);
    const grey = await bandsOf("rocket.jpg", true, 512, () => OUTPUT);
    expect(() => joinJpegBands([bands[0], grey.bands[1], bands[2]] as Uint8Array[], 1500, 1100, 512)).toThrow(/1 components/);
    expect(() => joinJpegBands(bands, 1500, 1200, 512)).toThrow(/band 2 is 1500×76, expected 1500×176/);
    expect(() => joinJpegBands(bands.slice(0, 2), 1500, 1100, 512)).toThrow(/needs 3 bands, got 2/);
    expect(() => joinJpegBands([bands[0], new Uint8Array(10), bands[2]] as Uint8Array[], 1500, 1100, 512)).toThrow(
      /band 1 .*not a JPEG/,
    );
    const odd = await bandsOf("rocket.jpg", false, 500, () => OUTPUT);
    expect(() => joinJpegBands(odd.bands, 1500, 1100, 500)).toThrow(/multiple of the MCU height/);
  });
});

describe("canJoinJpegBands", () => {
  it("needs bands a multiple of the MCU height and at most 65535 MCUs per band", () => {
    expect(jpegOutputMcu(3)).toEqual({ width: 16, height: 16 });
    expect(jpegOutputMcu(1)).toEqual({ width: 8, height: 8 });
    expect(canJoinJpegBands(1500, 512, jpegOutputMcu(3))).toBe(true);
    expect(canJoinJpegBands(1500, 504, jpegOutputMcu(1))).toBe(true);
    expect(canJoinJpegBands(1500, 504, jpegOutputMcu(3))).toBe(false);
    expect(canJoinJpegBands(1500, 0, jpegOutputMcu(3))).toBe(false);
    expect(canJoinJpegBands(65535, 16 * 15, jpegOutputMcu(3))).toBe(true); // 4096 × 15 = 61440 MCUs
    expect(canJoinJpegBands(65535, 16 * 16, jpegOutputMcu(3))).toBe(false); // 65536
  });
});
