// Jobs through the HTTP API, as a client on another machine would run them: upload a photo,
// follow the job, download and decode the result, and compare it with run() on the whole image.

import { parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
import { expect } from "vitest";
import type { ClusterView, JobView } from "../../edge/api-types.js";
import { compare, describe as describeDiff, loadPhoto, type TestImage } from "./images.js";
import { kernels } from "./kernels.js";

export interface SubmittedJob {
  id: string;
  image: TestImage;
  pipeline: string;
}

export async function submitJob(
  url: string,
  photo: string,
  maxSide: number,
  pipeline: string,
  tileSize: number,
): Promise<SubmittedJob> {
  const image = await loadPhoto(photo, maxSide);
  const png = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
    .png()
    .toBuffer();
  const form = new FormData();
  form.set("image", new Blob([new Uint8Array(png)], { type: "image/png" }), photo.replace(/\.\w+$/, ".png"));
  form.set("pipeline", pipeline);
  form.set("tileSize", String(tileSize));
  const response = await fetch(`${url}/v1/jobs`, { method: "POST", body: form });
  const body = (await response.json()) as JobView;
  expect(response.status, JSON.stringify(body)).toBe(202);
  return { id: body.id, image, pipeline };
}

export async function getJob(url: string, id: string): Promise<JobView> {
  const response = await fetch(`${url}/v1/jobs/${id}`);
  if (response.status !== 200) throw new Error(`GET /v1/jobs/${id}: ${response.status} ${await response.text()}`);
  return (await response.json()) as JobView;
}

export async function getCluster(url: string): Promise<ClusterView> {
  return (await (await fetch(`${url}/v1/cluster`)).json()) as ClusterView;
}

/** Polls until `until(job)` holds (or the job ended), at most `timeoutMs`; a gateway that is down is retried. */
export async function waitForJob(
  url: () => string,
  id: string,
  until: (job: JobView) => boolean,
  timeoutMs = 120_000,
): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  let last: JobView | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await getJob(url(), id);
      if (until(last) || ["succeeded", "failed", "canceled"].includes(last.status)) return last;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `job ${id} did not get there within ${timeoutMs} ms; last seen ${JSON.stringify(last)} ${String(lastError ?? "")}`,
  );
}

export const finished = (job: JobView) => ["succeeded", "failed", "canceled"].includes(job.status);

export interface ProgressWait {
  /** Give up only after this long without any progress (default 60 s). */
  stallMs?: number;
  /** Between looks (default 50 ms). */
  intervalMs?: number;
}

/**
 * Looks again and again until `done(value)`, for as long as it takes, so long as something
 * moves: the deadline is `stallMs` after the last change of `progressOf(value)`. A slow (loaded)
 * machine only makes the wait longer; a stuck system still fails, after `stallMs` of standing
 * still. A look that throws (e.g. a gateway being restarted) counts as no progress.
 */
export async function waitWhileProgressing<T>(
  what: string,
  look: () => Promise<T>,
  done: (value: T) => boolean,
  progressOf: (value: T) => string,
  { stallMs = 60_000, intervalMs = 50 }: ProgressWait = {},
): Promise<T> {
  const started = Date.now();
  let deadline = started + stallMs;
  let seen: string | undefined;
  let last: { value: T } | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await look();
      last = { value };
      lastError = undefined;
      if (done(value)) return value;
      const progress = progressOf(value);
      if (progress !== seen) {
        seen = progress;
        deadline = Date.now() + stallMs;
      }
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `${what}: no progress for ${stallMs} ms (waited ${Date.now() - started} ms in all); ` +
      `last progress ${seen ?? "none"}, last seen ${JSON.stringify(last?.value)} ${String(lastError ?? "")}`,
  );
}

/** What moves while a job runs: its status, its stage, and the tiles done of every stage. */
export const jobProgress = (job: JobView) =>
  `${job.status} stage ${job.stage} ${job.stages.map((s) => s.done).join(",")} (${job.progress.done}/${job.progress.total})`;

/**
 * As waitForJob, but without a fixed deadline: it waits as long as the job makes progress, and
 * fails after `stallMs` (default 60 s) without any. `also` adds other progress to watch, e.g.
 * the number of worker processes while one starts.
 */
export async function waitForJobProgress(
  url: () => string,
  id: string,
  until: (job: JobView) => boolean,
  options: ProgressWait & { also?: () => unknown } = {},
): Promise<JobView> {
  return waitWhileProgressing(
    `job ${id}`,
    () => getJob(url(), id),
    (job) => until(job) || finished(job),
    (job) => `${jobProgress(job)} ${JSON.stringify(options.also?.() ?? null)}`,
    options,
  );
}

/** Every job of `ids` until `until` holds for each (or it ended), while any of them (or `also`) moves. */
export async function waitForJobsProgress(
  url: () => string,
  ids: readonly string[],
  until: (job: JobView) => boolean,
  options: ProgressWait & { also?: () => unknown } = {},
): Promise<JobView[]> {
  return waitWhileProgressing(
    `jobs ${ids.join(", ")}`,
    () => Promise.all(ids.map((id) => getJob(url(), id))),
    (jobs) => jobs.every((job) => until(job) || finished(job)),
    (jobs) => `${jobs.map(jobProgress).join("; ")} ${JSON.stringify(options.also?.() ?? null)}`,
    options,
  );
}
export const fraction = (job: JobView) => job.progress.done / job.progress.total;

/** The job succeeded and its result is byte-identical to run() on the whole image. */
export async function expectIdenticalResult(url: string, job: SubmittedJob, view: JobView): Promise<void> {
  expect(view.status, JSON.stringify(view.error)).toBe("succeeded");
  const response = await fetch(`${url}/v1/jobs/${job.id}/result`);
  expect(response.status).toBe(200);
  const { data } = await sharp(Buffer.from(await response.arrayBuffer()))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const want = (await kernels()).run(job.image, parsePipeline(job.pipeline)).data;
  expect(`${job.pipeline}: ${describeDiff(compare(data, want, job.image.width))}`).toBe(`${job.pipeline}: max diff 0`);
}

/** Which worker processes (ids before the `/loop` suffix) finished tiles of the job's current stage. */
export function workersOf(job: JobView): Set<string> {
  return new Set(Object.values(job.tileWorkers ?? {}).map((w) => String(w).split("/")[0] ?? ""));
}
