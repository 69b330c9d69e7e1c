import {
  type BlobInfo,
  type BlobStore,
  blobErrors,
  checkBlobName,
  checkBlobPrefix,
  headValue,
  type PutStreamOptions,
} from "../../engine/ports/blob-store.js";

/** Chunk size getStream yields, so consumers see the same shape as from a file or the network. */
const STREAM_CHUNK_BYTES = 64 * 1024;

function folders(name: string): string[] {
  const parts = name.split("/");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/**
 * The in-memory BlobStore. `put` adopts whole buffers (callers hand them over) and `get`
 * returns copies, so no reader can change a stored blob. It refuses the names a filesystem store cannot hold ('a' beside 'a/b') so that code
 * tested against it also runs on FsBlobStore.
 */
export class MemoryBlobStore implements BlobStore {
  readonly keepsArrays = true;
  private readonly blobs = new Map<string, Uint8Array>();
  /** How many blobs lie under each folder name, to detect blob/folder conflicts in O(depth). */
  private readonly folderUse = new Map<string, number>();

  async put(name: string, data: Uint8Array): Promise<void> {
    checkBlobName(name);
    if (!(data instanceof Uint8Array)) throw new TypeError(`put(${JSON.stringify(name)}, data) needs a Uint8Array`);
    // put may keep the caller's array (see the port): a whole buffer, shared or not, is adopted as
    // is; a view into a larger buffer is copied so the rest of that buffer is not retained.
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    this.store(name, whole ? data : new Uint8Array(data));
  }

  async putStream(name: string, data: AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<BlobInfo> {
    checkBlobName(name);
    const chunks: Uint8Array[] = [];
    let size = options?.head?.bytes ?? 0;
    for await (const chunk of data) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError(`putStream(${JSON.stringify(name)}) chunks must be Uint8Array`);
      chunks.push(new Uint8Array(chunk));
      size += chunk.byteLength;
    }
    const bytes = new Uint8Array(size);
    const head = headValue(name, options);
    if (head) bytes.set(head);
    let offset = head?.byteLength ?? 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    this.store(name, bytes);
    return { name, size };
  }

  async get(name: string): Promise<Uint8Array> {
    return new Uint8Array(this.lookup(name));
  }

  async getInto(name: string, into: Uint8Array): Promise<number> {
    const bytes = this.lookup(name);
    into.set(bytes.subarray(0, into.length));
    return bytes.length;
  }

  async getRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    return this.lookup(name).slice(offset, offset + length);
  }

  async getStream(name: string): Promise<AsyncIterable<Uint8Array>> {
    // Copy now: the stream shows the blob as it was when asked for, like an open file.
    const bytes = new Uint8Array(this.lookup(name));
    return (async function* () {
      for (let offset = 0; offset < bytes.byteLength; offset += STREAM_CHUNK_BYTES) {
        yield bytes.slice(offset, offset + STREAM_CHUNK_BYTES);
      }
    })();
  }

  async exists(name: string): Promise<boolean> {
    checkBlobName(name);
    return this.blobs.has(name);
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    checkBlobPrefix(prefix);
    return [...this.blobs]
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, bytes]) => ({ name, size: bytes.byteLength }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(name: string): Promise<void> {
    checkBlobName(name);
    this.remove(name);
  }

  async deletePrefix(prefix: string): Promise<number> {
    checkBlobPrefix(prefix);
    let count = 0;
    for (const name of [...this.blobs.keys()]) {
      if (name.startsWith(prefix) && this.remove(name)) count++;
    }
    return count;
  }

  private lookup(name: string): Uint8Array {
    checkBlobName(name);
    const bytes = this.blobs.get(name);
    if (bytes === undefined) throw blobErrors.notFound(name);
    return bytes;
  }

  private store(name: string, bytes: Uint8Array): void {
    const ancestors = folders(name);
    const blocking = ancestors.find((folder) => this.blobs.has(folder));
    if (blocking !== undefined) throw blobErrors.conflict(name, blocking);
    if ((this.folderUse.get(name) ?? 0) > 0) throw blobErrors.conflict(name);
    if (!this.blobs.has(name)) {
      for (const folder of ancestors) this.folderUse.set(folder, (this.folderUse.get(folder) ?? 0) + 1);
    }
    this.blobs.set(name, bytes);
  }

  private remove(name: string): boolean {
    if (!this.blobs.delete(name)) return false;
    for (const folder of folders(name)) {
      const left = (this.folderUse.get(folder) ?? 1) - 1;
      if (left === 0) this.folderUse.delete(folder);
      else this.folderUse.set(folder, left);
    }
    return true;
  }
}
