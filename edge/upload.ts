/**
 * Reads a multipart upload as it streams in, writing the image to a file as it arrives (never
 * holding it in memory: an upload is as large as the disk allows, not as memory does). The
 * byte limit is enforced before reading (Content-Length) and while reading (chunked bodies).
 * Whatever goes wrong, the partial file is removed; the caller removes a whole one it does not
 * hand on (SpooledImage.remove).
 *
 * Every stream here (the body, the parser, the file part, the file) has its error handled: an
 * emitter's unhandled 'error' throws out of the event loop and ends the whole process, so one
 * client's broken body would take every job with it. Whatever busboy would cut or drop silently
 * (a field over its size, fields past the count) is an error instead: a truncated pipeline
 * would run and give a wrong result.
 */

import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import busboy from "busboy";
import type { SourceFile } from "../engine/ports/codec.js";
import { HttpError } from "./http-errors.js";

/**
 * An uploaded image, in the file it was written to as it arrived: a SourceFile the coordinator
 * takes as it is, releasing it (removing the file) once the job no longer reads it.
 */
export interface SpooledImage extends SourceFile {
  /** Removes the file; safe to call more than once. */
  remove(): Promise<void>;
}

export interface Upload {
  /** The `image` file part, spooled to disk. */
  image: SpooledImage | undefined;
  /** Text fields; a field named `image` that is text, not a file, lands here. */
  fields: Record<string, string>;
}

/**
 * Spool files are named `tessera-upload-<pid>-<uuid>` in the upload folder, so that the files
 * of a gateway that died (SIGKILL skips every cleanup) can be told from a live one's and swept
 * (infra/adapters/temp-files.ts, at the gateway's start).
 */
export const UPLOAD_TEMP_PREFIX = "tessera-upload-";

/** Longest text field: a pipeline of 32 steps with 7×7 kernels is a few KiB; 64 KiB leaves room. */
export const MAX_FIELD_BYTES = 64 * 1024;
/** Most text fields (the API uses three: pipeline, format, tileSize). */
export const MAX_FIELDS = 16;
/** Longest field name, in bytes. */
const MAX_FIELD_NAME_BYTES = 100;

const tooLarge = (max: number): HttpError =>
  new HttpError(413, "PAYLOAD_TOO_LARGE", `the upload is over ${max} bytes (TESSERA_MAX_UPLOAD_BYTES)`);
const bad = (message: string): HttpError => new HttpError(400, "BAD_REQUEST", message);

const quoted = (name: string): string => JSON.stringify(name.slice(0, 40));

/** The upload in `request`: its text fields, and its image written to a new file in `dir`. */
export async function readUpload(request: Request, maxBytes: number, dir = tmpdir()): Promise<Upload> {
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
    let image: SpooledImage | undefined;
    /** Settles once the image's file is written (or at once when there is none). */
    let written: Promise<void> = Promise.resolve();
    let failed = false;
    /**
     * Answers with `err` at once, removing the partial file. The rest of the body is still read
     * and dropped (within the byte limit below): a server that stops reading a body mid-way
     * stalls the client, which then never sees the answer; one over the limit is cut off instead.
     */
    const fail = (err: HttpError): void => {
      if (failed) return;
      failed = true;
      body.unpipe(parser);
      body.resume();
      void image?.remove();
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
      const path = join(dir, `${UPLOAD_TEMP_PREFIX}${process.pid}-${randomUUID()}`);
      const file = createWriteStream(path, { flags: "wx" });
      // Closed before it is removed: a file still being opened would appear after the removal.
      const closed = new Promise<void>((done) => file.on("close", done));
      const remove = async (): Promise<void> => {
        if (!file.closed) file.destroy();
        await closed;
        await rm(path, { force: true });
      };
      image = {
        path,
        stream: () => createReadStream(path),
        remove,
        release: remove,
      };
      written = new Promise<void>((done, broke) => {
        file.on("finish", done);
        file.on("error", (err: Error) => {
          broke(err);
          stream.resume();
          fail(
            new HttpError(503, "DEPENDENCY_UNAVAILABLE", `the upload could not be written to the gateway's disk: ${err.message}`),
          );
        });
      });
      written.catch(() => undefined); // answered through fail(), not as an unhandled rejection
      stream.pipe(file);
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
      if (failed) return;
      // A failure meanwhile has answered already (and removed the file).
      written.then(
        () => {
          if (!failed) resolve({ image, fields });
        },
        () => undefined,
      );
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
