import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BlobErrorCode, BlobStore } from "../../engine/ports/blob-store.js";

/** What the BlobStore contract needs from an adapter under test. */
export interface BlobStoreHarness {
  /** An empty store. */
  store: BlobStore;
  /** Cleans up; may also assert adapter invariants (no temp files left, …). */
  close(): Promise<void>;
}

const INVALID_NAMES = [
  "../x",
  "/abs",
  "a//b",
  "a/./b",
  "a/../b",
  "",
  "a/",
  "a b",
  "a\\b",
  "x".repeat(2000),
  `a/${"s".repeat(256)}`,
];
const INVALID_PREFIXES = ["../", "/abs", "a//", "a/../"];

const bytes = (...values: number[]) => new Uint8Array(values);

async function* chunksOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) {
    expect(part).toBeInstanceOf(Uint8Array);
    parts.push(part);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * Plain arrays make failure diffs readable and ignore Buffer-vs-Uint8Array differences; big
 * blobs compare by first difference, since diffing a million-element array takes seconds.
 */
function same(actual: Uint8Array, expected: Uint8Array): void {
  if (expected.byteLength <= 4096) {
    expect([...actual]).toEqual([...expected]);
    return;
  }
  expect(actual.byteLength).toBe(expected.byteLength);
  expect(actual.findIndex((value, i) => value !== expected[i])).toBe(-1);
}

async function expectCode(promise: Promise<unknown>, code: BlobErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: "BlobError", code });
}

/**
 * The BlobStore contract (engine/ports/blob-store.ts): every adapter runs it, and one that
 * passes is interchangeable.
 */
export function runBlobStoreContract(name: string, setup: () => Promise<BlobStoreHarness>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let harness: BlobStoreHarness | undefined;
    const store = (): BlobStore => {
      if (harness === undefined) throw new Error("the store is only available inside a test");
      return harness.store;
    };
    beforeEach(async () => {
      harness = await setup();
    });
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it("puts and gets bytes, empty blobs included, and hands out copies the caller owns", async () => {
      const all = new Uint8Array(256).map((_, i) => i);
      await store().put("jobs/1/source.rgba", all);
      const got = await store().get("jobs/1/source.rgba");
      same(
        got,
        new Uint8Array(256).map((_, i) => i),
      );
      got[1] = 99;
      expect((await store().get("jobs/1/source.rgba"))[1]).toBe(1);
      await store().put("empty", new Uint8Array(0));
      expect((await store().get("empty")).byteLength).toBe(0);
      await expect(store().exists("empty")).resolves.toBe(true);
    });

    it("replaces a blob on overwrite, longer or shorter", async () => {
      await store().put("t", bytes(1, 2, 3));
      await store().put("t", bytes(4, 5, 6, 7, 8));
      same(await store().get("t"), bytes(4, 5, 6, 7, 8));
      await store().put("t", bytes(9));
      same(await store().get("t"), bytes(9));
      await expect(store().list("")).resolves.toEqual([{ name: "t", size: 1 }]);
    });

    it("ends concurrent puts to one name with one of them, whole", async () => {
      const a = new Uint8Array(300_000).fill(1);
      const b = new Uint8Array(200_000).fill(2);
      await Promise.all([store().put("race", a), store().put("race", b)]);
      const got = await store().get("race");
      expect(got.byteLength === a.byteLength ? got.every((v) => v === 1) : got.every((v) => v === 2)).toBe(true);
    });

    it("reads a range of a blob: the bytes asked for, owned by the caller", async () => {
      const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff);
      await store().put("r/band", data.slice());
      same(await store().getRange("r/band", 0, 5), data.subarray(0, 5));
      same(await store().getRange("r/band", 123_457, 70_001), data.subarray(123_457, 193_458));
      same(await store().getRange("r/band", 299_990, 10), data.subarray(299_990));
      const got = await store().getRange("r/band", 10, 4);
      got[0] = 255 - (got[0] ?? 0);
      same(await store().getRange("r/band", 10, 4), data.subarray(10, 14));
    });

    it("reads a blob into an array it is given, when it can: as many bytes as fit, answering the blob's size", async () => {
      const s = store();
      if (!s.getInto) return; // optional: callers fall back to get (engine/band-store.ts)
      const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff);
      await s.put("into/band", data.slice());
      const whole = new Uint8Array(new SharedArrayBuffer(300_000));
      await expect(s.getInto("into/band", whole)).resolves.toBe(300_000);
      same(whole, data);
      const part = new Uint8Array(1000);
      await expect(s.getInto("into/band", part)).resolves.toBe(300_000);
      same(part, data.subarray(0, 1000));
      await expectCode(s.getInto("nope/missing", part), "BLOB_NOT_FOUND");
    });

    it("reports a missing blob: get, getRange and getStream reject with BLOB_NOT_FOUND, exists is false", async () => {
      await expectCode(store().get("nope/missing"), "BLOB_NOT_FOUND");
      await expectCode(store().getRange("nope/missing", 0, 1), "BLOB_NOT_FOUND");
      await expectCode(store().getStream("nope/missing"), "BLOB_NOT_FOUND");
      await expect(store().exists("nope/missing")).resolves.toBe(false);
    });

    it("lists by plain string prefix, sorted by name, with sizes", async () => {
      const names = ["jobs/b/2", "jobs/a/10", "jobs/a.txt", "jobs/a/1", "jobs/ab", "other"];
      for (const [i, n] of names.entries()) await store().put(n, new Uint8Array(i + 1));
      await expect(store().list("jobs/a")).resolves.toEqual([
        { name: "jobs/a.txt", size: 3 },
        { name: "jobs/a/1", size: 4 },
        { name: "jobs/a/10", size: 2 },
        { name: "jobs/ab", size: 5 },
      ]);
      await expect(store().list("jobs/a/")).resolves.toEqual([
        { name: "jobs/a/1", size: 4 },
        { name: "jobs/a/10", size: 2 },
      ]);
      expect((await store().list("")).map((b) => b.name)).toEqual([...names].sort());
      await expect(store().list("nothing/")).resolves.toEqual([]);
    });

    it("deletes one blob (a missing one is fine) or every blob under a prefix", async () => {
      for (const n of ["j/a/1", "j/a/2", "j/b/1", "k"]) await store().put(n, bytes(1));
      await store().delete("k");
      await store().delete("k");
      await expect(store().exists("k")).resolves.toBe(false);
      await expect(store().deletePrefix("j/a/")).resolves.toBe(2);
      await expect(store().deletePrefix("j/a/")).resolves.toBe(0);
      await expect(store().list("")).resolves.toEqual([{ name: "j/b/1", size: 1 }]);
      // The names are free again, as blobs or as folders.
      await store().put("j/a", bytes(2));
      same(await store().get("j/a"), bytes(2));
    });

    it("streams in and out", async () => {
      const big = new Uint8Array(1_000_001).map((_, i) => i % 251);
      const info = await store().putStream(
        "s/big",
        chunksOf(big.subarray(0, 1), big.subarray(1, 500_000), bytes(), big.subarray(500_000)),
      );
      expect(info).toEqual({ name: "s/big", size: big.byteLength });
      same(await store().get("s/big"), big);
      same(await collect(await store().getStream("s/big")), big);
      await store().put("s/empty", bytes());
      expect((await collect(await store().getStream("s/empty"))).byteLength).toBe(0);
    });

    it("streams in with a head written last: the head's value is asked for once the data has ended", async () => {
      const data = new Uint8Array(5_000_003).map((_, i) => (i * 7) % 253);
      let ended = false;
      async function* source(): AsyncGenerator<Uint8Array> {
        yield data.subarray(0, 3);
        yield data.subarray(3, 4_500_000);
        yield data.subarray(4_500_000);
        ended = true;
      }
      const head = {
        bytes: 16,
        value: () => {
          expect(ended).toBe(true);
          return bytes(...Array.from({ length: 16 }, (_, i) => 200 + i));
        },
      };
      const info = await store().putStream("h/tiff", source(), { head });
      expect(info).toEqual({ name: "h/tiff", size: 16 + data.byteLength });
      const got = await store().get("h/tiff");
      same(got.subarray(0, 16), head.value());
      same(got.subarray(16), data);
      // A head of the wrong length is refused, and nothing is stored.
      await expect(
        store().putStream("h/bad", chunksOf(bytes(1, 2)), { head: { bytes: 4, value: () => bytes(1) } }),
      ).rejects.toThrow("head.value() must be 4 bytes");
      await expect(store().exists("h/bad")).resolves.toBe(false);
    });

    it("leaves nothing when a putStream source throws, and keeps the blob it would have replaced", async () => {
      const boom = new Error("source failed");
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield bytes(1, 2, 3);
        throw boom;
      }
      await expect(store().putStream("f/new", failing())).rejects.toBe(boom);
      await expect(store().exists("f/new")).resolves.toBe(false);
      await expect(store().list("")).resolves.toEqual([]);
      await store().put("f/old", bytes(7));
      await expect(store().putStream("f/old", failing())).rejects.toBe(boom);
      same(await store().get("f/old"), bytes(7));
    });

    it("rejects invalid names with BLOB_INVALID_NAME before touching storage", async () => {
      let consumed = false;
      async function* source(): AsyncGenerator<Uint8Array> {
        consumed = true;
        yield bytes(1);
      }
      for (const bad of INVALID_NAMES) {
        await expectCode(store().put(bad, bytes(1)), "BLOB_INVALID_NAME");
        await expectCode(store().putStream(bad, source()), "BLOB_INVALID_NAME");
        await expectCode(store().get(bad), "BLOB_INVALID_NAME");
        await expectCode(store().getRange(bad, 0, 1), "BLOB_INVALID_NAME");
        await expectCode(store().getStream(bad), "BLOB_INVALID_NAME");
        await expectCode(store().exists(bad), "BLOB_INVALID_NAME");
        await expectCode(store().delete(bad), "BLOB_INVALID_NAME");
      }
      for (const bad of INVALID_PREFIXES) {
        await expectCode(store().list(bad), "BLOB_INVALID_NAME");
        await expectCode(store().deletePrefix(bad), "BLOB_INVALID_NAME");
      }
      expect(consumed).toBe(false);
      await expect(store().list("")).resolves.toEqual([]);
    });

    it("accepts commas, as IIIF tile names have them", async () => {
      await store().put("iiif/0,0,256,256/256,256/0/default.png", bytes(3));
      same(await store().get("iiif/0,0,256,256/256,256/0/default.png"), bytes(3));
      expect((await store().list("iiif/")).map((b) => b.name)).toEqual(["iiif/0,0,256,256/256,256/0/default.png"]);
    });

    it("accepts the longest valid names (255-character segments, 1024 characters in all)", async () => {
      const segment = "s".repeat(255);
      await store().put(`w/${segment}`, bytes(4));
      same(await store().get(`w/${segment}`), bytes(4));
      const long = `${"d".repeat(255)}/${"e".repeat(255)}/${"f".repeat(255)}/${"g".repeat(254)}/h`;
      expect(long).toHaveLength(1024);
      await store().put(long, bytes(5));
      same(await store().get(long), bytes(5));
      await expectCode(store().put(`${long}x`, bytes(5)), "BLOB_INVALID_NAME");
    });
  });
}
