// A JPEG's scan walked on another thread, its own (scan-thread.ts) or a kernel pool's
// (pool-scans.ts), cuts the same pieces as one walked here, arrives once per source however
// often it is asked for, and every way it can fail falls back to the walk here: the codec gives
// the same cutter either way.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SourceFile } from "../../engine/ports/codec.js";
import { cutterOf, jpegCutter } from "../../infra/adapters/jpeg/cut.js";
import { PoolJpegScans } from "../../infra/adapters/jpeg/pool-scans.js";
import type { FileScan } from "../../infra/adapters/jpeg/scan-file.js";
import { type JpegScans, JpegScanThread } from "../../infra/adapters/jpeg/scan-thread.js";
import { cutterForSource } from "../../infra/adapters/jpeg/source-cutter.js";
import { KernelPool } from "../../workers/pool.js";
import { PHOTO_DIR } from "../helpers/images.js";
import { fileSource } from "../helpers/source-file.js";

let dir: string;
let big: SourceFile; // over the thread's 1 MB floor
let bigBytes: Uint8Array;
let cutShort: SourceFile; // the same file, its last quarter missing
let lateFiles = 0;
const pool = KernelPool.create({ threads: 1 });
const kinds: [string, JpegScans][] = [
  ["its own thread (JpegScanThread)", new JpegScanThread()],
  ["a kernel pool's thread (PoolJpegScans)", new PoolJpegScans(pool)],
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tessera-scan-thread-"));
  const jpeg = await sharp(join(PHOTO_DIR, "hubble_deep_field.jpg"))
    .resize(3000, 2000, { fit: "fill" })
    .jpeg({ quality: 95 })
    .toBuffer();
  expect(jpeg.length).toBeGreaterThan(1 << 20);
  bigBytes = new Uint8Array(jpeg);
  writeFileSync(join(dir, "big.jpg"), jpeg);
  writeFileSync(join(dir, "short.jpg"), jpeg.subarray(0, Math.floor(jpeg.length * 0.75)));
  big = fileSource(join(dir, "big.jpg"));
  cutShort = fileSource(join(dir, "short.jpg"));
});

afterAll(async () => {
  await Promise.all(kinds.map(([, scans]) => scans.close()));
  await (await pool).close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(kinds)("a JPEG scan on %s", (_, scans) => {
  it("scans on its thread what the walk here finds, and cuts the same pieces from it", async () => {
    const scan = scans.scan(big, bigBytes.length);
    expect(scan).toBeDefined();
    const { bytes, scanned } = await (scan as NonNullable<typeof scan>);
    expect(Buffer.compare(bytes, bigBytes)).toBe(0);
    if ("unsupported" in scanned) throw new Error(scanned.unsupported);
    const threaded = cutterOf(bytes, scanned);
    const here = jpegCutter(bigBytes);
    if ("unsupported" in threaded || "unsupported" in here) throw new Error("not cut");
    for (const [y0, y1] of [
      [0, 512],
      [500, 1100],
      [1536, 2000],
    ] as const) {
      expect(Buffer.compare(threaded.cut(y0, y1).bytes, here.cut(y0, y1).bytes)).toBe(0);
    }
  });

  it("scans a source once, however often it is asked for", () => {
    const source = fileSource(big.path);
    const first = scans.scan(source, bigBytes.length);
    expect(scans.scan(source, bigBytes.length)).toBe(first);
    expect(scans.scan(fileSource(big.path), bigBytes.length)).not.toBe(first);
  });

  it("leaves a file under 1 MB to the caller", () => {
    expect(scans.scan(fileSource(big.path), 500_000)).toBeUndefined();
  });

  it("finds a truncated file truncated, as the walk here does", async () => {
    const { scanned } = await (scans.scan(cutShort, 2 << 20) as Promise<FileScan>);
    expect(scanned).toEqual({ unsupported: expect.stringMatching(/^truncated JPEG/) });
    expect(scanned).toEqual(jpegCutter(new Uint8Array(readFileSync(cutShort.path))));
  });

  it("rejects a file it cannot read, and the codec's cutter walks the file here instead", async () => {
    const missing = fileSource(join(dir, "missing.jpg"));
    await expect(scans.scan(missing, 2 << 20)).rejects.toThrow(/ENOENT/);
    // A scan that failed on the thread (here: the file came later) is made where it is asked for.
    const late = fileSource(join(dir, `late-${++lateFiles}.jpg`)); // one for each kind of scan
    await expect(scans.scan(late, 2 << 20)).rejects.toThrow(/ENOENT/);
    writeFileSync(late.path, bigBytes);
    const cutter = await cutterForSource(late, scans);
    if ("unsupported" in cutter) throw new Error(cutter.unsupported);
    expect(Buffer.compare(cutter.encoded, bigBytes)).toBe(0);
  });

  it("refuses to pair a scan with another image's bytes", async () => {
    const other = await sharp(join(PHOTO_DIR, "hubble_deep_field.jpg")).resize(300, 200).jpeg().toBuffer();
    const scanned = await (scans.scan(fileSource(big.path), bigBytes.length) as Promise<FileScan>);
    if ("unsupported" in scanned.scanned) throw new Error("not scanned");
    expect(cutterOf(new Uint8Array(other), scanned.scanned)).toEqual({ unsupported: "the scan given is of another image" });
  });
});

describe("JpegScanThread", () => {
  it("lets a thread that is closing fail only its own scans, not a new thread's", async () => {
    const own = new JpegScanThread();
    await own.scan(fileSource(big.path), bigBytes.length); // its thread is up
    const closing = own.close(); // not awaited: the thread exits while the next scan starts
    const next = own.scan(fileSource(big.path), bigBytes.length);
    await closing;
    await expect(next).resolves.toMatchObject({ scanned: { index: expect.anything() } });
    await own.close();
  });
});

describe("PoolJpegScans", () => {
  it("answers in shared memory: the file and its scan data come back without a copy", async () => {
    const scans = new PoolJpegScans(pool);
    const { bytes, scanned } = await (scans.scan(fileSource(big.path), bigBytes.length) as Promise<FileScan>);
    if ("unsupported" in scanned) throw new Error(scanned.unsupported);
    expect(bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(scanned.data.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it("rejects when its pool could not be made, and the codec's cutter walks the file here instead", async () => {
    const failed = Promise.reject(new Error("no threads"));
    const scans = new PoolJpegScans(failed);
    await expect(scans.scan(fileSource(big.path), bigBytes.length)).rejects.toThrow("no threads");
    const cutter = await cutterForSource(fileSource(big.path), scans);
    if ("unsupported" in cutter) throw new Error(cutter.unsupported);
    expect(Buffer.compare(cutter.encoded, bigBytes)).toBe(0);
  });
});
