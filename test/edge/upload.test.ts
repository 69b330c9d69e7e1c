// Uploads are written to a spool file as they stream in, never held in memory whole: the file
// holds exactly the bytes sent, and whatever goes wrong (over the limit, a broken body, a disk
// that refuses the write) leaves no file behind.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readUpload, UPLOAD_TEMP_PREFIX } from "../../edge/upload.js";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
});
const spoolDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-test-spool-"));
  dirs.push(dir);
  return dir;
};

const BOUNDARY = "----tessera-test";
/** A multipart body with a pipeline field and an `image` file part of `bytes`. */
function multipart(bytes: Uint8Array): Uint8Array {
  const head =
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="pipeline"\r\n\r\ninvert\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
}

/** A request whose body arrives in chunks, with no Content-Length (as a chunked upload does). */
function streamed(body: Uint8Array, chunk = 64 * 1024): Request {
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= body.length) return controller.close();
      controller.enqueue(body.subarray(at, at + chunk));
      at += chunk;
    },
  });
  return new Request("http://localhost/v1/jobs", {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
    body: stream,
    duplex: "half",
  } as RequestInit);
}

const spooled = (dir: string) => readdirSync(dir).filter((f) => f.startsWith(UPLOAD_TEMP_PREFIX));

describe("readUpload", () => {
  it("writes the image to a file in the spool folder as it arrives, byte for byte, and remove() deletes it", async () => {
    const dir = spoolDir();
    const bytes = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 31) & 255);
    const upload = await readUpload(streamed(multipart(bytes)), 10_000_000, dir);
    expect(upload.fields).toEqual({ pipeline: "invert" });
    const image = upload.image;
    if (!image) throw new Error("no image");
    expect(image.path.startsWith(join(dir, `${UPLOAD_TEMP_PREFIX}${process.pid}-`))).toBe(true);
    expect(Buffer.compare(readFileSync(image.path), Buffer.from(bytes))).toBe(0);
    await image.remove();
    await image.remove(); // twice is fine
    expect(spooled(dir)).toEqual([]);
  });

  it("refuses an upload over the limit as it streams in, and leaves no file", async () => {
    const dir = spoolDir();
    await expect(readUpload(streamed(multipart(new Uint8Array(2_000_000))), 1_000_000, dir)).rejects.toMatchObject({
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
    });
    // The partial file goes once its stream has closed.
    for (let i = 0; i < 50 && spooled(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(spooled(dir)).toEqual([]);
  });

  it("answers 503 naming the disk when the file cannot be written, and leaves nothing", async () => {
    const dir = join(spoolDir(), "missing");
    await expect(readUpload(streamed(multipart(new Uint8Array(1000))), 1_000_000, dir)).rejects.toMatchObject({
      status: 503,
      code: "DEPENDENCY_UNAVAILABLE",
      message: expect.stringContaining("the upload could not be written to the gateway's disk"),
    });
  });
});
