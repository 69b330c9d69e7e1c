/**
 * Reads a multipart upload as it streams in, holding the image in memory exactly once: the
 * file part is copied chunk by chunk into one buffer sized from Content-Length (the body's size
 * bounds the file's), so neither a parsed body nor a second copy of the file ever exists. The
 * byte limit is enforced before reading (Content-Length) and while reading (chunked bodies).
 */

import { Readable } from "node:stream";
import busboy from "busboy";
import { HttpError } from "./http-errors.js";

export interface Upload {
  /** The `image` file's bytes (a view of exactly its length). */
  image: Uint8Array | undefined;
  /** Text fields; a field named `image` that is text, not a file, lands here. */
  fields: Record<string, string>;
}

const tooLarge = (max: number): HttpError =>
  new HttpError(413, "PAYLOAD_TOO_LARGE", `the upload is over ${max} bytes (TESSERA_MAX_UPLOAD_BYTES)`);

/** A byte buffer that starts at `initial` and doubles only when a body came without a length. */
class Bytes {
  private buffer: Uint8Array;
  length = 0;
  constructor(initial: number) {
    this.buffer = new Uint8Array(initial);
  }
  push(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + chunk.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
  }
  get bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

export async function readUpload(request: Request, maxBytes: number): Promise<Upload> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("multipart/form-data")) {
    throw new HttpError(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `send multipart/form-data with fields "image" and "pipeline", not ${JSON.stringify(type || "no content type")}`,
    );
  }
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) throw new HttpError(400, "BAD_REQUEST", "the request has no body");

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": type },
      limits: { files: 1, fields: 16, fieldSize: 1 << 20, fileSize: maxBytes },
    });
  } catch (err) {
    throw new HttpError(400, "BAD_REQUEST", `the multipart body is malformed: ${(err as Error).message}`);
  }
  return await new Promise<Upload>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let image: Bytes | undefined;
    let failed = false;
    const fail = (err: HttpError): void => {
      if (failed) return;
      failed = true;
      body.destroy();
      reject(err);
    };
    parser.on("file", (name, stream) => {
      if (name !== "image") return void stream.resume(); // other files are not ours to keep
      image = new Bytes(Number.isFinite(declared) && declared > 0 ? declared : 1 << 20);
      stream.on("data", (chunk: Buffer) => image?.push(chunk));
      stream.on("limit", () => fail(tooLarge(maxBytes)));
    });
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("error", (err: Error) =>
      fail(new HttpError(400, "BAD_REQUEST", `the multipart body is malformed: ${err.message}`)),
    );
    parser.on("close", () => {
      if (!failed) resolve({ image: image?.bytes, fields });
    });
    // A body without Content-Length is counted as it streams, so it cannot outgrow the limit either.
    let seen = 0;
    const body = Readable.fromWeb(request.body as import("node:stream/web").ReadableStream<Uint8Array>);
    body.on("data", (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes + 64 * 1024) fail(tooLarge(maxBytes)); // + room for the multipart framing
    });
    body.on("error", (err) => fail(new HttpError(400, "BAD_REQUEST", `the upload broke off: ${err.message}`)));
    body.pipe(parser);
  });
}
