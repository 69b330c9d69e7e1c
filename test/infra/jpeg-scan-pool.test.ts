// Several scan threads for a gateway's bursts (scan-pool.ts): scans asked at once go to
// different threads, a source asked again stays with its thread, and what comes back cuts the
// same pieces as the walk here.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cutterOf, jpegCutter } from "../../infra/adapters/jpeg/cut.js";
import { defaultScanThreads, JpegScanPool } from "../../infra/adapters/jpeg/scan-pool.js";
import { PHOTO_DIR } from "../helpers/images.js";
import { fileSource } from "../helpers/source-file.js";

let dir: string;
let bytes: Uint8Array;
const pool = new JpegScanPool(2);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tessera-scan-pool-"));
  // Over the thread's 1 MB floor.
  bytes = new Uint8Array(
    await sharp(join(PHOTO_DIR, "coffee.png")).resize(3600, 2400, { fit: "fill" }).jpeg({ quality: 95 }).toBuffer(),
  );
  expect(bytes.length).toBeGreaterThan(1 << 20);
  writeFileSync(join(dir, "a.jpg"), bytes);
  writeFileSync(join(dir, "small.jpg"), bytes.subarray(0, 1000));
});

afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("JpegScanPool", () => {
  it("sends scans asked at once to different threads, each cutting what the walk here cuts", async () => {
    const [a, b] = [fileSource(join(dir, "a.jpg")), fileSource(join(dir, "a.jpg"))];
    const scans = [pool.scan(a, bytes.length), pool.scan(b, bytes.length)];
    expect(pool.inFlight).toEqual([1, 1]);
    const here = jpegCutter(bytes);
    if ("unsupported" in here) throw new Error(here.unsupported);
    for (const scan of scans) {
      expect(scan).toBeDefined();
      const got = await (scan as NonNullable<typeof scan>);
      if ("unsupported" in got.scanned) throw new Error(got.scanned.unsupported);
      const cutter = cutterOf(got.bytes, got.scanned);
      if ("unsupported" in cutter) throw new Error(cutter.unsupported);
      expect(Buffer.compare(cutter.cut(700, 1300).bytes, here.cut(700, 1300).bytes)).toBe(0);
    }
    expect(pool.inFlight).toEqual([0, 0]);
  });

  it("keeps a source asked for again with the thread that scans it: one scan", async () => {
    const a = fileSource(join(dir, "a.jpg"));
    const first = pool.scan(a, bytes.length);
    const again = pool.scan(a, bytes.length);
    expect(again).toBe(first);
    expect(pool.inFlight).toEqual([1, 0]);
    await first;
  });

  it("leaves a file too small for a thread to the caller", () => {
    expect(pool.scan(fileSource(join(dir, "small.jpg")), 1000)).toBeUndefined();
    expect(pool.inFlight).toEqual([0, 0]);
  });

  it("takes a quarter of the cores, one to four threads", () => {
    expect([1, 2, 4, 8, 16, 64].map((cores) => defaultScanThreads(cores))).toEqual([1, 1, 1, 2, 4, 4]);
    expect(() => new JpegScanPool(0)).toThrow(RangeError);
  });
});
