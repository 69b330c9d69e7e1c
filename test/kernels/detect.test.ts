// detect-objects and detect-faces (workers/detect, docs/detection.md): the pure pieces (grid,
// resize, rounding, NMS, params) on synthetic input, then the real models, read from
// node_modules by tfjs on its WebAssembly backend, on two fixture photographs, whole and 4×
// upscaled through the window grid. The models take ~0.15 s (objects) and ~0.04 s (faces) a
// window on one core; the whole file runs in a few seconds.

import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import {
  COCO_LABELS,
  compareDetections,
  contentSize,
  type Detection,
  type DetectionWindow,
  type Detector,
  detectImage,
  detectInWindow,
  detectionWindows,
  iou,
  keepInWindow,
  letterbox,
  loadDetector,
  mergeDetections,
  packageDir,
  type RgbWindow,
  resolveDetectParams,
  toDetection,
} from "../../workers/detect/index.js";
import { loadPhoto, PHOTO_DIR } from "../helpers/images.js";

const MODEL_TIMEOUT = 120_000;

/** A photograph as 4-byte pixels (the engine's layout), or upscaled 4× by sharp as RGB. */
async function photo(name: string): Promise<RgbWindow> {
  const p = await loadPhoto(name);
  return { data: p.data, width: p.width, height: p.height, channels: 4 };
}
async function upscaled(name: string, factor: number): Promise<RgbWindow> {
  const meta = await sharp(PHOTO_DIR + name).metadata();
  const { data, info } = await sharp(PHOTO_DIR + name)
    .removeAlpha()
    .resize((meta.width as number) * factor, (meta.height as number) * factor)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

function best(found: readonly Detection[], label: string): Detection | undefined {
  return found.filter((d) => d.label === label).sort(compareDetections)[0];
}

/** A deterministic shuffle (xorshift32) so a failure reproduces. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("detection windows", () => {
  it("is the whole image alone when it fits one window", () => {
    expect(detectionWindows(512, 512, "detect-objects")).toEqual([
      { x: 0, y: 0, width: 512, height: 512, level: 0, image: { width: 512, height: 512 } },
    ]);
    expect(detectionWindows(1024, 300, "objects")).toHaveLength(1);
  });

  it("covers a large image with half-overlapping windows, level by level, then the whole", () => {
    const image = { width: 2048, height: 2048 };
    const ws = detectionWindows(2048, 2048, "detect-objects");
    const starts = [0, 512, 1024];
    expect(ws.slice(0, 9).map((w) => [w.x, w.y, w.width, w.height, w.level])).toEqual(
      starts.flatMap((y) => starts.map((x) => [x, y, 1024, 1024, 0])),
    );
    expect(ws[9]).toEqual({ x: 0, y: 0, width: 2048, height: 2048, level: 1, image });
    // The last window of a row ends at the edge; faces use 512-pixel windows.
    const cat = detectionWindows(1804, 1200, "detect-objects").map((w) => [w.x, w.y, w.width, w.height, w.level]);
    expect(cat).toEqual([
      [0, 0, 1024, 1024, 0],
      [512, 0, 1024, 1024, 0],
      [780, 0, 1024, 1024, 0],
      [0, 176, 1024, 1024, 0],
      [512, 176, 1024, 1024, 0],
      [780, 176, 1024, 1024, 0],
      [0, 0, 1804, 1200, 1],
    ]);
    const faces = detectionWindows(2048, 2048, "detect-faces");
    expect(faces.filter((w) => w.level === 0)).toHaveLength(49);
    expect(faces.filter((w) => w.level === 1)).toHaveLength(9);
    expect(faces.at(-1)).toMatchObject({ x: 0, y: 0, width: 2048, height: 2048, level: 2 });
  });

  it("puts every window inside the image and every object up to half a side inside one window", () => {
    for (const [w, h] of [
      [3000, 1100],
      [1025, 4097],
      [1, 5000],
    ] as const) {
      const ws = detectionWindows(w, h, "detect-objects");
      expect(ws).toEqual(detectionWindows(w, h, "detect-objects"));
      for (const win of ws) {
        expect(win.x >= 0 && win.y >= 0 && win.x + win.width <= w && win.y + win.height <= h).toBe(true);
      }
      // A 512-pixel square anywhere fits in some level-0 window.
      for (const [x, y] of [
        [0, 0],
        [w - 512, h - 512],
        [Math.floor(w / 3), Math.floor(h / 2)],
      ] as const) {
        const [bx, by, bw, bh] = [Math.max(0, x), Math.max(0, y), Math.min(512, w), Math.min(512, h)];
        expect(ws.some((v) => v.x <= bx && v.y <= by && v.x + v.width >= bx + bw && v.y + v.height >= by + bh)).toBe(true);
      }
    }
    expect(() => detectionWindows(0, 10, "detect-faces")).toThrow(/positive integers/);
  });

  it("drops boxes cut by a window side inside the image, keeps those on the image's border", () => {
    const image = { width: 2048, height: 2048 };
    const inner: DetectionWindow = { x: 512, y: 512, width: 1024, height: 1024, level: 0, image };
    expect(keepInWindow(inner, 600, 600, 900, 900)).toBe(true);
    expect(keepInWindow(inner, 512, 600, 900, 900)).toBe(false);
    expect(keepInWindow(inner, 600, 600, 1536, 900)).toBe(false);
    const corner: DetectionWindow = { x: 0, y: 0, width: 1024, height: 1024, level: 0, image };
    expect(keepInWindow(corner, 0, 0, 500, 500)).toBe(true);
    expect(keepInWindow(corner, 0, 0, 1024, 500)).toBe(false);
    expect(keepInWindow({ ...corner, width: 2048, height: 2048 }, 0, 0, 2048, 2048)).toBe(true);
  });
});

describe("letterbox resize", () => {
  it("keeps the aspect ratio, fills the rest with black and averages when shrinking", () => {
    expect(contentSize(1804, 1200, 512)).toEqual({ width: 512, height: 341 });
    const grey = { data: new Uint8Array(40 * 20 * 3).fill(100), width: 40, height: 20 };
    const out = letterbox(grey, 8, 1, 0);
    expect(out[0]).toBeCloseTo(100, 4);
    expect(out[(3 * 8 + 7) * 3]).toBeCloseTo(100, 4); // last content row
    expect(out[4 * 8 * 3]).toBe(0); // first padding row
    // Two columns, 0 and 200, halved: their average.
    const stripes = { data: Uint8Array.from([0, 0, 0, 200, 200, 200]), width: 2, height: 1 };
    expect(letterbox(stripes, 1, 1, 0)[0]).toBeCloseTo(100, 4);
    expect(letterbox(stripes, 4, 1 / 127.5, -1).slice(0, 3)).toEqual(Float32Array.from([-1, -1, -1]));
    expect(() => letterbox({ data: new Uint8Array(5), width: 2, height: 1 }, 4, 1, 0)).toThrow(/bytes/);
  });
});

describe("merging detections", () => {
  const image = { width: 1000, height: 800 };
  const params = resolveDetectParams("detect-objects", { score: 0.3 });

  it("rounds scores to 4 decimals and coordinates to 2, clipped to the image", () => {
    expect(toDetection("cat", 0.123456, -5, 10.123, 50.456, 900, image)).toEqual({
      label: "cat",
      score: 0.1235,
      bbox: [0, 10.12, 50.46, 789.88],
    });
    expect(toDetection("cat", 0.5, 1200, 0, 1300, 10, image)).toBeNull();
  });

  it("suppresses same-class overlaps only, and gives the same JSON in any arrival order", () => {
    const d = (label: string, score: number, x: number, y: number, w = 100, h = 100): Detection => ({
      label,
      score,
      bbox: [x, y, w, h],
    });
    const windows: Detection[][] = [
      [d("cat", 0.9, 10, 10), d("dog", 0.4, 10, 10)],
      [d("cat", 0.8, 15, 12), d("cat", 0.35, 400, 400)],
      [d("cat", 0.9, 10, 10), d("person", 0.9, 10, 10), d("person", 0.2, 600, 600)],
      [d("cat", 0.9, 12, 10), d("cat", 0.9, 10, 12)],
      [d("cat", 0.5, 40, 10)], // IoU 0.54 with the 0.9 cat: suppressed
    ];
    const merged = mergeDetections(windows, params);
    expect(merged).toEqual([d("cat", 0.9, 10, 10), d("person", 0.9, 10, 10), d("dog", 0.4, 10, 10), d("cat", 0.35, 400, 400)]);
    expect(iou([0, 0, 100, 100], [50, 0, 100, 100])).toBeCloseTo(1 / 3, 10);
    const json = JSON.stringify(merged);
    for (let seed = 1; seed <= 20; seed++) {
      const order = shuffled(windows, seed).map((w) => shuffled(w, seed + 100));
      expect(JSON.stringify(mergeDetections(order, params))).toBe(json);
      expect(JSON.stringify(mergeDetections(order.flat(), params))).toBe(json);
    }
    expect(mergeDetections(windows, resolveDetectParams("detect-objects", { classes: "dog+person" }))).toEqual([
      d("person", 0.9, 10, 10),
      d("dog", 0.4, 10, 10),
    ]);
  });
});

describe("params", () => {
  it("fills defaults and accepts label lists", () => {
    expect(resolveDetectParams("detect-objects")).toEqual({ op: "detect-objects", score: 0.3, classes: "all" });
    expect(resolveDetectParams("detect-faces")).toEqual({ op: "detect-faces", score: 0.5, classes: "all" });
    expect(resolveDetectParams("detect-objects", { classes: "cat, Traffic-Light+person,cat" }).classes).toEqual([
      "person",
      "traffic light",
      "cat",
    ]);
    expect(resolveDetectParams("detect-objects", { classes: ["dog"], score: 0 }).classes).toEqual(["dog"]);
    expect(COCO_LABELS).toHaveLength(80);
  });

  it("rejects bad values with the allowed ones", () => {
    expect(() => resolveDetectParams("detect-objects", { score: 1.5 })).toThrow(
      "step 1 detect-objects: score must be a number between 0 and 1, got 1.5 (default 0.3)",
    );
    expect(() => resolveDetectParams("detect-faces", { score: -0.1 }, 3)).toThrow(
      "step 3 detect-faces: score must be a number between 0 and 1, got -0.1 (default 0.5)",
    );
    expect(() => resolveDetectParams("detect-faces", { score: "high" })).toThrow(/score must be a number between 0 and 1/);
    expect(() => resolveDetectParams("detect-objects", { classes: "person,kat" })).toThrow(
      /classes names unknown class "kat"; it must be "all" or a list of COCO labels separated by "," or "\+" \(default "all"\), from: person, bicycle, .*, toothbrush$/,
    );
    expect(() => resolveDetectParams("detect-objects", { classes: "" })).toThrow(/classes is empty/);
    expect(() => resolveDetectParams("detect-objects", { classes: 3 })).toThrow(/classes got 3/);
    expect(() => resolveDetectParams("detect-faces", { classes: "person" })).toThrow(
      'step 1 detect-faces: unknown param "classes"; detect-faces takes score',
    );
    expect(() => resolveDetectParams("detect-cars")).toThrow(/use one of detect-objects, detect-faces/);
  });

  it("says what to install when a model package is missing", () => {
    expect(() => packageDir("@vladmandic/no-such-models")).toThrow(
      /need the package @vladmandic\/no-such-models, which is not installed; install the models with: npm install --save-exact @tensorflow\/tfjs-core@4\.22\.0 .*@vladmandic\/human@3\.3\.6/,
    );
  });
});

describe("detect-objects (CenterNet)", () => {
  let objects: Detector;
  beforeAll(async () => {
    objects = await loadDetector("objects");
  }, MODEL_TIMEOUT);

  it("loads once per thread", async () => {
    expect(await loadDetector("objects")).toBe(objects);
    expect(objects.spec).toMatchObject({ op: "detect-objects", inputSize: 512, windowSide: 1024 });
  });

  it(
    "finds the astronaut and the cat in the whole images",
    async () => {
      const params = resolveDetectParams("detect-objects");
      const astronaut = await detectImage(await photo("astronaut.png"), params);
      expect(astronaut.windows).toHaveLength(1);
      const person = best(astronaut.detections, "person");
      expect(person?.score).toBeGreaterThanOrEqual(0.5);
      // She fills the left two thirds of the frame, head to bottom edge.
      const [x, y, w, h] = person?.bbox ?? [];
      expect([x, y, w, h].every((v) => typeof v === "number")).toBe(true);
      expect(x as number).toBeLessThan(60);
      expect(y as number).toBeLessThan(60);
      expect(w as number).toBeGreaterThan(250);
      expect(h as number).toBeGreaterThan(400);
      const chelsea = await detectImage(await photo("chelsea.png"), params);
      expect(best(chelsea.detections, "cat")?.score).toBeGreaterThanOrEqual(0.3);
      // Same pixels, same JSON.
      const again = await detectImage(await photo("chelsea.png"), params);
      expect(JSON.stringify(again.detections)).toBe(JSON.stringify(chelsea.detections));
      // A class filter keeps only what was asked for.
      const cats = await detectImage(await photo("chelsea.png"), resolveDetectParams("detect-objects", { classes: "cat" }));
      expect(cats.detections.length).toBeGreaterThan(0);
      expect(cats.detections.every((d) => d.label === "cat")).toBe(true);
    },
    MODEL_TIMEOUT,
  );

  it(
    "finds them 4× upscaled through the window grid, the same in any merge order",
    async () => {
      const params = resolveDetectParams("detect-objects");
      for (const [name, label, minScore] of [
        ["astronaut.png", "person", 0.5],
        ["chelsea.png", "cat", 0.3],
      ] as const) {
        const image = await upscaled(name, 4);
        const result = await detectImage(image, params);
        expect(result.windows.length).toBeGreaterThan(1);
        const found = best(result.detections, label);
        expect(found?.score, `${label} in ${name} 4×: ${JSON.stringify(result.detections)}`).toBeGreaterThanOrEqual(minScore);
        const json = JSON.stringify(result.detections);
        const lists = result.windows.map((w) => w.detections);
        for (let seed = 1; seed <= 10; seed++) {
          expect(JSON.stringify(mergeDetections(shuffled(lists, seed), params))).toBe(json);
        }
        expect(JSON.stringify(mergeDetections([...lists].reverse(), params))).toBe(json);
        // Every box lies inside the image, in source pixels.
        for (const d of result.detections) {
          const [x, y, w, h] = d.bbox;
          expect(x >= 0 && y >= 0 && x + w <= image.width + 0.01 && y + h <= image.height + 0.01).toBe(true);
        }
      }
    },
    MODEL_TIMEOUT,
  );
});

describe("detect-faces (BlazeFace)", () => {
  it(
    "finds the astronaut's face, with the box over it",
    async () => {
      const faces = await loadDetector("faces");
      const params = resolveDetectParams("detect-faces");
      const image = await photo("astronaut.png");
      const result = await detectImage(image, params);
      const face = best(result.detections, "face");
      expect(face?.score).toBeGreaterThanOrEqual(0.5);
      // Her face spans about x 180–270, y 75–185 in the 512² photo.
      const [x, y, w, h] = face?.bbox ?? [0, 0, 0, 0];
      expect(x + w / 2).toBeGreaterThan(195);
      expect(x + w / 2).toBeLessThan(255);
      expect(y + h / 2).toBeGreaterThan(100);
      expect(y + h / 2).toBeLessThan(160);
      expect(w).toBeGreaterThan(60);
      expect(w).toBeLessThan(160);
      // One window by hand: the same answer as detectImage's.
      const [whole] = detectionWindows(image.width, image.height, "detect-faces");
      expect(await detectInWindow(faces, image, whole as DetectionWindow, params)).toEqual(result.detections);
      await expect(detectInWindow(faces, image, whole as DetectionWindow, resolveDetectParams("detect-objects"))).rejects.toThrow(
        /params are for detect-objects but the detector runs detect-faces/,
      );
    },
    MODEL_TIMEOUT,
  );
});
