/**
 * Gateway limits and settings, with defaults and environment overrides. Checked when the
 * gateway is built (not on the first request), with the variable named in the message.
 */

export interface Limits {
  /** Largest upload in bytes (TESSERA_MAX_UPLOAD_BYTES, default 50 MB). */
  maxUploadBytes: number;
  /** Largest image in pixels, checked from the header before decoding (TESSERA_MAX_PIXELS, default 100 MP). */
  maxPixels: number;
  /** Most steps in one pipeline (TESSERA_MAX_STEPS, default 32). */
  maxSteps: number;
  /** Jobs queued or running at once before new ones get 429 (TESSERA_MAX_ACTIVE_JOBS, default 16). */
  maxActiveJobs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxUploadBytes: 50 * 1024 * 1024,
  maxPixels: 100_000_000,
  maxSteps: 32,
  maxActiveJobs: 16,
};

const VARS: Record<keyof Limits, string> = {
  maxUploadBytes: "TESSERA_MAX_UPLOAD_BYTES",
  maxPixels: "TESSERA_MAX_PIXELS",
  maxSteps: "TESSERA_MAX_STEPS",
  maxActiveJobs: "TESSERA_MAX_ACTIVE_JOBS",
};

/** Limits from the environment over the defaults; throws naming the variable when one is not a positive integer. */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(VARS) as (keyof Limits)[]) {
    const raw = env[VARS[key]];
    if (raw === undefined || raw === "") continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`${VARS[key]} must be a positive integer, got ${JSON.stringify(raw)}`);
    limits[key] = n;
  }
  return limits;
}
