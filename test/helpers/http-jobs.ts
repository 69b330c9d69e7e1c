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
