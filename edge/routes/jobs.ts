/** /v1/jobs: submit, list, follow (SSE, WebSocket), fetch results, cancel and delete. */

import { type Pipeline, parsePipeline } from "@tessera/kernels";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { UpgradeWebSocket } from "hono/ws";
import { isJobId, type JobManifest, TERMINAL } from "../../engine/job.js";
import { OUTPUT_FORMATS, type OutputFormat } from "../../engine/ports/codec.js";
import { MAX_TILES, MIN_TILE_SIZE, minTileSizeFor } from "../../engine/tiling.js";
import { type Admission, admissionFor, Busy, type Reservation } from "../admission.js";
import type { JobEvent } from "../api-types.js";
import { callerOf } from "../auth.js";
import type { Limits } from "../config.js";
import type { Gateway } from "../gateway.js";
import { HttpError, notFound } from "../http-errors.js";
import { toJobView } from "../job-view.js";
import { refuseUnsupported } from "../sniff.js";
import { readUpload } from "../upload.js";

const RESULT_TYPES: Record<string, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  tiff: "image/tiff",
  avif: "image/avif",
};
const DOWNLOAD_FORMATS = ["png", "jpeg", "webp"] as const;
export const MAX_TILE_SIZE = 4096;

/**
 * The job, if the caller may see it; otherwise 404, the same answer as for an id that does
 * not exist, so another owner's job ids cannot be probed. A job without an owner (submitted
 * while the gateway had no tokens) is reachable by anyone who has its id.
 */
function jobOr404(gw: Gateway, c: Context, id: string): JobManifest {
  const job = isJobId(id) ? gw.coordinator.get(id) : undefined;
  const caller = callerOf(c);
  if (!job || (caller !== undefined && job.owner !== undefined && job.owner !== caller)) {
    throw notFound(`job ${JSON.stringify(id.slice(0, 64))}`);
  }
  return job;
}

const tooManySteps = (n: number, limits: Limits): HttpError =>
  new HttpError(400, "INVALID_PIPELINE", `pipeline has ${n} steps; at most ${limits.maxSteps} are allowed (TESSERA_MAX_STEPS)`);

/** The pipeline, with the step limit named the same way whichever layer noticed it. */
function parseSteps(text: string, limits: Limits): Pipeline {
  let steps: Pipeline;
  try {
    steps = parsePipeline(text);
  } catch (err) {
    // The kernels have their own, higher cap (256); a pipeline over it is over ours too.
    const over = /^pipeline has (\d+) steps; at most \d+ are allowed/.exec((err as Error).message);
    if (over) throw tooManySteps(Number(over[1]), limits);
    throw err;
  }
  if (steps.length > limits.maxSteps) throw tooManySteps(steps.length, limits);
  return steps;
}

/** `tileSize` as plain decimal digits: Number() would also take "1e3", "0x100" and " 256 ". */
function parseTileSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const size = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(size >= MIN_TILE_SIZE && size <= MAX_TILE_SIZE)) {
    throw new HttpError(
      400,
      "BAD_REQUEST",
      `tileSize must be a whole number of pixels from ${MIN_TILE_SIZE} to ${MAX_TILE_SIZE}, in plain digits, got ${JSON.stringify(text.slice(0, 20))}`,
    );
  }
  return size;
}

/** Everything between the slot and the job: the upload, its checks, the job's creation. */
async function createJob(gw: Gateway, c: Context, reservation: Reservation): Promise<JobManifest> {
  const limits = gw.limits;
  const { image, fields: body } = await readUpload(c.req.raw, limits.maxUploadBytes);
  if (!image) throw new HttpError(400, "BAD_REQUEST", 'missing field "image": the image file to process');
  const text = body.pipeline;
  if (!text) throw new HttpError(400, "BAD_REQUEST", 'missing field "pipeline", e.g. "gaussian-blur(sigma=2) | sobel"');
  const steps = parseSteps(text, limits);
  const format = (body.format ?? "png") as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format))
    throw new HttpError(400, "BAD_REQUEST", `format must be one of ${OUTPUT_FORMATS.join(", ")}`);
  const tileSize = parseTileSize(body.tileSize);

  refuseUnsupported(image);
  const header = await gw.codec.probe(image);
  const pixels = header.width * header.height;
  if (pixels > limits.maxPixels) {
    throw new HttpError(
      422,
      "TOO_MANY_PIXELS",
      `the image is ${header.width}×${header.height} = ${pixels} pixels; the limit is ${limits.maxPixels} (TESSERA_MAX_PIXELS)`,
    );
  }
  // Every check that needs only the header comes before any pixel is decoded.
  const floor = minTileSizeFor(header.width, header.height);
  if (tileSize !== undefined && tileSize < floor) {
    throw new HttpError(
      400,
      "BAD_REQUEST",
      `tileSize ${tileSize} would cut a ${header.width}×${header.height} image into more than ${MAX_TILES} tiles; use at least ${floor}`,
    );
  }
  const cost = pixels * steps.length;
  if (cost > limits.maxPixelSteps) {
    throw new HttpError(
      422,
      "JOB_TOO_LARGE",
      `${pixels} pixels through ${steps.length} steps is ${cost} pixel-steps; the limit is ${limits.maxPixelSteps} (TESSERA_MAX_PIXEL_STEPS): use fewer steps or a smaller image`,
    );
  }
  reservation.claimPixels(pixels);

  const owner = callerOf(c);
  try {
    // The encoded image goes to the coordinator as it came: the first stage cuts or decodes it
    // band by band, so the 202 does not wait for a decode.
    return await gw.coordinator.submit(image, steps, {
      format,
      ...(tileSize !== undefined && { tileSize }),
      ...(owner !== undefined && { owner }),
    });
  } catch (err) {
    // The coordinator's own tile-count check (the same floor as above): a request error, not a bug.
    if (err instanceof RangeError) throw new HttpError(400, "BAD_REQUEST", err.message);
    throw err;
  }
}

async function submit(gw: Gateway, admission: Admission, c: Context): Promise<Response> {
  let reservation: Reservation | undefined;
  try {
    // A slot before a byte of the upload is read: the limit holds however many POSTs race.
    reservation = admission.reserve(gw.limits);
    const job = await createJob(gw, c, reservation);
    reservation.bind(job.id);
    gw.metrics.jobsSubmitted.inc();
    return c.json(toJobView(job), 202, { Location: `/v1/jobs/${job.id}` });
  } catch (err) {
    // Whatever failed, the slot is free again (release() after bind() does nothing).
    reservation?.release();
    if (err instanceof Busy) c.header("Retry-After", String(err.retryAfter));
    throw err;
  }
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
  // Made now, after the gateway resumed its jobs, so those hold their slots from the start.
  const admission = admissionFor(gw.coordinator);

  app.post("/", (c) => submit(gw, admission, c));

  app.get("/", (c) => {
    const caller = callerOf(c);
    if (caller === undefined) {
      // Without tokens a job's id is its only key: listing ids would hand every job to anyone.
      throw new HttpError(
        403,
        "LISTING_DISABLED",
        "listing jobs needs an API token: with no TESSERA_API_TOKEN or TESSERA_API_TOKENS on the gateway, a job's id is its only key, so ids are not listed; keep the id POST /v1/jobs answered",
      );
    }
    const jobs = gw.coordinator
      .list()
      .filter((j) => j.owner === caller)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, 50)
      .map((j) => toJobView(j));
    return c.json({ jobs });
  });

  app.get("/:id", (c) => c.json(toJobView(jobOr404(gw, c, c.req.param("id")))));

  app.delete("/:id", async (c) => {
    const job = jobOr404(gw, c, c.req.param("id"));
    if (!TERMINAL.has(job.status)) {
      const canceled = await gw.coordinator.cancel(job.id);
      return c.json(toJobView(canceled ?? job));
    }
    // Ended: delete it and its blobs. remove() says false if it is gone already (a DELETE that raced).
    if (await gw.coordinator.remove(job.id)) return c.body(null, 204);
    throw notFound(`job ${JSON.stringify(job.id)}`);
  });

  app.get("/:id/events", (c) => {
    const id = jobOr404(gw, c, c.req.param("id")).id;
    return streamSSE(c, async (stream) => {
      // Writes go through one chain so events keep their order and the stream ends only
      // after the last one is out; a failed write (the client left) ends nothing else.
      let chain = Promise.resolve();
      const write = (e: JobEvent): void => {
        chain = chain.then(() => stream.writeSSE({ event: e.type, data: JSON.stringify(e) })).catch(() => {});
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
        if (!now) {
          off();
          return finish();
        }
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
        const job = jobOr404(gw, c, c.req.param("id") ?? "");
        let off = (): void => {};
        return {
          onOpen(_event, ws) {
            // A send to a socket the client just closed must not throw into the coordinator's listener.
            const send = (e: JobEvent): void => {
              try {
                ws.send(JSON.stringify(e));
              } catch {
                off();
              }
            };
            send({ type: TERMINAL.has(job.status) ? "end" : "job", job: toJobView(job) });
            if (TERMINAL.has(job.status)) return ws.close();
            off = follow(gw, job.id, send, () => ws.close());
          },
          onClose: () => off(),
          onError: () => off(),
        };
      }),
    );
  }

  app.get("/:id/result", async (c) => {
    const job = jobOr404(gw, c, c.req.param("id"));
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
      // The link may carry ?access_token=: do not send it on as a Referer from this response.
      "Referrer-Policy": "no-referrer",
    });
  });

  return app;
}
