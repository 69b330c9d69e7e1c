// The gateway's HTTP API: JSON requests with the bearer token when one is set, and errors as
// the API's own `{error:{code,message}}` message (never a stack trace).

import type { ApiError } from "../../api-types.ts";

export const TOKEN_KEY = "tessera.token";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

export interface TokenStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ApiOptions {
  /** The URL the API paths ("/v1/...") are relative to: the page's own folder. */
  base: string;
  storage?: TokenStore | undefined;
  fetch?: typeof fetch;
  /** Called on every 401, so the page can ask for a token. */
  onUnauthorized?: (failure: ApiFailure) => void;
  /** Makes the request for upload(); a test may pass a fake. */
  xhr?: () => XMLHttpRequest;
}

export interface UploadOptions {
  /** Bytes of the request body sent so far, and in all (the multipart body, a little over the file). */
  onProgress?: (loaded: number, total: number) => void;
  /** Aborting it aborts the request; the promise then rejects with code ABORTED. */
  signal?: AbortSignal;
}

export class Api {
  private readonly base: string;
  private readonly storage: TokenStore | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly onUnauthorized: ((failure: ApiFailure) => void) | undefined;
  private readonly xhr: () => XMLHttpRequest;

  constructor(options: ApiOptions) {
    this.xhr = options.xhr ?? (() => new XMLHttpRequest());
    this.base = options.base;
    this.storage = options.storage;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.onUnauthorized = options.onUnauthorized;
  }

  get token(): string | null {
    try {
      return this.storage?.getItem(TOKEN_KEY) || null;
    } catch {
      return null;
    }
  }

  set token(value: string | null) {
    try {
      if (value) this.storage?.setItem(TOKEN_KEY, value);
      else this.storage?.removeItem(TOKEN_KEY);
    } catch {
      // storage disabled: the token lasts only until the page closes (not kept at all)
    }
  }

  /** Absolute URL of an API path ("/v1/jobs" → relative to the page's folder), with query params. */
  url(path: string, query: Record<string, string | undefined> = {}): string {
    const url = new URL(path.replace(/^\//, ""), this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") url.searchParams.set(k, v);
    return url.toString();
  }

  /** A URL for things that cannot send headers (EventSource, download links): the token as `access_token`. */
  authedUrl(path: string, query: Record<string, string | undefined> = {}): string {
    return this.url(path, { ...query, access_token: this.token ?? undefined });
  }

  async request<T>(method: string, path: string, body?: FormData | object): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = this.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path), { method, headers, body: payload ?? null });
    } catch (err) {
      throw new ApiFailure(0, "NETWORK", `Cannot reach the gateway (${(err as Error).message || "network error"}).`);
    }
    if (!response.ok) {
      const failure = await toFailure(response);
      if (response.status === 401) this.onUnauthorized?.(failure);
      throw failure;
    }
    if (response.status === 204) return undefined as T;
    const type = response.headers.get("content-type") ?? "";
    if (!type.includes("json")) return undefined as T;
    return (await response.json()) as T;
  }

  /**
   * POSTs a form with upload progress, which fetch() cannot report for a request body; hence
   * XMLHttpRequest. Answers and errors are read the same way as request()'s.
   */
  upload<T>(path: string, form: FormData, options: UploadOptions = {}): Promise<T> {
    const { onProgress, signal } = options;
    const aborted = () => new ApiFailure(0, "ABORTED", "The upload was canceled; no job was created.");
    if (signal?.aborted) return Promise.reject(aborted());
    return new Promise<T>((resolve, reject) => {
      const xhr = this.xhr();
      xhr.open("POST", this.url(path));
      xhr.setRequestHeader("Accept", "application/json");
      const token = this.token;
      if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
      const abort = () => xhr.abort();
      signal?.addEventListener("abort", abort, { once: true });
      const settle = () => signal?.removeEventListener("abort", abort);
      xhr.upload.addEventListener("progress", (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : 0));
      xhr.addEventListener("abort", () => {
        settle();
        reject(aborted());
      });
      xhr.addEventListener("error", () => {
        settle();
        reject(new ApiFailure(0, "NETWORK", "Cannot reach the gateway (the upload was cut off)."));
      });
      xhr.addEventListener("load", () => {
        settle();
        void this.readUpload<T>(xhr).then(resolve, reject);
      });
      xhr.send(form);
    });
  }

  private async readUpload<T>(xhr: XMLHttpRequest): Promise<T> {
    const type = xhr.getResponseHeader("content-type") ?? "";
    if (xhr.status < 200 || xhr.status >= 300) {
      const response = new Response(xhr.responseText, {
        status: xhr.status,
        statusText: xhr.statusText,
        headers: { "content-type": type },
      });
      const failure = await toFailure(response);
      if (xhr.status === 401) this.onUnauthorized?.(failure);
      throw failure;
    }
    if (xhr.status === 204 || !type.includes("json")) return undefined as T;
    try {
      return JSON.parse(xhr.responseText) as T;
    } catch {
      throw new ApiFailure(xhr.status, "HTTP_ERROR", `HTTP ${xhr.status}: the gateway's answer is not JSON.`);
    }
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }
}

/** Reads `{error:{code,message}}` from a failed response; falls back to the status line. */
export async function toFailure(response: Response): Promise<ApiFailure> {
  let text = "";
  try {
    text = await response.text();
  } catch {
    // body unreadable: the status line is all there is
  }
  try {
    const body = JSON.parse(text) as Partial<ApiError>;
    if (body?.error && typeof body.error.message === "string") {
      return new ApiFailure(response.status, String(body.error.code ?? "ERROR"), body.error.message);
    }
  } catch {
    // not JSON
  }
  const statusText = response.statusText || (response.status === 401 ? "Unauthorized" : "request failed");
  const detail = text && text.length < 200 && !text.trimStart().startsWith("<") ? `: ${text.trim()}` : "";
  return new ApiFailure(
    response.status,
    response.status === 401 ? "UNAUTHORIZED" : "HTTP_ERROR",
    `HTTP ${response.status} ${statusText}${detail}`,
  );
}

/** The message to show for any error: the API's own message, or the error's. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiFailure) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
