/** /v1/jobs: submit, list, follow (SSE, WebSocket), fetch results, cancel and delete. */

import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { BlankEnv } from "hono/types";
import type { UpgradeWebSocket } from "hono/ws";
import { isJobId, type JobManifest, TERMINAL } from "../../engine/job.js";
import { ENCODE_RANGES, type EncodeOptions, isTileSet, type OutputFormat } from "../../engine/ports/codec.js";
import { admissionFor } from "../admission.js";
import { AnalysisResultSchema } from "../analysis-schema.js";
import type { JobEvent } from "../api-types.js";
import { callerOf } from "../auth.js";
import type { Gateway } from "../gateway.js";
import { HttpError, notFound, validationHook } from "../http-errors.js";
import { toJobView } from "../job-view.js";
import { DOWNLOAD_FORMATS, MAX_TILE_SIZE, submitFormSchema } from "../schemas.js";
import { analysisDownload } from "./analysis-download.js";
import {
  deleteRoute,
  eventsRoute,
  getRoute,
  listRoute,
  RESULT_TYPES,
  resultRoute,
  submitRoute,
  tilesRoute,
  wsRoute,
} from "./job-routes.js";
import { submit } from "./submit.js";
import { tileFile, withIiifId } from "./tiles.js";

export { MAX_TILE_SIZE };

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

export function jobRoutes(gw: Gateway, upgradeWebSocket?: UpgradeWebSocket): OpenAPIHono<BlankEnv> {
  const app = new OpenAPIHono<BlankEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.register("SubmitForm", submitFormSchema(gw.limits));
  app.openAPIRegistry.register("AnalysisResult", AnalysisResultSchema);
  // Made now, after the gateway resumed its jobs, so those hold their slots from the start.
  const admission = admissionFor(gw.coordinator);

  app.openapi(submitRoute, (c) => submit(gw, admission, c));

  app.openapi(listRoute, (c) => {
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
    return c.json({ jobs }, 200);
  });

  app.openapi(getRoute, (c) => c.json(toJobView(jobOr404(gw, c, c.req.valid("param").id)), 200));

  app.openapi(deleteRoute, async (c) => {
    const job = jobOr404(gw, c, c.req.valid("param").id);
    if (!TERMINAL.has(job.status)) {
      const canceled = await gw.coordinator.cancel(job.id);
      return c.json(toJobView(canceled ?? job), 200);
    }
    // Ended: delete it and its blobs. remove() says false if it is gone already (a DELETE that raced).
    if (await gw.coordinator.remove(job.id)) return c.body(null, 204);
    throw notFound(`job ${JSON.stringify(job.id)}`);
  });

  app.openapi(eventsRoute, (c) => {
    const id = jobOr404(gw, c, c.req.valid("param").id).id;
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
    // Declared with its responses; the handler is the upgrade itself, a middleware that hands a
    // request that is not an upgrade on to the 404 of a path nothing serves.
    app.openAPIRegistry.registerPath(wsRoute);
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

  app.openapi(resultRoute, async (c) => {
    const job = jobOr404(gw, c, c.req.valid("param").id);
    if (job.status !== "succeeded" || !job.result) {
      throw new HttpError(409, "NOT_READY", `job ${job.id} is ${job.status}; a result exists once it has succeeded`);
    }
    const query = c.req.valid("query");
    const wanted = query.format ?? job.format;
    if (job.format === "json" || wanted === "json") {
      const bytes = await analysisDownload(gw, job, wanted, (format) => encodeOptionsOf(format, query));
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, downloadHeaders(job, wanted));
    }
    if (isTileSet(job.format) && wanted !== job.format) {
      throw new HttpError(
        400,
        "BAD_REQUEST",
        `a ${job.format} result is a set of tiles and cannot be converted; its files are under /v1/jobs/${job.id}/tiles/`,
      );
    }
    if (wanted !== job.format && !(DOWNLOAD_FORMATS as readonly string[]).includes(wanted)) {
      throw new HttpError(400, "BAD_REQUEST", `format must be one of ${DOWNLOAD_FORMATS.join(", ")}`);
    }
    const options = encodeOptionsOf(wanted as OutputFormat, query);
    let bytes = await gw.blobs.get(job.result);
    if (job.format === "iiif") bytes = withIiifId(bytes, new URL(`/v1/jobs/${job.id}/tiles`, c.req.url).href);
    if (wanted !== job.format || Object.keys(options).length > 0)
      bytes = await gw.codec.encode(await gw.codec.decode(bytes), wanted as OutputFormat, options);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, downloadHeaders(job, wanted));
  });

  // Declared with its responses; served by a plain route, since `path` spans several segments.
  app.openAPIRegistry.registerPath(tilesRoute);
  app.get("/:id/tiles/*", async (c) => {
    const id = c.req.param("id");
    const job = jobOr404(gw, c, id);
    const path = decodeURIComponent(c.req.path.slice(c.req.path.indexOf(`/${id}/tiles/`) + id.length + 8));
    return tileFile(gw, c, job, path);
  });

  return app;
}

/** The headers of a result download in `format`. */
function downloadHeaders(job: JobManifest, format: string): Record<string, string> {
  return {
    "Content-Type": RESULT_TYPES[format] ?? "application/octet-stream",
    "Content-Disposition": `attachment; filename="tessera-${job.id.slice(0, 8)}.${EXTENSIONS[format] ?? format}"`,
    "Cache-Control": "private, max-age=31536000, immutable",
    // The link may carry ?access_token=: do not send it on as a Referer from this response.
    "Referrer-Policy": "no-referrer",
  };
}

/**
 * `quality` (JPEG, WebP, AVIF) and `compression` (PNG) of a download, checked: plain digits in
 * range, for a format that has the setting; a 400 says which and why.
 */
function encodeOptionsOf(format: OutputFormat, query: { quality?: string; compression?: string }): EncodeOptions {
  const options: { quality?: number; compression?: number } = {};
  for (const [name, formats] of [
    ["quality", ["jpeg", "webp", "avif"]],
    ["compression", ["png"]],
  ] as const) {
    const raw = query[name];
    if (raw === undefined) continue;
    const { min, max } = ENCODE_RANGES[name];
    if (!(formats as readonly string[]).includes(format))
      throw new HttpError(400, "BAD_REQUEST", `${name} applies to ${formats.join(", ")}, not ${format}`);
    const value = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= min && value <= max))
      throw new HttpError(
        400,
        "BAD_REQUEST",
        `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 20))}`,
      );
    options[name] = value;
  }
  return options;
}

/** File name extensions of downloads, where they differ from the format's name. */
const EXTENSIONS: Record<string, string> = { jpeg: "jpg", iiif: "info.json" };
