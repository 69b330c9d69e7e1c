/**
 * The BlobStore port on Azure Blob Storage (`@azure/storage-blob`): one private container,
 * blob names as given (they are already portable paths). Uploads are block blobs, committed in
 * one step at the end, so a reader sees the old blob or the new one and a failed upload leaves
 * nothing. Creating the store makes no connection; the container is created on first use.
 */

import { Readable } from "node:stream";
import { BlobServiceClient, type ContainerClient, RestError } from "@azure/storage-blob";
import {
  BlobError,
  type BlobInfo,
  type BlobStore,
  blobErrors,
  checkBlobName,
  checkBlobPrefix,
  headValue,
  type PutStreamOptions,
} from "../../engine/ports/blob-store.js";

/** Bytes per block when streaming uploads; four blocks are uploaded at once. */
const STREAM_BLOCK_BYTES = 4 * 1024 * 1024;
/** Blocks staged at once by a put with a head (uploadStream's own default concurrency is 4 too). */
const STAGING_AT_ONCE = 4;

/**
 * Few, short SDK retries: the callers (worker loops, the coordinator) back off on
 * BLOB_UNAVAILABLE themselves, and the SDK's default (4 tries, delays up to 120 s) held a
 * refused call 16–28 s while Azurite was down, long after it was back.
 */
export const BLOB_CLIENT_OPTIONS = { retryOptions: { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 2_000 } };

export class AzureBlobStore implements BlobStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly container: ContainerClient) {}

  /** From a storage connection string (Azurite's or an account's) and a container name. */
  static fromConnectionString(connection: string, container: string): AzureBlobStore {
    return new AzureBlobStore(
      BlobServiceClient.fromConnectionString(connection, BLOB_CLIENT_OPTIONS).getContainerClient(container),
    );
  }

  /**
   * Azure's error in the port's terms. A container that vanished (storage restored from a
   * backup, an emulator that lost its state) is a storage fault, not a missing blob: it is
   * reported as BLOB_UNAVAILABLE and created again on the next call.
   */
  private translate(err: unknown, name: string): Error {
    if (err instanceof RestError && err.code === "ContainerNotFound") {
      this.ready = undefined;
      return blobErrors.unavailable("reach the container for", name, err);
    }
    return translate(err, name);
  }

  /** Creates the container (private: no public access) the first time it is needed. */
  private ensureContainer(): Promise<void> {
    this.ready ??= this.container.createIfNotExists().then(
      () => undefined,
      (err: unknown) => {
        this.ready = undefined; // try again next time
        throw this.translate(err, this.container.containerName);
      },
    );
    return this.ready;
  }

  async put(name: string, data: Uint8Array): Promise<void> {
    checkBlobName(name);
    await this.ensureContainer();
    await this.container
      .getBlockBlobClient(name)
      .uploadData(data)
      .catch((err: unknown) => {
        throw this.translate(err, name);
      });
  }

  async putStream(name: string, data: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<BlobInfo> {
    checkBlobName(name);
    await this.ensureContainer();
    if (options?.head) return this.putWithHead(name, data, options);
    let size = 0;
    let sourceError: unknown;
    const counted = Readable.from(
      (async function* () {
        try {
          for await (const chunk of data) {
            size += chunk.byteLength;
            // The SDK's stream uploader copies with Buffer#copy: hand it Buffers (a view, no copy).
            yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          }
        } catch (err) {
          sourceError = err;
          throw err;
        }
      })(),
    );
    try {
      await this.container.getBlockBlobClient(name).uploadStream(counted, STREAM_BLOCK_BYTES, 4);
    } catch (err) {
      // Blocks staged before the failure are never committed: the old blob (if any) stays.
      throw sourceError ?? this.translate(err, name);
    }
    if (sourceError) throw sourceError;
    return { name, size };
  }

  /**
   * A block blob is a list of blocks committed at the end, in any order: the data's blocks are
   * staged as they stream in, the head's block last, and the list names the head's first.
   * Blocks staged before a failure are never committed, so an old blob stays as it was.
   */
  private async putWithHead(name: string, data: AsyncIterable<Uint8Array>, options: PutStreamOptions): Promise<BlobInfo> {
    const client = this.container.getBlockBlobClient(name);
    // Block ids of one blob must all have the same length.
    const blockId = (kind: "head" | "data", i: number) => Buffer.from(`${kind}-${String(i).padStart(8, "0")}`).toString("base64");
    const ids: string[] = [];
    const staging = new Set<Promise<unknown>>();
    let failure: unknown;
    const stage = async (bytes: Buffer): Promise<void> => {
      const id = blockId("data", ids.length);
      ids.push(id);
      const staged = client.stageBlock(id, bytes, bytes.byteLength).catch((err: unknown) => {
        failure ??= this.translate(err, name);
      });
      staging.add(staged);
      void staged.finally(() => staging.delete(staged));
      if (staging.size >= STAGING_AT_ONCE) await Promise.race(staging);
      if (failure) throw failure;
    };
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of data) {
      // A copy: the source may reuse its chunk once it is handed on.
      pending.push(Buffer.from(chunk));
      pendingBytes += chunk.byteLength;
      size += chunk.byteLength;
      if (pendingBytes >= STREAM_BLOCK_BYTES) {
        await stage(Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pendingBytes > 0) await stage(Buffer.concat(pending));
    await Promise.all(staging);
    if (failure) throw failure;
    const head = headValue(name, options) as Uint8Array;
    try {
      await client.stageBlock(blockId("head", 0), Buffer.from(head), head.byteLength);
      await client.commitBlockList([blockId("head", 0), ...ids]);
    } catch (err) {
      throw this.translate(err, name);
    }
    return { name, size: size + head.byteLength };
  }

  async get(name: string): Promise<Uint8Array> {
    checkBlobName(name);
    await this.ensureContainer();
    try {
      const buffer = await this.container.getBlobClient(name).downloadToBuffer();
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (err) {
      throw this.translate(err, name);
    }
  }

  async getRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    checkBlobName(name);
    await this.ensureContainer();
    try {
      // One ranged GET (x-ms-range): a window's rows from a neighbouring band, not the band.
      const buffer = await this.container.getBlobClient(name).downloadToBuffer(offset, length);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (err) {
      throw this.translate(err, name);
    }
  }

  async getStream(name: string): Promise<AsyncIterable<Uint8Array>> {
    checkBlobName(name);
    await this.ensureContainer();
    try {
      const response = await this.container.getBlobClient(name).download();
      const body = response.readableStreamBody;
      if (!body) throw new BlobError("BLOB_UNAVAILABLE", `blob ${JSON.stringify(name)} came back without a body`);
      return body as AsyncIterable<Uint8Array>;
    } catch (err) {
      throw this.translate(err, name);
    }
  }

  async exists(name: string): Promise<boolean> {
    checkBlobName(name);
    await this.ensureContainer();
    return await this.container
      .getBlobClient(name)
      .exists()
      .catch((err: unknown) => {
        throw this.translate(err, name);
      });
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    checkBlobPrefix(prefix);
    await this.ensureContainer();
    const out: BlobInfo[] = [];
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix }))
        out.push({ name: blob.name, size: blob.properties.contentLength ?? 0 });
    } catch (err) {
      throw this.translate(err, prefix);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(name: string): Promise<void> {
    checkBlobName(name);
    await this.ensureContainer();
    await this.container
      .getBlobClient(name)
      .deleteIfExists()
      .catch((err: unknown) => {
        throw this.translate(err, name);
      });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const blobs = await this.list(prefix);
    for (const blob of blobs) await this.delete(blob.name);
    return blobs.length;
  }
}

/** Azure's errors in the port's terms: 404 is BLOB_NOT_FOUND, anything else BLOB_UNAVAILABLE. */
function translate(err: unknown, name: string): Error {
  if (err instanceof BlobError) return err;
  if (err instanceof RestError && err.statusCode === 404) return blobErrors.notFound(name);
  const status = err instanceof RestError && err.statusCode ? ` (HTTP ${err.statusCode})` : "";
  return new BlobError(
    "BLOB_UNAVAILABLE",
    `blob storage failed on ${JSON.stringify(name)}${status}: ${(err as Error).message}; retry later`,
    {
      cause: err,
    },
  );
}
