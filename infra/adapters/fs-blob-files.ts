import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { type FileHandle, lstat, readdir, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { type BlobInfo, blobErrors, isBlobNameSegment } from "../../engine/ports/blob-store.js";

/**
 * Marks temp files. '~' is outside the blob name alphabet, so a temp file (even one left by
 * a crash) can never be taken for a blob, and a blob name can never hit a temp file.
 */
export const TEMP_MARK = "~";

/** Read size for getStream; large enough for few syscalls, small enough to stream. */
export const STREAM_CHUNK_BYTES = 64 * 1024;

/** A temp file beside `target`; its name does not grow with the blob's, so any valid name fits. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `${TEMP_MARK}tmp-${randomBytes(8).toString("hex")}`);
}

/** A Node system error's code (ENOENT, …); undefined for anything else, such as a caller's own error. */
export function systemErrorCode(error: unknown): string | undefined {
  if (error instanceof Error && "syscall" in error && "code" in error && typeof error.code === "string") return error.code;
  return undefined;
}

/** Missing, or something on the path is not a directory, or the name is a directory: no blob. */
export const NOT_A_BLOB = new Set(["ENOENT", "ENOTDIR", "EISDIR"]);

/** Writes all of `bytes`: a single write may be partial. */
export async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await file.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

export async function* readChunks(file: FileHandle, onError: (error: unknown) => Error): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      const buffer = new Uint8Array(STREAM_CHUNK_BYTES);
      let bytesRead: number;
      try {
        ({ bytesRead } = await file.read(buffer, 0, buffer.byteLength, null));
      } catch (error) {
        throw onError(error);
      }
      if (bytesRead === 0) return;
      yield bytesRead === buffer.byteLength ? buffer : buffer.slice(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/** The first folder of `name` that exists as something other than a directory, for a conflict message. */
export async function blockingFolder(root: string, name: string): Promise<string | undefined> {
  const parts = name.split("/");
  for (let i = 1; i < parts.length; i++) {
    const folder = parts.slice(0, i).join("/");
    const info = await lstat(path.join(root, ...parts.slice(0, i))).catch(() => undefined);
    if (info !== undefined && !info.isDirectory()) return folder;
  }
  return undefined;
}

/**
 * Removes the folders left empty by deletes, deepest first, never `root` itself. Best effort:
 * a folder that is not empty (or already gone) simply stays as it is.
 */
export async function pruneFolders(root: string, names: readonly string[]): Promise<void> {
  const folders = new Set<string>();
  for (const name of names) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join("/"));
  }
  const deepestFirst = [...folders].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const folder of deepestFirst) {
    await rmdir(path.join(root, ...folder.split("/"))).catch(() => undefined);
  }
}

/** Adds to `found` every blob under `folder` (name segments below `root`) whose name starts with `prefix`. */
export async function walkBlobs(root: string, folder: readonly string[], prefix: string, found: BlobInfo[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(path.join(root, ...folder), { withFileTypes: true });
  } catch (error) {
    if (NOT_A_BLOB.has(systemErrorCode(error) ?? "")) return;
    throw blobErrors.unavailable("list blobs under", prefix, error);
  }
  const files: Promise<void>[] = [];
  for (const entry of entries) {
    // Temp files ('~') and anything else outside the name alphabet are not blobs.
    if (!isBlobNameSegment(entry.name)) continue;
    const name = [...folder, entry.name].join("/");
    if (entry.isDirectory() && `${name}/`.startsWith(prefix.slice(0, name.length + 1))) {
      await walkBlobs(root, [...folder, entry.name], prefix, found);
    } else if (entry.isFile() && name.startsWith(prefix)) {
      files.push(
        stat(path.join(root, ...folder, entry.name)).then(
          (info) => void found.push({ name, size: info.size }),
          // Deleted since readdir: no longer a blob.
          (error: unknown) => {
            if (systemErrorCode(error) !== "ENOENT") throw blobErrors.unavailable("list blobs under", prefix, error);
          },
        ),
      );
    }
  }
  await Promise.all(files);
}
