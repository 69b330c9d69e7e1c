/**
 * An encoded source as the sharp adapters read it: its bytes in memory, or a file read where
 * it lies (SourceFile: an upload spooled to disk, `tessera process`'s input).
 */

import { open, readFile, stat } from "node:fs/promises";
import { CodecError, type EncodedSource, isSourceFile, type SourceFile } from "../../engine/ports/codec.js";

/** What sharp reads a source from: its bytes, or its file's path. */
export const sharpInput = (source: EncodedSource): Uint8Array | string => (isSourceFile(source) ? source.path : source);

/** The source's size in bytes; a file that cannot be read is the source's problem (CORRUPT_IMAGE). */
export async function sourceSize(source: EncodedSource): Promise<number> {
  if (!isSourceFile(source)) return source.length;
  try {
    return (await stat(source.path)).size;
  } catch (cause) {
    throw new CodecError("CORRUPT_IMAGE", `the image file cannot be read: ${(cause as Error).message}`, { cause });
  }
}

/** The source's bytes, a file read whole (for the one reader that needs them all: the JPEG cutter). */
export async function sourceBytes(source: EncodedSource): Promise<Uint8Array> {
  return isSourceFile(source) ? fileBytes(source.path) : source;
}

/** A file's bytes as a plain Uint8Array: readFile's buffer is the file's own (not a pooled slice), viewed, not copied. */
async function fileBytes(path: string): Promise<Uint8Array> {
  const read = await readFile(path);
  return new Uint8Array(read.buffer, read.byteOffset, read.byteLength);
}

/** Reads `length` bytes at `offset` of a source (fewer at its end). */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** A ReadAt over `source`'s bytes, or over its file (a few small positional reads). */
export async function withReadAt<T>(source: EncodedSource, use: (read: ReadAt) => Promise<T>): Promise<T> {
  if (!isSourceFile(source)) return use(async (offset, length) => source.subarray(offset, offset + length));
  const file = await open(source.path, "r");
  try {
    return await use(async (offset, length) => {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    });
  } finally {
    await file.close();
  }
}

/**
 * `read`, once per SourceFile: a job reads its file's header three times (the gateway's or the
 * CLI's probe, then the cutter, then the region reader), and a file read where it lies does
 * not change under its job. Bytes are read each time (a caller may reuse its buffer).
 */
export function oncePerFile<T>(read: (source: EncodedSource) => Promise<T>): (source: EncodedSource) => Promise<T> {
  const results = new WeakMap<SourceFile, Promise<T>>();
  return (source) => {
    if (!isSourceFile(source)) return read(source);
    const known = results.get(source) ?? read(source);
    results.set(source, known);
    return known;
  };
}
