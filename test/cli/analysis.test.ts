// `tessera process` with an analysis op, as a user runs it (bin/tessera.js, from the bundle):
// -o OUT.json writes the data, an image extension writes the input with the data drawn on it,
// and what cannot run is a one-line usage or pipeline error that writes nothing.

import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { analyseWhole, analysisOp, analysisParams, parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { analysisJson, analysisResult } from "../../engine/analysis-result.js";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

const BIN = fileURLToPath(new URL("../../bin/tessera.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tessera-cli-analysis-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tessera(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const PIPELINE = "gaussian-blur(sigma=1) | fast(threshold=20)";

describe("tessera process with an analysis op", () => {
  it("writes the JSON for -o OUT.json: analyseWhole on the whole image's luma", async () => {
    const out = join(dir, "corners.json");
    const r = await tessera("process", `${PHOTO_DIR}rocket.jpg`, "-o", out, "-p", PIPELINE, "--tile", "100", "--threads", "2");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const written = await readFile(out);
    const k = await kernels();
    const steps = parsePipeline(PIPELINE);
    const image = await new SharpCodec().decode(await readFile(`${PHOTO_DIR}rocket.jpg`));
    const grey = k.run(image, [...steps.slice(0, -1), ...parsePipeline("grayscale")], { channels: 1 });
    const op = analysisOp("fast");
    if (!op) throw new Error("fast is not wired");
    const data = analyseWhole(
      k.analysisHeap,
      op,
      { ...grey, data: new Uint8Array(grey.data.buffer) },
      analysisParams(steps[1] as never),
    );
    expect(new TextDecoder().decode(written)).toBe(new TextDecoder().decode(analysisJson(analysisResult(image, steps, data))));
    expect(JSON.parse(new TextDecoder().decode(written)).keypoints.length).toBeGreaterThan(50);
  });

  it("writes the overlay for an image extension: the input's size, changed where the keypoints are", async () => {
    const json = join(dir, "points.json");
    const png = join(dir, "points.png");
    const input = `${PHOTO_DIR}chelsea.png`;
    expect((await tessera("process", input, "-o", json, "-p", PIPELINE, "--threads", "2")).code).toBe(0);
    const r = await tessera("process", input, "-o", png, "-p", PIPELINE, "--threads", "2");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const keypoints = JSON.parse(await readFile(json, "utf8")).keypoints as { x: number; y: number }[];
    const drawn = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([drawn.info.width, drawn.info.height]).toEqual([451, 300]);
    const source = await sharp(input).ensureAlpha().raw().toBuffer();
    // A circle of radius 3 around each keypoint passes 3 px to its right.
    const changed = keypoints.filter(({ x, y }) => {
      const at = (y * 451 + Math.min(450, x + 3)) * 4;
      return [0, 1, 2].some((c) => drawn.data[at + c] !== source[at + c]);
    });
    expect(changed.length / keypoints.length).toBeGreaterThan(0.9);
    // Far from every keypoint the image is untouched.
    const far = drawn.data.findIndex((v, i) => v !== source[i]);
    expect(far).toBeGreaterThanOrEqual(0);
  });

  it("detects objects for -o OUT.json: the astronaut is a person", async () => {
    const out = join(dir, "objects.json");
    const r = await tessera(
      "process",
      `${PHOTO_DIR}astronaut.png`,
      "-o",
      out,
      "-p",
      "detect-objects",
      "--tile",
      "128",
      "--threads",
      "2",
    );
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const json = JSON.parse(await readFile(out, "utf8")) as { op: string; detections: { label: string; score: number }[] };
    expect(json.op).toBe("detect-objects");
    expect(json.detections.find((d) => d.label === "person")?.score).toBeGreaterThanOrEqual(0.5);
  });

  it("detects on the main thread when the image is one tile (no pool threads), from the bundle", async () => {
    const out = join(dir, "objects-inline.json");
    const r = await tessera("process", `${PHOTO_DIR}astronaut.png`, "-o", out, "-p", "detect-objects", "--profile");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stderr.trim().split("\n").pop() ?? "{}")).toMatchObject({ threads: 1, inline: true });
    const json = JSON.parse(await readFile(out, "utf8")) as { detections: { label: string; score: number }[] };
    expect(json.detections.find((d) => d.label === "person")?.score).toBeGreaterThanOrEqual(0.5);
  });

  it.each([
    [["-o", "x.json", "-p", "gaussian-blur | sobel"], 2, "JSON is the result of an analysis op"],
    [["-o", "x.dzi", "-p", "fast"], 2, "fast returns data; write it as .json"],
    [["-o", "x.json", "-p", "fast | invert"], 3, "step 1 fast: fast is an analysis op"],
    [["-o", "x.json", "-p", "fast(threshold=0)"], 3, "threshold must be an integer between 1 and 255"],
    [["-o", "x.json", "-p", "components(connectivity=5)"], 3, "connectivity must be 4 or 8"],
    [["-o", "x.json", "-p", "hough-lines(rhoo=1)"], 3, 'unknown param "rhoo"'],
    [["-o", "x.json", "-p", "detect-objects(classes=kat)"], 3, "step 1 detect-objects: classes must be"],
  ])("refuses %j with exit %i: %s, writing nothing", async (args, code, message) => {
    const out = join(dir, "refused");
    const r = await tessera(
      "process",
      `${PHOTO_DIR}coins.png`,
      ...args.map((a) => (a.startsWith("x.") ? `${out}${a.slice(1)}` : a)),
    );
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.startsWith("refused"))).toEqual([]);
  });
});
