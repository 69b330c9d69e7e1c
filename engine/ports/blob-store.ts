/**
 * The BlobStore port: named immutable-ish byte blobs (sources, tiles, results, manifests).
 * The filesystem and in-memory adapters and the Azure Blob adapter pass one contract suite
 * (test/contract/blob-store.contract.ts).
 *
 * Names are relative, '/'-separated paths of [A-Za-z0-9._-] segments: no empty segment, no
 * '.' or '..', no leading '/', at most 255 characters a segment (a file name's limit on
 * common filesystems) and 1024 in all. Adapters reject anything else with
 * BLOB_INVALID_NAME before touching storage. A put replaces the whole blob atomically: a
 * reader sees the old bytes or the new bytes, never a mix, and a failed put leaves nothing.
 *
 * Portable names never use one name both as a blob and as a folder of other blobs ('a' and
 * 'a/b'): a filesystem maps folders to directories, so the filesystem and in-memory stores
 * refuse such a put with BLOB_CONFLICT. Azure's flat namespace would accept it; Tessera's
 * naming scheme never needs it.
 */

export type BlobErrorCode =
  /** The name breaks the naming rule. Fix the name. */
  | "BLOB_INVALID_NAME"
  /** No blob by that name. */
  | "BLOB_NOT_FOUND"
  /** The name is a folder of existing blobs, or one of its folders is a blob. Choose another name. */
  | "BLOB_CONFLICT"
  /** Storage failed or is unreachable; retry with backoff. */
  | "BLOB_UNAVAILABLE";

export class BlobError extends Error {
  readonly code: BlobErrorCode;
  constructor(code: BlobErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BlobError";
    this.code = code;
  }
}

export interface BlobInfo {
  readonly name: string;
  readonly size: number;
}

/** A blob's first bytes, known only once the rest has been streamed in. */
export interface PutStreamOptions {
  readonly head?: {
    readonly bytes: number;
    /** Exactly `bytes` bytes; called after the data has ended. */
    value(): Uint8Array;
  };
}

/** head.value(), checked against the length promised up front. */
export function headValue(name: string, options: PutStreamOptions | undefined): Uint8Array | undefined {
  const head = options?.head;
  if (!head) return undefined;
  const value = head.value();
  if (!(value instanceof Uint8Array) || value.byteLength !== head.bytes)
    throw new RangeError(`putStream(${JSON.stringify(name)}): head.value() must be ${head.bytes} bytes`);
  return value;
}

/**
 * Every method rejects (never throws synchronously). `get` returns bytes the caller owns:
 * changing them does not change the stored blob.
 */
export interface BlobStore {
  /**
   * Stores `data`. The store may keep the array itself rather than a copy (the in-memory
   * store does, to spare a copy of every tile), so do not modify it after the call.
   */
  put(name: string, data: Uint8Array): Promise<void>;
  /**
   * True when put may keep the array it is given (as the in-memory store does): a caller that
   * reuses its buffer hands over a copy, or lets the buffer go. Absent: put never keeps it.
   */
  readonly keepsArrays?: boolean;
  /**
   * Streams a blob in; the blob appears only once the stream has ended without error. If the
   * source throws, the put rejects with the source's error and leaves any previous blob as it was.
   * With `head`, the blob is head.value() followed by `data`, and value() is called once `data`
   * has ended: for files whose first bytes point at what follows the data (a TIFF's header
   * holds the offset of the IFDs written after every tile).
   */
  putStream(name: string, data: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<BlobInfo>;
  get(name: string): Promise<Uint8Array>;
  /**
   * Bytes [offset, offset + length) of a blob, a range that must lie inside it (a band's
   * neighbours are read this way: only the rows of them a window needs). BLOB_NOT_FOUND when
   * the blob is missing.
   */
  getRange(name: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * Reads the blob's first bytes into `into` (as many as it holds) and resolves with the blob's
   * size, without a buffer of its own: a worker reads a band's window straight into the shared
   * buffer its threads read from. Optional: without it, get() and a copy.
   */
  getInto?(name: string, into: Uint8Array): Promise<number>;
  /** Rejects with BLOB_NOT_FOUND before the first chunk when the blob is missing. */
  getStream(name: string): Promise<AsyncIterable<Uint8Array>>;
  exists(name: string): Promise<boolean>;
  /**
   * Blobs whose names start with `prefix` (a plain string prefix, so 'a/b' matches 'a/bc'),
   * sorted by name in code-unit order. '' lists everything.
   */
  list(prefix: string): Promise<BlobInfo[]>;
  /** Deletes a blob; deleting a missing blob is not an error. */
  delete(name: string): Promise<void>;
  /** Deletes every blob under `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
}

const quote = (name: string) => JSON.stringify(name);

/** The BlobErrors every adapter raises, in one table so the sentences agree across adapters. */
export const blobErrors = {
  notFound: (name: string) =>
    new BlobError("BLOB_NOT_FOUND", `blob ${quote(name)} does not exist; check the name, or put it first`),
  /** `blocking` is the blob that is a folder of `name`; without it, `name` is itself a folder of blobs. */
  conflict: (name: string, blocking?: string) =>
    new BlobError(
      "BLOB_CONFLICT",
      blocking === undefined
        ? `blob name ${quote(name)} is a folder of other blobs: a name cannot be both a blob and a folder; choose another name`
        : `blob name ${quote(name)} lies under the blob ${quote(blocking)}: a name cannot be both a blob and a folder; choose another name`,
    ),
  unavailable: (action: string, name: string, cause: unknown) =>
    new BlobError(
      "BLOB_UNAVAILABLE",
      `could not ${action} ${quote(name)}: ${cause instanceof Error ? cause.message : String(cause)}; retry with backoff, and check the storage if it persists`,
      { cause },
    ),
};

/** The longest blob name (Azure's limit). */
export const MAX_BLOB_NAME_LENGTH = 1024;

/** The longest segment: NAME_MAX of ext4, APFS and NTFS, so every name is a valid path. */
export const MAX_BLOB_SEGMENT_LENGTH = 255;

// Commas for IIIF tile names (`0,0,256,256/256,256/0/default.png`): valid in Azure blob names
// and in every file system's names, and they cannot climb out of a folder.
const SEGMENT = /^[A-Za-z0-9.,_-]+$/;

/** True when `segment` may be one '/'-separated part of a blob name. */
export function isBlobNameSegment(segment: string): boolean {
  return segment.length <= MAX_BLOB_SEGMENT_LENGTH && SEGMENT.test(segment) && segment !== "." && segment !== "..";
}

const RULE = "use relative '/'-separated segments of letters, digits, '.', ',', '_' or '-' (no '..', no leading '/')";

/** Throws BLOB_INVALID_NAME unless `name` follows the naming rule; shared by every adapter. */
export function checkBlobName(name: string): void {
  const ok =
    typeof name === "string" &&
    name.length > 0 &&
    name.length <= MAX_BLOB_NAME_LENGTH &&
    name.split("/").every(isBlobNameSegment);
  if (!ok) {
    throw new BlobError(
      "BLOB_INVALID_NAME",
      `blob name ${describe(name)} is invalid: ${RULE}, at most 255 characters a segment and 1024 in all`,
    );
  }
}

/**
 * Throws BLOB_INVALID_NAME unless `prefix` is '' or could begin a valid name: valid
 * segments, the last one possibly partial or empty (after a trailing '/').
 */
export function checkBlobPrefix(prefix: string): void {
  if (prefix === "") return;
  const segments = typeof prefix === "string" ? prefix.split("/") : [];
  const last = segments.pop();
  const ok =
    typeof prefix === "string" &&
    prefix.length <= MAX_BLOB_NAME_LENGTH &&
    segments.every(isBlobNameSegment) &&
    last !== undefined &&
    (last === "" || isBlobNameSegment(last));
  if (!ok) {
    throw new BlobError("BLOB_INVALID_NAME", `blob prefix ${describe(prefix)} is invalid: ${RULE}`);
  }
}

/** A name for an error message: long names are cut so the message stays readable. */
function describe(value: unknown): string {
  if (typeof value !== "string") return `of type ${typeof value}`;
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return `${JSON.stringify(shown)} (${value.length} characters)`;
}
