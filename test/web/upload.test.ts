// Api.upload, the Process button's request, over a fake XMLHttpRequest: progress is passed on,
// the answer and the API's error messages are read as request() reads them, and aborting it
// rejects with ABORTED.

import { describe, expect, it } from "vitest";
import { Api, ApiFailure } from "../../edge/web/src/api.ts";

class FakeXhr extends EventTarget {
  readonly upload = new EventTarget();
  readonly headers: Record<string, string> = {};
  method = "";
  url = "";
  sent: unknown = null;
  status = 0;
  statusText = "";
  responseText = "";
  responseType = "";
  private answerHeaders: Record<string, string> = {};
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  getResponseHeader(name: string): string | null {
    return this.answerHeaders[name.toLowerCase()] ?? null;
  }
  send(body: unknown): void {
    this.sent = body;
  }
  abort(): void {
    this.dispatchEvent(new Event("abort"));
  }
  /** The test's side: progress of the body, then an answer. */
  progress(loaded: number, total: number): void {
    this.upload.dispatchEvent(Object.assign(new Event("progress"), { loaded, total, lengthComputable: true }));
  }
  answer(status: number, body: unknown, statusText = ""): void {
    this.status = status;
    this.statusText = statusText;
    this.responseText = JSON.stringify(body);
    this.answerHeaders = { "content-type": "application/json" };
    this.dispatchEvent(new Event("load"));
  }
}

function apiWith(token: string | null = null) {
  const xhrs: FakeXhr[] = [];
  const unauthorized: string[] = [];
  const storage = new Map<string, string>(token ? [["tessera.token", token]] : []);
  const api = new Api({
    base: "http://gw/ui/",
    storage: {
      getItem: (k) => storage.get(k) ?? null,
      setItem: (k, v) => void storage.set(k, v),
      removeItem: (k) => void storage.delete(k),
    },
    onUnauthorized: (f) => unauthorized.push(f.message),
    xhr: () => {
      const x = new FakeXhr();
      xhrs.push(x);
      return x as unknown as XMLHttpRequest;
    },
  });
  const last = () => {
    const x = xhrs.at(-1);
    if (!x) throw new Error("no request made");
    return x;
  };
  return { api, last, unauthorized };
}

describe("Api.upload", () => {
  it("posts the form with the token, reports progress, and resolves with the job", async () => {
    const { api, last } = apiWith("s3cret");
    const seen: string[] = [];
    const form = new FormData();
    const done = api.upload<{ id: string }>("/v1/jobs", form, { onProgress: (l, t) => seen.push(`${l}/${t}`) });
    const xhr = last();
    expect([xhr.method, xhr.url, xhr.headers.Authorization]).toEqual(["POST", "http://gw/ui/v1/jobs", "Bearer s3cret"]);
    expect(xhr.sent).toBe(form);
    xhr.progress(10, 100);
    xhr.progress(100, 100);
    xhr.answer(202, { id: "j1", status: "queued" });
    expect(await done).toEqual({ id: "j1", status: "queued" });
    expect(seen).toEqual(["10/100", "100/100"]);
  });

  it("rejects with the API's own message, and tells the page about a 401", async () => {
    const { api, last, unauthorized } = apiWith();
    const refused = api.upload("/v1/jobs", new FormData());
    last().answer(413, { error: { code: "PAYLOAD_TOO_LARGE", message: "the upload is over 50 MiB" } }, "Payload Too Large");
    await expect(refused).rejects.toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE", message: "the upload is over 50 MiB" });
    const denied = api.upload("/v1/jobs", new FormData());
    last().answer(401, { error: { code: "UNAUTHORIZED", message: "missing token" } });
    await expect(denied).rejects.toBeInstanceOf(ApiFailure);
    expect(unauthorized).toEqual(["missing token"]);
  });

  it("aborts with the signal, and rejects with ABORTED and a message that no job was made", async () => {
    const { api, last } = apiWith();
    const controller = new AbortController();
    const upload = api.upload("/v1/jobs", new FormData(), { signal: controller.signal });
    last().progress(5, 100);
    controller.abort();
    await expect(upload).rejects.toMatchObject({ code: "ABORTED", message: "The upload was canceled; no job was created." });
    await expect(api.upload("/v1/jobs", new FormData(), { signal: controller.signal })).rejects.toMatchObject({
      code: "ABORTED",
    });
  });
});
