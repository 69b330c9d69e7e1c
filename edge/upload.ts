/**
 * Reads a multipart upload as it streams in, holding the image in memory exactly once: the
 * file part is copied chunk by chunk into one buffer sized from Content-Length (the body's size
 * bounds the file's), so neither a parsed body nor a second copy of the file ever exists. The
 * byte limit is enforced before reading (Content-Length) and while reading (chunked bodies).
 *
 * Every stream here (the body, the parser, the file part) has its error handled: an emitter's
 * unhandled 'error' throws out of the event loop and ends the whole process, so one client's
 * broken body would take every job with it. Whatever busboy would cut or drop silently (a
 * field over its size, fields past the count) is an error instead: a truncated pipeline
 * would run and give a wrong result.
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

/** Longest text field: a pipeline of 32 steps with 7×7 kernels is a few KiB; 64 KiB leaves room. */
export const MAX_FIELD_BYTES = 64 * 1024;
/** Most text fields (the API uses three: pipeline, format, tileSize). */
export const MAX_FIELDS = 16;
/** Longest field name, in bytes. */
const MAX_FIELD_NAME_BYTES = 100;

const tooLarge = (max: number): HttpError =>
  new HttpError(413, "PAYLOAD_TOO_LARGE", `the upload is over ${max} bytes (TESSERA_MAX_UPLOAD_BYTES)`);
const bad = (message: string): HttpError => new HttpError(400, "BAD_REQUEST", message);

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

const quoted = (name: string): string => JSON.stringify(name.slice(0, 40));

export async function readUpload(request: Request, maxBytes: number): Promise<Upload> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("multipart/form-data")) {
    throw new HttpError(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `send multipart/form-data with fields "image" and "pipeline", not ${JSON.stringify(type.slice(0, 80) || "no content type")}`,
    );
  }
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) throw bad("the request has no body");

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": type },
      limits: {
        // Two files, so a second "image" is reported as a duplicate by name rather than as "too many files".
        files: 2,
        fields: MAX_FIELDS,
        parts: MAX_FIELDS + 2,
        fieldSize: MAX_FIELD_BYTES,
        fieldNameSize: MAX_FIELD_NAME_BYTES,
        fileSize: maxBytes,
      },
    });
  } catch (err) {
    throw bad(`the multipart body is malformed: ${(err as Error).message}`);
  }
  const body = Readable.fromWeb(request.body as import("node:stream/web").ReadableStream<Uint8Array>);
  return await new Promise<Upload>((resolve, reject) => {
    // No prototype: a field named "__proto__" or "toString" is just a field.
    const fields: Record<string, string> = Object.create(null);
    const seen = new Set<string>();
    let image: Bytes | undefined;
    let failed = false;
    /**
     * Answers with `err` at once. The rest of the body is still read and dropped (within the
     * byte limit below): a server that stops reading a body mid-way stalls the client, which
     * then never sees the answer; one over the limit is cut off instead.
     */
    const fail = (err: HttpError): void => {
      if (failed) return;
      failed = true;
      body.unpipe(parser);
      body.resume();
      reject(err);
    };
    const once = (name: string): boolean => {
      if (seen.has(name)) {
        fail(bad(`field ${quoted(name)} appears more than once; send each field once`));
        return false;
      }
      seen.add(name);
      return true;
    };
    parser.on("file", (name, stream) => {
      // First, before anything can go wrong: a file part's 'error' (a body cut off mid-file) must not go unheard.
      stream.on("error", (err: Error) => fail(bad(`the upload broke off inside the file: ${err.message}`)));
      stream.on("limit", () => fail(tooLarge(maxBytes)));
      if (failed || !once(name)) return void stream.resume();
      if (name !== "image") {
        stream.resume();
        return fail(bad(`unexpected file field ${quoted(name)}; send the image as the file field "image"`));
      }
      image = new Bytes(Number.isFinite(declared) && declared > 0 ? declared : 1 << 20);
      stream.on("data", (chunk: Buffer) => image?.push(chunk));
    });
    parser.on("field", (name, value, info) => {
      if (failed) return;
      if (info.nameTruncated) return fail(bad(`a field name is over ${MAX_FIELD_NAME_BYTES} bytes`));
      if (info.valueTruncated) {
        return fail(new HttpError(413, "PAYLOAD_TOO_LARGE", `field ${quoted(name)} is over ${MAX_FIELD_BYTES} bytes`));
      }
      if (once(name)) fields[name] = value;
    });
    parser.on("fieldsLimit", () => fail(bad(`the form has more than ${MAX_FIELDS} text fields`)));
    parser.on("partsLimit", () => fail(bad(`the form has more than ${MAX_FIELDS + 2} parts`)));
    parser.on("filesLimit", () => fail(bad('the form has more than one file; send only the "image" file')));
    parser.on("error", (err: Error) => fail(bad(`the multipart body is malformed: ${err.message}`)));
    parser.on("close", () => {
      if (!failed) resolve({ image: image?.bytes, fields });
    });
    // A body without Content-Length is counted as it streams, so it cannot outgrow the limit either.
    let received = 0;
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes + 64 * 1024) {
        // + room for the multipart framing
        fail(tooLarge(maxBytes));
        body.destroy();
      }
    });
    body.on("error", (err) => fail(bad(`the upload broke off: ${err.message}`)));
    body.pipe(parser);
  });
}
