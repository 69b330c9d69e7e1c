/** /v1/jobs: submit, list, follow (SSE), fetch results, cancel. */

import { parsePipeline } from "@tessera/kernels";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { UpgradeWebSocket } from "hono/ws";
import { isJobId, TERMINAL } from "../../engine/job.js";
import { OUTPUT_FORMATS, type OutputFormat } from "../../engine/ports/codec.js";
import { MIN_TILE_SIZE } from "../../engine/tiling.js";
import type { JobEvent } from "../api-types.js";
import type { Gateway } from "../gateway.js";
import { HttpError, notFound } from "../http-errors.js";
import { toJobView } from "../job-view.js";
import { readUpload } from "../upload.js";

const RESULT_TYPES: Record<string, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  tiff: "image/tiff",
  avif: "image/avif",
};
const DOWNLOAD_FORMATS = ["png", "jpeg", "webp"] as const;
const MAX_TILE_SIZE = 4096;

function jobOr404(gw: Gateway, id: string) {
  const job = isJobId(id) ? gw.coordinator.get(id) : undefined;
  if (!job) throw notFound(`job ${JSON.stringify(id.slice(0, 64))}`);
  return job;
}

async function submit(gw: Gateway, c: Context): Promise<Response> {
  // Refuse before reading a byte of the upload when there is no room for another job.
  const active = gw.coordinator.list().filter((j) => !TERMINAL.has(j.status)).length;
  if (active >= gw.limits.maxActiveJobs) {
    throw new HttpError(
      429,
      "QUEUE_FULL",
      `${active} jobs are queued or running (the limit is ${gw.limits.maxActiveJobs}); retry later`,
    );
  }
  const { image, fields: body } = await readUpload(c.req.raw, gw.limits.maxUploadBytes);
  if (!image) throw new HttpError(400, "BAD_REQUEST", 'missing field "image": the image file to process');
  const text = body.pipeline;
  if (!text) throw new HttpError(400, "BAD_REQUEST", 'missing field "pipeline", e.g. "gaussian-blur(sigma=2) | sobel"');
  const steps = parsePipeline(text);
  if (steps.length > gw.limits.maxSteps) {
    throw new HttpError(400, "INVALID_PIPELINE", `pipeline has ${steps.length} steps; at most ${gw.limits.maxSteps} are allowed`);
  }
  const format = (body.format ?? "png") as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format))
    throw new HttpError(400, "BAD_REQUEST", `format must be one of ${OUTPUT_FORMATS.join(", ")}`);
  const tileText = body.tileSize;
  const tileSize = tileText === undefined ? undefined : Number(tileText);
  if (tileSize !== undefined && (!Number.isInteger(tileSize) || tileSize < MIN_TILE_SIZE || tileSize > MAX_TILE_SIZE)) {
    throw new HttpError(400, "BAD_REQUEST", `tileSize must be an integer between ${MIN_TILE_SIZE} and ${MAX_TILE_SIZE}`);
  }
  const bytes = image;
  const header = await gw.codec.probe(bytes);
  if (header.width * header.height > gw.limits.maxPixels) {
    throw new HttpError(
      422,
      "TOO_MANY_PIXELS",
      `the image is ${header.width}×${header.height} = ${header.width * header.height} pixels; the limit is ${gw.limits.maxPixels}`,
    );
  }
  // The encoded image goes to the coordinator as it came: the first stage cuts or decodes it
  // band by band, so the 202 does not wait for a decode.
  const job = await gw.coordinator.submit(bytes, steps, { format, ...(tileSize && { tileSize }) });
  gw.metrics.jobsSubmitted.inc();
  return c.json(toJobView(job), 202, { Location: `/v1/jobs/${job.id}` });
}

/** Streams a job's events to `send` until it ends; returns the unsubscribe function. */
function follow(gw: Gateway, id: string, send: (e: JobEvent) => void, ended: () => void): () => void {
  const off = gw.coordinator.subscribe(id, ({ job, event }) => {
    // The UI's tile map fills tile by tile: a band's event stands for each of its tiles.
    if (event?.kind === "band-done")
      for (const tile of event.tiles) send({ type: "tile", stage: event.stage, tile, worker: event.worker });
    if (TERMINAL.has(job.status)) {
      send({ type: "end", job: toJobView(job) });
      off();
      ended();
    } else send({ type: "job", job: toJobView(job) });
  });
  return off;
}

export function jobRoutes(gw: Gateway, upgradeWebSocket?: UpgradeWebSocket): Hono {
  const app = new Hono();

  app.post("/", (c) => submit(gw, c));

  app.get("/", (c) => {
    const jobs = gw.coordinator
      .list()
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, 50)
      .map((j) => toJobView(j));
    return c.json({ jobs });
  });

  app.get("/:id", (c) => c.json(toJobView(jobOr404(gw, c.req.param("id")))));

  app.delete("/:id", async (c) => {
    const job = jobOr404(gw, c.req.param("id"));
    const canceled = await gw.coordinator.cancel(job.id);
    return c.json(toJobView(canceled ?? job));
  });

  app.get("/:id/events", (c) => {
    const id = jobOr404(gw, c.req.param("id")).id;
    return streamSSE(c, async (stream) => {
      // Writes go through one chain so events keep their order and the stream ends only
      // after the last one is out.
      let chain = Promise.resolve();
      const write = (e: JobEvent): void => {
        chain = chain.then(() => stream.writeSSE({ event: e.type, data: JSON.stringify(e) }));
      };
      await new Promise<void>((resolve) => {
        const finish = (): void => void chain.then(resolve);
        const off = follow(gw, id, write, finish);
        stream.onAbort(() => {
          off();
          resolve();
        });
        // Subscribed: now read the job, so an end that came first is not missed.
        const now = gw.coordinator.get(id);
        if (!now) return finish();
        if (TERMINAL.has(now.status)) {
          off();
          write({ type: "end", job: toJobView(now) });
          finish();
        } else write({ type: "job", job: toJobView(now) });
      });
    });
  });

  if (upgradeWebSocket) {
    app.get(
      "/:id/ws",
      upgradeWebSocket((c) => {
        const job = jobOr404(gw, c.req.param("id") ?? "");
        let off = (): void => {};
        return {
          onOpen(_event, ws) {
            ws.send(JSON.stringify({ type: TERMINAL.has(job.status) ? "end" : "job", job: toJobView(job) } satisfies JobEvent));
            if (TERMINAL.has(job.status)) return ws.close();
            off = follow(
              gw,
              job.id,
              (e) => ws.send(JSON.stringify(e)),
              () => ws.close(),
            );
          },
          onClose: () => off(),
        };
      }),
    );
  }

  app.get("/:id/result", async (c) => {
    const job = jobOr404(gw, c.req.param("id"));
    if (job.status !== "succeeded" || !job.result) {
      throw new HttpError(409, "NOT_READY", `job ${job.id} is ${job.status}; a result exists once it has succeeded`);
    }
    const wanted = c.req.query("format") ?? job.format;
    if (wanted !== job.format && !(DOWNLOAD_FORMATS as readonly string[]).includes(wanted)) {
      throw new HttpError(400, "BAD_REQUEST", `format must be one of ${DOWNLOAD_FORMATS.join(", ")}`);
    }
    let bytes = await gw.blobs.get(job.result);
    if (wanted !== job.format) bytes = await gw.codec.encode(await gw.codec.decode(bytes), wanted as OutputFormat);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": RESULT_TYPES[wanted] ?? "application/octet-stream",
      "Content-Disposition": `attachment; filename="tessera-${job.id.slice(0, 8)}.${wanted === "jpeg" ? "jpg" : wanted}"`,
      "Cache-Control": "private, max-age=31536000, immutable",
    });
  });

  return app;
}
