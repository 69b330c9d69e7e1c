import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BlobStore } from "../../engine/ports/blob-store.js";
import { FsBlobStore } from "../../infra/adapters/fs-blob-store.js";
import { MemoryBlobStore } from "../../infra/memory/memory-blob-store.js";
import { runBlobStoreContract } from "../contract/blob-store.contract.js";

const roots = mkdtemp(path.join(tmpdir(), "tessera-blobs-"));
let nextStore = 0;

/** Every file under `dir`, relative, '/'-separated. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

async function freshFsStore(): Promise<FsBlobStore> {
  return new FsBlobStore(path.join(await roots, `store-${nextStore++}`));
}

/** Temp files carry '~', which no blob name may contain. */
async function expectNoTempFiles(dir: string): Promise<void> {
  const stray = (await filesUnder(dir).catch(() => [])).filter((f) => f.includes("~"));
  expect(stray).toEqual([]);
}

afterAll(async () => {
  const dir = await roots;
  await expectNoTempFiles(dir);
  await rm(dir, { recursive: true, force: true });
});

runBlobStoreContract("MemoryBlobStore", async () => ({ store: new MemoryBlobStore(), close: async () => {} }));

runBlobStoreContract("FsBlobStore", async () => {
  const store = await freshFsStore();
  return { store, close: () => expectNoTempFiles(store.root) };
});

const stores: [string, () => Promise<BlobStore>][] = [
  ["MemoryBlobStore", async () => new MemoryBlobStore()],
  ["FsBlobStore", freshFsStore],
];

describe.each(stores)("%s names that cannot be both a blob and a folder", (_, make) => {
  it("refuses a blob under another blob, and a blob where a folder of blobs is", async () => {
    const store = await make();
    await store.put("a", new Uint8Array([1]));
    await expect(store.put("a/b", new Uint8Array([2]))).rejects.toMatchObject({
      code: "BLOB_CONFLICT",
      message: `blob name "a/b" lies under the blob "a": a name cannot be both a blob and a folder; choose another name`,
    });
    await store.put("c/d/e", new Uint8Array([3]));
    await expect(store.put("c/d", new Uint8Array([4]))).rejects.toMatchObject({
      code: "BLOB_CONFLICT",
      message: `blob name "c/d" is a folder of other blobs: a name cannot be both a blob and a folder; choose another name`,
    });
    async function* one() {
      yield new Uint8Array([5]);
    }
    await expect(store.putStream("c", one())).rejects.toMatchObject({ code: "BLOB_CONFLICT" });
    await expect(store.list("")).resolves.toEqual([
      { name: "a", size: 1 },
      { name: "c/d/e", size: 1 },
    ]);
    await expect(store.get("c/d")).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
    await expect(store.exists("c")).resolves.toBe(false);
    await store.delete("c/d");
    await expect(store.exists("c/d/e")).resolves.toBe(true);
    if (store instanceof FsBlobStore) await expectNoTempFiles(store.root);
  });
});

describe("FsBlobStore on disk", () => {
  it("keeps blob 'a/b/c' as the file <root>/a/b/c and creates the root on first put", async () => {
    const store = await freshFsStore();
    await expect(store.list("")).resolves.toEqual([]);
    await store.put("a/b/c.bin", new Uint8Array([1, 2, 3]));
    expect([...(await readFile(path.join(store.root, "a", "b", "c.bin")))]).toEqual([1, 2, 3]);
  });

  it("removes the folders a delete leaves empty, never the root", async () => {
    const store = await freshFsStore();
    await store.put("p/q/r", new Uint8Array([1]));
    await store.put("p/s", new Uint8Array([1]));
    await store.delete("p/q/r");
    expect(await readdir(path.join(store.root, "p"))).toEqual(["s"]);
    await expect(store.deletePrefix("p/")).resolves.toBe(1);
    expect(await readdir(store.root)).toEqual([]);
  });

  it("ignores a temp file left by a crash, and replaces an empty folder left behind", async () => {
    const store = await freshFsStore();
    await mkdir(path.join(store.root, "e"), { recursive: true });
    await writeFile(path.join(store.root, "x~tmp-crashed"), "partial");
    await expect(store.list("")).resolves.toEqual([]);
    await store.put("e", new Uint8Array([9]));
    expect([...(await store.get("e"))]).toEqual([9]);
    await rm(path.join(store.root, "x~tmp-crashed"));
  });

  it("removes its temp file when a stream fails halfway", async () => {
    const store = await freshFsStore();
    async function* failing() {
      yield new Uint8Array(100_000);
      throw new Error("upload aborted");
    }
    await expect(store.putStream("deep/blob", failing())).rejects.toThrow("upload aborted");
    expect(await filesUnder(store.root)).toEqual([]);
  });

  it("needs a root path", () => {
    expect(() => new FsBlobStore("")).toThrow(new TypeError("root must be a non-empty directory path"));
  });
});
