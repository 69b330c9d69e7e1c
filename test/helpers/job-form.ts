// The multipart body of POST /v1/jobs, for tests that drive the Hono app in-process.

/** Fields as a form: strings as they are, bytes as an uploaded file. */
export function jobForm(fields: Record<string, string | Blob | Buffer>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === "string") f.set(k, v);
    else if (v instanceof Blob) f.set(k, v, "upload");
    else f.set(k, new Blob([new Uint8Array(v)]), "upload.bin");
  }
  return f;
}
