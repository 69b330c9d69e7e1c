import type { Dirent } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import {
  type BlobInfo,
  type BlobStore,
  blobErrors,
  checkBlobName,
  checkBlobPrefix,
  headValue,
  isBlobNameSegment,
  type PutStreamOptions,
} from "../../engine/ports/blob-store.js";
import {
  blockingFolder,
  NOT_A_BLOB,
  pruneFolders,
  readChunks,
  systemErrorCode,
  TEMP_MARK,
  tempPathFor,
  walkBlobs,
  writeAll,
} from "./fs-blob-files.js";

/** Attempts at creating a temp file when a concurrent delete prunes its folder in between. */
const CREATE_ATTEMPTS = 3;

/**
 * The filesystem BlobStore: blob 'a/b/c.png' is the file `<root>/a/b/c.png`. Names are
 * checked with checkBlobName before any fs call, and a valid name has no '..', no empty and
 * no absolute segment, so every path stays under the root.
 *
 * A put writes a temp file in the blob's own directory (a rename is atomic only within one
 * filesystem), syncs it and renames it over the blob; on any error it removes the temp file.
 * `durable: false` skips the sync, for scratch space its process removes (a spool).
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  private readonly durable: boolean;

  constructor(root: string, options: { readonly durable?: boolean } = {}) {
    if (typeof root !== "string" || root.length === 0) throw new TypeError("root must be a non-empty directory path");
    this.root = path.resolve(root);
    this.durable = options.durable ?? true;
  }

  async put(name: string, data: Uint8Array): Promise<void> {
    checkBlobName(name);
    if (!(data instanceof Uint8Array)) throw new TypeError(`put(${JSON.stringify(name)}, data) needs a Uint8Array`);
    await this.write(name, (file) => writeAll(file, data));
  }

  async putStream(name: string, data: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<BlobInfo> {
    checkBlobName(name);
    const headBytes = options?.head?.bytes ?? 0;
    let size = headBytes;
    await this.write(name, async (file) => {
      // The head's place is kept and written last, at offset 0.
      if (headBytes > 0) await writeAll(file, new Uint8Array(headBytes));
      for await (const chunk of data) {
        if (!(chunk instanceof Uint8Array)) throw new TypeError(`putStream(${JSON.stringify(name)}) chunks must be Uint8Array`);
        await writeAll(file, chunk);
        size += chunk.byteLength;
      }
      const head = headValue(name, options);
      if (head) await file.write(head, 0, head.byteLength, 0);
    });
    return { name, size };
  }

  async get(name: string): Promise<Uint8Array> {
    checkBlobName(name);
    try {
      const bytes = await readFile(this.pathOf(name));
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      throw this.readError(error, name);
    }
  }

  async getInto(name: string, into: Uint8Array): Promise<number> {
    return (await this.readInto(name, into, 0)).size;
  }

  async getRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const { filled } = await this.readInto(name, out, offset);
    return filled === length ? out : out.subarray(0, filled);
  }

  /** Reads the blob from `offset` into `into`, as much as fits: the blob's size and the bytes read. */
  private async readInto(name: string, into: Uint8Array, offset: number): Promise<{ size: number; filled: number }> {
    checkBlobName(name);
    let file: FileHandle | undefined;
    try {
      file = await open(this.pathOf(name), "r");
      const { size } = await file.stat();
      const length = Math.max(0, Math.min(into.length, size - offset));
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await file.read(into, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return { size, filled };
    } catch (error) {
      throw this.readError(error, name);
    } finally {
      await file?.close();
    }
  }

  async getStream(name: string): Promise<AsyncIterable<Uint8Array>> {
    checkBlobName(name);
    let file: FileHandle;
    try {
      file = await open(this.pathOf(name), "r");
    } catch (error) {
      throw this.readError(error, name);
    }
    // Opening a directory for reading succeeds on Linux; it is still not a blob.
    let isFile: boolean;
    try {
      isFile = (await file.stat()).isFile();
    } catch (error) {
      await file.close();
      throw this.readError(error, name);
    }
    if (!isFile) {
      await file.close();
      throw blobErrors.notFound(name);
    }
    return readChunks(file, (error) => blobErrors.unavailable("read blob", name, error));
  }

  async exists(name: string): Promise<boolean> {
    checkBlobName(name);
    try {
      return (await stat(this.pathOf(name))).isFile();
    } catch (error) {
      if (NOT_A_BLOB.has(systemErrorCode(error) ?? "")) return false;
      throw blobErrors.unavailable("check blob", name, error);
    }
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    checkBlobPrefix(prefix);
    // Start in the deepest folder the prefix names in full; its last, partial segment filters.
    const folder = prefix.split("/").slice(0, -1);
    const found: BlobInfo[] = [];
    await walkBlobs(this.root, folder, prefix, found);
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(name: string): Promise<void> {
    checkBlobName(name);
    if (await this.unlinkBlob(name)) await pruneFolders(this.root, [name]);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const deleted: string[] = [];
    for (const { name } of await this.list(prefix)) {
      if (await this.unlinkBlob(name)) deleted.push(name);
    }
    await pruneFolders(this.root, deleted);
    return deleted.length;
  }

  /**
   * Removes the temp files of puts that never finished: a process killed mid-write leaves its
   * `~tmp-…` file behind (no blob is harmed: the rename never happened). Only safe when no put
   * of this store is in flight, so a process calls it once, at start, before it writes; then
   * prunes the folders this leaves empty. Returns how many it removed.
   */
  async removeUnfinishedPuts(): Promise<number> {
    const removed: string[] = [];
    const visit = async (folder: string[]): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(path.join(this.root, ...folder), { withFileTypes: true });
      } catch (error) {
        if (NOT_A_BLOB.has(systemErrorCode(error) ?? "")) return;
        throw blobErrors.unavailable("clean up under", folder.join("/") || ".", error);
      }
      for (const entry of entries) {
        if (entry.isDirectory() && isBlobNameSegment(entry.name)) await visit([...folder, entry.name]);
        else if (entry.isFile() && entry.name.startsWith(TEMP_MARK)) {
          await unlink(path.join(this.root, ...folder, entry.name)).catch(() => undefined);
          removed.push([...folder, entry.name].join("/"));
        }
      }
    };
    await visit([]);
    await pruneFolders(this.root, removed);
    return removed.length;
  }

  private pathOf(name: string): string {
    return path.join(this.root, ...name.split("/"));
  }

  private readError(error: unknown, name: string): Error {
    return NOT_A_BLOB.has(systemErrorCode(error) ?? "")
      ? blobErrors.notFound(name)
      : blobErrors.unavailable("read blob", name, error);
  }

  /** Deletes one blob's file; false when there was none (deleting a missing blob is fine). */
  private async unlinkBlob(name: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(name));
      return true;
    } catch (error) {
      const code = systemErrorCode(error) ?? "";
      if (NOT_A_BLOB.has(code)) return false;
      // macOS reports unlink() of a directory as EPERM: a folder is not a blob either.
      if (code === "EPERM" && (await stat(this.pathOf(name)).catch(() => undefined))?.isDirectory()) return false;
      throw blobErrors.unavailable("delete blob", name, error);
    }
  }

  /** Writes through a temp file renamed over the blob; a caller's own error (a failing source) passes through unchanged. */
  private async write(name: string, fill: (file: FileHandle) => Promise<void>): Promise<void> {
    const target = this.pathOf(name);
    const temp = tempPathFor(target);
    const file = await this.createTemp(name, temp);
    let closed = false;
    try {
      await fill(file);
      // The bytes reach the disk before the name does: after a crash the blob is old or new, never empty.
      if (this.durable) await file.sync();
      await file.close();
      closed = true;
      await this.renameInto(name, temp, target);
    } catch (error) {
      if (!closed) await file.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      if (systemErrorCode(error) === undefined) throw error;
      throw blobErrors.unavailable("write blob", name, error);
    }
  }

  private async createTemp(name: string, temp: string): Promise<FileHandle> {
    const folder = path.dirname(temp);
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(folder, { recursive: true });
        return await open(temp, "wx");
      } catch (error) {
        const code = systemErrorCode(error);
        // A folder of the name is a file: the name lies under another blob.
        if (code === "ENOTDIR" || code === "EEXIST") {
          throw blobErrors.conflict(name, await blockingFolder(this.root, name));
        }
        // A concurrent delete pruned the folder between mkdir and open: make it again.
        if (code === "ENOENT" && attempt < CREATE_ATTEMPTS) continue;
        throw blobErrors.unavailable("write blob", name, error);
      }
    }
  }

  private async renameInto(name: string, temp: string, target: string): Promise<void> {
    try {
      await rename(temp, target);
    } catch (error) {
      const code = systemErrorCode(error);
      if (code !== "EISDIR" && code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      // The name is a directory. An empty one (left by a crash) may go; one with blobs is a conflict.
      if (
        !(await rmdir(target).then(
          () => true,
          () => false,
        ))
      )
        throw blobErrors.conflict(name);
      await rename(temp, target);
    }
  }
}
