// `tessera process` as a user runs it: a real OS process, its stderr, its exit code, and the
// files it leaves behind (the result, or nothing at all).

import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { compare, describe as describeDiff, loadPhoto, PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";

const BIN = fileURLToPath(new URL("../../bin/tessera.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tessera-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tessera(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return tesseraWith({}, ...args);
}

async function tesseraWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      timeout: 60_000,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("tessera process", () => {
  it("writes the result, byte-identical to run() on the whole image", async () => {
    const out = join(dir, "edges.png");
    const pipeline = "gaussian-blur(sigma=2) | sobel | equalize";
    const r = await tessera("process", `${PHOTO_DIR}astronaut.png`, "-o", out, "-p", pipeline, "--tile", "100", "--threads", "2");
    expect(r).toMatchObject({ code: 0, stderr: "" }); // stderr is not a terminal: no progress bar
    const got = await new SharpCodec().decode(await readFile(out));
    const photo = await loadPhoto("astronaut.png");
    expect(describeDiff(compare(got.data, (await kernels()).run(photo, pipeline).data, photo.width))).toBe("max diff 0");
  });

  it.each(["jpeg", "webp", "tiff", "avif"])("encodes %s from the extension", async (ext) => {
    const out = join(dir, `small.${ext}`);
    const r = await tessera("process", `${PHOTO_DIR}coins.png`, "-o", out, "-p", "invert", "--threads", "1");
    expect(r.code).toBe(0);
    expect((await new SharpCodec().probe(await readFile(out))).format).toBe(ext === "avif" ? "heif" : ext);
  });

  it("writes a Deep Zoom pyramid for .dzi: the descriptor and NAME_files/, whose full level is run()", async () => {
    const out = join(dir, "scan.dzi");
    const r = await tessera("process", `${PHOTO_DIR}astronaut.png`, "-o", out, "-p", "sepia", "--threads", "1");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(await readFile(out, "utf8")).toContain('<Size Width="512" Height="512"/>');
    const levels = readdirSync(join(dir, "scan_files")).map(Number);
    expect(levels.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // ceil(log2 512) + 1
    expect(readdirSync(join(dir, "scan_files", "9")).sort()).toEqual(["0_0.png", "0_1.png", "1_0.png", "1_1.png"]);
    const photo = await loadPhoto("astronaut.png");
    const want = (await kernels()).run(photo, "sepia");
    const tile = await new SharpCodec().decode(await readFile(join(dir, "scan_files", "9", "1_1.png")));
    const corner = new Uint8ClampedArray(256 * 256 * 4);
    for (let y = 0; y < 256; y++)
      corner.set(want.data.subarray(((256 + y) * 512 + 256) * 4, ((256 + y) * 512 + 512) * 4), y * 1024);
    expect(describeDiff(compare(tile.data, corner, 256))).toBe("max diff 0");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const iiif = await tessera("process", `${PHOTO_DIR}coins.png`, "-o", join(dir, "x.iiif"), "-p", "invert");
    expect([iiif.code, iiif.stderr.trim()]).toEqual([
      2,
      "tessera process: IIIF tile sets are served by the API (format=iiif); here, write Deep Zoom: -o OUT.dzi",
    ]);
  });

  it("takes its pixel limit from TESSERA_MAX_PIXELS, and names it when an image is over", async () => {
    const out = join(dir, "limited.png");
    const over = await tesseraWith({ TESSERA_MAX_PIXELS: "1000" }, "process", `${PHOTO_DIR}coins.png`, "-o", out, "-p", "invert");
    expect([over.code, over.stderr.trim()]).toEqual([
      4,
      `tessera process: cannot read ${PHOTO_DIR}coins.png: the image is 384×303 = 116352 pixels; the limit is 1000 (TESSERA_MAX_PIXELS)`,
    ]);
    const bad = await tesseraWith({ TESSERA_MAX_PIXELS: "lots" }, "process", `${PHOTO_DIR}coins.png`, "-o", out, "-p", "invert");
    expect([bad.code, bad.stderr.trim()]).toEqual([
      2,
      'tessera process: TESSERA_MAX_PIXELS must be an integer of at least 1, got "lots"',
    ]);
    expect(readdirSync(dir)).not.toContain("limited.png");
  });

  const text = join(dir, "text.jpg");
  const empty = join(dir, "empty.png");
  const truncated = join(dir, "truncated.png");
  writeFileSync(text, "this is not a picture");
  writeFileSync(empty, "");

  it.each([
    [["missing.png"], 4, "tessera process: cannot read missing.png: no such file"],
    [[text], 4, `tessera process: cannot read ${text}: not an image (no known image signature)`],
    [[empty], 4, `tessera process: cannot read ${empty}: the file is empty`],
    [
      [`${PHOTO_DIR}coins.png`, "-p", "gaussian-blur(sigma=99)"],
      3,
      "tessera process: step 1 gaussian-blur: sigma must be a number between 0.3 and 50, got 99 (default 1)",
    ],
    [
      [`${PHOTO_DIR}coins.png`, "-o", "/nonexistent-dir/out.png"],
      5,
      "tessera process: cannot write /nonexistent-dir/out.png: no such directory /nonexistent-dir",
    ],
    [
      [`${PHOTO_DIR}coins.png`, "-o", "out.bmp"],
      2,
      'tessera process: cannot tell the output format from "out.bmp"; end it in .png, .jpeg, .webp, .tiff, .avif, .dzi, or .json for an analysis op',
    ],
    [[`${PHOTO_DIR}coins.png`, "--tile", "8"], 2, 'tessera process: --tile must be an integer of at least 16, got "8"'],
  ])("fails on %j with one clear line, exit %i, and no output file", async (args, code, message) => {
    const out = join(dir, "never.png");
    const argv = ["process", ...args];
    if (!args.includes("-o")) argv.push("-o", out);
    if (!args.includes("-p")) argv.push("-p", "invert");
    const r = await tessera(...argv);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: `${message}\n` });
    expect(readdirSync(dir).filter((f) => f.startsWith("never") || f.startsWith(".never"))).toEqual([]);
  });

  it("fails on a truncated PNG with exit 4 and leaves nothing behind", async () => {
    writeFileSync(truncated, (await readFile(`${PHOTO_DIR}coffee.png`)).subarray(0, 5000));
    const out = join(dir, "from-truncated.png");
    const r = await tessera("process", truncated, "-o", out, "-p", "invert");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^tessera process: cannot read .*truncated\.png: the image could not be decoded: /);
    expect(readdirSync(dir).filter((f) => f.includes("from-truncated"))).toEqual([]);
  });

  it("spools a large image's blobs to disk beside the output, the same bytes as in memory, and leaves no spool", async () => {
    const run = async (name: string, env: Record<string, string>) => {
      const out = join(dir, name);
      const args = ["process", `${PHOTO_DIR}coffee.png`, "-o", out, "-p", "gaussian-blur(sigma=2) | sobel", "--tile", "64"];
      const r = await tesseraWith(env, ...args, "--profile");
      expect(r.code).toBe(0);
      return { bytes: await readFile(out), profile: JSON.parse(r.stderr.trim().split("\n").pop() ?? "{}") };
    };
    // coffee.png is 600×400: a threshold below that spools it.
    const memory = await run("in-memory.tif", {});
    const disk = await run("spooled.tif", { TESSERA_SPOOL_PIXELS: "1000" });
    expect([memory.profile.blobs, disk.profile.blobs]).toEqual(["memory", "disk"]);
    expect(Buffer.compare(disk.bytes, memory.bytes)).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith(".tessera-spool"))).toEqual([]);
    const bad = await tesseraWith(
      { TESSERA_SPOOL_PIXELS: "lots" },
      "process",
      `${PHOTO_DIR}coffee.png`,
      "-o",
      join(dir, "x.tif"),
      "-p",
      "invert",
    );
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({
      code: 2,
      stderr: 'tessera process: TESSERA_SPOOL_PIXELS must be an integer of at least 0, got "lots"\n',
    });
  });

  it("prints its help", async () => {
    const r = await tessera("process", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: tessera process IN -o OUT -p PIPELINE [--tile N] [--threads N]");
  });
});
