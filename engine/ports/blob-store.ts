/**
 * The BlobStore port: named immutable-ish byte blobs (sources, tiles, results, manifests).
 * The filesystem and in-memory adapters and the Azure Blob adapter pass one contract suite
 * (test/contract/blob-store.contract.ts).
 *
 * Names are relative, '/'-separated paths of [A-Za-z0-9._-] segments: no empty segment, no
 * '.' or '..', no leading '/', at most 1024 characters. Adapters reject anything else with
 * BLOB_INVALID_NAME before touching storage. A put replaces the whole blob atomically: a
 * reader sees the old bytes or the new bytes, never a mix, and a failed put leaves nothing.
 */

export type BlobErrorCode =
  /** The name breaks the naming rule. Fix the name. */
  | "BLOB_INVALID_NAME"
  /** No blob by that name. */
  | "BLOB_NOT_FOUND"
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

export interface BlobStore {
  put(name: string, data: Uint8Array): Promise<void>;
  /** Streams a blob in; the blob appears only once the stream has ended without error. */
  putStream(name: string, data: AsyncIterable<Uint8Array>): Promise<BlobInfo>;
  get(name: string): Promise<Uint8Array>;
  getStream(name: string): Promise<AsyncIterable<Uint8Array>>;
  exists(name: string): Promise<boolean>;
  /** Blobs whose names start with `prefix`, sorted by name. */
  list(prefix: string): Promise<BlobInfo[]>;
  /** Deletes a blob; deleting a missing blob is not an error. */
  delete(name: string): Promise<void>;
  /** Deletes every blob under `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Throws BLOB_INVALID_NAME unless `name` follows the naming rule; shared by every adapter. */
export function checkBlobName(name: string): void {
  const ok =
    typeof name === "string" &&
    name.length > 0 &&
    name.length <= 1024 &&
    name.split("/").every((s) => SEGMENT.test(s) && s !== "." && s !== "..");
  if (!ok) {
    throw new BlobError(
      "BLOB_INVALID_NAME",
      `blob name ${JSON.stringify(name)} is invalid: use relative '/'-separated segments of letters, digits, '.', '_' or '-' (no '..', no leading '/')`,
    );
  }
}
