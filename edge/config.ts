/**
 * Gateway limits and settings, with defaults and environment overrides. Checked when the
 * gateway is built (not on the first request), with the variable named in the message.
 */

import { MAX_STEPS } from "@tessera/kernels";
import { DEFAULTS } from "../engine/defaults.js";

export interface Limits {
  /** Largest upload in bytes (TESSERA_MAX_UPLOAD_BYTES, default 50 MB). */
  maxUploadBytes: number;
  /** Largest image in pixels, checked from the header before decoding (TESSERA_MAX_PIXELS, default 100 MP). */
  maxPixels: number;
  /** Most steps in one pipeline (TESSERA_MAX_STEPS, default 32; at most the kernels' own cap of 256). */
  maxSteps: number;
  /** Jobs queued or running at once before new ones get 429 (TESSERA_MAX_ACTIVE_JOBS, default 16). */
  maxActiveJobs: number;
  /**
   * Pixels of all queued or running jobs together (TESSERA_MAX_ACTIVE_PIXELS, default 200 MP):
   * what bounds the gateway's memory and CPU when every job is a large image, where the job
   * count alone does not (four 100 MP images decode to 1.6 GB).
   */
  maxActivePixels: number;
  /**
   * Most work one job may ask for, in pixel-steps: the image's pixels times its pipeline's
   * steps (TESSERA_MAX_PIXEL_STEPS, default 1.6 G: 100 MP through 16 steps).
   */
  maxPixelSteps: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxUploadBytes: 50 * 1024 * 1024,
  maxPixels: DEFAULTS.maxPixels,
  maxSteps: 32,
  maxActiveJobs: 16,
  maxActivePixels: 200_000_000,
  maxPixelSteps: 1_600_000_000,
};

export const LIMIT_VARS: Record<keyof Limits, string> = {
  maxUploadBytes: "TESSERA_MAX_UPLOAD_BYTES",
  maxPixels: "TESSERA_MAX_PIXELS",
  maxSteps: "TESSERA_MAX_STEPS",
  maxActiveJobs: "TESSERA_MAX_ACTIVE_JOBS",
  maxActivePixels: "TESSERA_MAX_ACTIVE_PIXELS",
  maxPixelSteps: "TESSERA_MAX_PIXEL_STEPS",
};

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  // Digits only: Number() would also take "1e3", "0x10" and " 16 ", which nobody means.
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Limits from the environment over the defaults; throws naming the variable when one is not a positive integer. */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_VARS) as (keyof Limits)[]) {
    const n = positiveInt(env, LIMIT_VARS[key]);
    if (n !== undefined) limits[key] = n;
  }
  // The kernels refuse longer pipelines whatever the gateway says: a higher limit would be a lie.
  if (limits.maxSteps > MAX_STEPS)
    throw new RangeError(`TESSERA_MAX_STEPS must be at most ${MAX_STEPS} (the kernels' cap), got ${limits.maxSteps}`);
  return limits;
}

/**
 * How long the HTTP server waits for a slow client. Node's defaults let one socket hold on for
 * 300 s with a body that never arrives; these end such requests early and free their slot.
 */
export interface ServerTimeouts {
  /** All request headers must arrive within this (TESSERA_HEADERS_TIMEOUT_MS, default 20 s). */
  headersMs: number;
  /** The whole request, body included, must arrive within this (TESSERA_REQUEST_TIMEOUT_MS, default 120 s). */
  requestMs: number;
  /** A request body that sends nothing for this long is cut off (TESSERA_BODY_IDLE_TIMEOUT_MS, default 15 s). */
  bodyIdleMs: number;
  /** An idle keep-alive connection is closed after this (TESSERA_KEEP_ALIVE_TIMEOUT_MS, default 5 s). */
  keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = {
  headersMs: 20_000,
  requestMs: 120_000,
  bodyIdleMs: 15_000,
  keepAliveMs: 5_000,
};

export const TIMEOUT_VARS: Record<keyof ServerTimeouts, string> = {
  headersMs: "TESSERA_HEADERS_TIMEOUT_MS",
  requestMs: "TESSERA_REQUEST_TIMEOUT_MS",
  bodyIdleMs: "TESSERA_BODY_IDLE_TIMEOUT_MS",
  keepAliveMs: "TESSERA_KEEP_ALIVE_TIMEOUT_MS",
};

/** Server timeouts from the environment over the defaults; throws naming the variable when one is not a positive integer. */
export function timeoutsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerTimeouts {
  const timeouts = { ...DEFAULT_TIMEOUTS };
  for (const key of Object.keys(TIMEOUT_VARS) as (keyof ServerTimeouts)[]) {
    const n = positiveInt(env, TIMEOUT_VARS[key]);
    if (n !== undefined) timeouts[key] = n;
  }
  // Node refuses a headers timeout longer than the request timeout; say which variables clash.
  if (timeouts.headersMs > timeouts.requestMs) {
    throw new RangeError(
      `TESSERA_HEADERS_TIMEOUT_MS (${timeouts.headersMs}) must not be longer than TESSERA_REQUEST_TIMEOUT_MS (${timeouts.requestMs})`,
    );
  }
  return timeouts;
}

/**
 * The API tokens: TESSERA_API_TOKEN and the comma-separated TESSERA_API_TOKENS together. Each
 * token is its own owner of jobs, so several callers share a gateway without seeing each
 * other's jobs. Empty entries are ignored.
 */
export function tokensFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const all = [env.TESSERA_API_TOKEN ?? "", ...(env.TESSERA_API_TOKENS ?? "").split(",")].map((t) => t.trim());
  return [...new Set(all.filter((t) => t !== ""))];
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * How long an ended job (its result and manifest) is kept: TESSERA_RESULT_TTL, a whole number
 * with a unit (`90s`, `30m`, `24h`, `7d`; plain digits are seconds), default 24 h. It is
 * deleted with its blobs after that.
 */
export function resultTtlFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TESSERA_RESULT_TTL;
  if (raw === undefined || raw.trim() === "") return DEFAULTS.resultTtlMs;
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? "s"] as number) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new RangeError(
      `TESSERA_RESULT_TTL must be a positive duration such as 3600, 90m, 24h or 7d, got ${JSON.stringify(raw)}`,
    );
  }
  return ms;
}
