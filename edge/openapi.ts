/**
 * The OpenAPI 3.1 document, built from the same sources the gateway validates with: the op
 * registry (each step's params, ranges and defaults) and the limits in force.
 */

import { ops, type ParamSpec } from "@tessera/kernels";
import { OUTPUT_FORMATS } from "../engine/ports/codec.js";
import { MAX_TILES, MIN_TILE_SIZE } from "../engine/tiling.js";
import type { Limits } from "./config.js";
import { MAX_FIELD_BYTES, MAX_FIELDS } from "./upload.js";

function paramSchema(p: ParamSpec): Record<string, unknown> {
  switch (p.type) {
    case "int":
      return { type: "integer", minimum: p.min, maximum: p.max, default: p.default, description: p.description };
    case "number":
      return { type: "number", minimum: p.min, maximum: p.max, default: p.default, description: p.description };
    case "number?":
      return { type: "number", minimum: p.min, maximum: p.max, description: p.description };
    case "enum":
      return { type: "string", enum: [...p.values], default: p.default, description: p.description };
    case "kernel":
      return {
        type: "array",
        items: { type: "number" },
        minItems: 1,
        maxItems: p.maxSide * p.maxSide,
        default: [...p.default],
        description: p.description,
      };
  }
}

/** Where a header cannot be sent (EventSource, a browser WebSocket, a download link); refused on every other route. */
const accessToken = {
  name: "access_token",
  in: "query",
  required: false,
  description: "The bearer token, for clients that cannot send the Authorization header",
  schema: { type: "string" },
};

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

export function openApiDocument(limits: Limits): Record<string, unknown> {
  const steps = [...ops.values()].map((op) => ({
    type: "object",
    title: op.name,
    description: `${op.description} (${op.kind})`,
    required: ["op"],
    additionalProperties: false,
    properties: { op: { const: op.name }, ...Object.fromEntries(op.params.map((p) => [p.name, paramSchema(p)])) },
  }));
  const job = { $ref: "#/components/schemas/Job" };
  return {
    openapi: "3.1.0",
    info: {
      title: "Tessera",
      version: "1",
      description: "Distributed image processing: submit an image and a pipeline, follow its tiles, download the result.",
    },
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description:
            "Only when the gateway has TESSERA_API_TOKEN or TESSERA_API_TOKENS set. Each token owns the jobs it submits; other tokens get 404 for them.",
        },
      },
      schemas: {
        Error: {
          type: "object",
          properties: { error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } } },
        },
        Step: { oneOf: steps },
        Pipeline: { type: "array", items: { $ref: "#/components/schemas/Step" }, minItems: 1, maxItems: limits.maxSteps },
        Job: {
          type: "object",
          properties: {
            id: { type: "string", format: "uuid" },
            status: { enum: ["queued", "running", "succeeded", "failed", "canceled"] },
            pipeline: { type: "string" },
            progress: { type: "object", properties: { done: { type: "integer" }, total: { type: "integer" } } },
            stages: { type: "array" },
            grid: { type: "object" },
            tileWorkers: { type: "object" },
            etaSeconds: { type: ["integer", "null"] },
            resultUrl: { type: "string" },
            error: { type: "object" },
            warning: {
              type: "object",
              description:
                "while running: DEPENDENCY_UNAVAILABLE (waiting out an outage) or STALLED (no band finished for a lock's length)",
              properties: { code: { enum: ["DEPENDENCY_UNAVAILABLE", "STALLED"] }, message: { type: "string" } },
            },
          },
        },
      },
    },
    security: [{}, { bearer: [] }],
    paths: {
      "/v1/jobs": {
        post: {
          summary: "Submit a job",
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": {
                schema: {
                  type: "object",
                  required: ["image", "pipeline"],
                  properties: {
                    image: {
                      type: "string",
                      format: "binary",
                      description: `JPEG, PNG, WebP, TIFF, GIF or AVIF; at most ${limits.maxUploadBytes} bytes and ${limits.maxPixels} pixels`,
                    },
                    pipeline: {
                      type: "string",
                      maxLength: MAX_FIELD_BYTES,
                      description: `Text form "gaussian-blur(sigma=2) | sobel", or the JSON form of #/components/schemas/Pipeline; at most ${limits.maxSteps} steps, and pixels × steps at most ${limits.maxPixelSteps}`,
                    },
                    format: { enum: [...OUTPUT_FORMATS], default: "png" },
                    tileSize: {
                      type: "string",
                      pattern: "^[0-9]+$",
                      description: `Plain decimal digits, ${MIN_TILE_SIZE} to 4096 (default 512), and large enough that the image has at most ${MAX_TILES} tiles`,
                    },
                  },
                  description: `Each field once; at most ${MAX_FIELDS} text fields of ${MAX_FIELD_BYTES} bytes each.`,
                },
              },
            },
          },
          responses: {
            202: { description: "Accepted", content: { "application/json": { schema: job } } },
            400: error("Bad pipeline or fields: a field twice, too many fields, tileSize below the image's floor"),
            401: error("Token required"),
            413: error("Upload or a field too large"),
            415: error("Not an image, an unsupported format (e.g. BMP), or not multipart"),
            422: error("Image over the pixel limit, or the job over the pixel-steps limit"),
            429: {
              ...error("Too many active jobs or pixels (TESSERA_MAX_ACTIVE_JOBS, TESSERA_MAX_ACTIVE_PIXELS); retry later"),
              headers: { "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" } } },
            },
          },
        },
        get: {
          summary: "The caller's recent jobs (needs a token)",
          description:
            "The 50 most recent jobs of the caller's token, newest first. A gateway without tokens does not list jobs (403 LISTING_DISABLED): a job's id is its only key there.",
          responses: { 200: { description: "OK" }, 401: error("Token required"), 403: error("Listing is off: no tokens") },
        },
      },
      "/v1/jobs/{id}": {
        get: {
          summary: "A job",
          responses: { 200: { description: "OK", content: { "application/json": { schema: job } } }, 404: error("No such job") },
        },
        delete: {
          summary: "Cancel a queued or running job (200 with the job), or delete an ended one and its result (204)",
          responses: { 200: { description: "Canceled" }, 204: { description: "Deleted" }, 404: error("No such job") },
        },
      },
      "/v1/jobs/{id}/events": {
        get: {
          summary: "Server-sent events: job, tile, end",
          parameters: [accessToken],
          responses: { 200: { description: "text/event-stream" }, 404: error("No such job") },
        },
      },
      "/v1/jobs/{id}/ws": {
        get: {
          summary: "The same events over a WebSocket",
          parameters: [accessToken],
          responses: { 101: { description: "Switching protocols" } },
        },
      },
      "/v1/jobs/{id}/result": {
        get: {
          summary: "The result image",
          parameters: [{ name: "format", in: "query", schema: { enum: ["png", "jpeg", "webp"] } }, accessToken],
          responses: { 200: { description: "The image" }, 404: error("No such job"), 409: error("Not finished") },
        },
      },
      "/v1/ops": { get: { summary: "The op registry", responses: { 200: { description: "OK" } } } },
      "/v1/cluster": {
        get: {
          summary: "Workers and queues",
          description:
            "Workers from their heartbeats (id, pid, host, threads, tilesDone, lastSeen, alive, busy, rssBytes, cpuSeconds), queue depths (active and dead-lettered), tiles finished per second over the last minute, and the most recent dead-lettered bands (rows of tiles) with their reasons.",
          responses: {
            200: { description: "OK" },
            503: error("The queue or blob storage is unavailable (DEPENDENCY_UNAVAILABLE)"),
          },
        },
      },
      "/metrics": { get: { summary: "Prometheus metrics", responses: { 200: { description: "text/plain" } } } },
      "/healthz": {
        get: {
          summary: "Liveness, with the queue's and blob storage's health",
          responses: {
            200: { description: '{"status":"ok"|"degraded","checks":{"queue":{…},"blobs":{…}}}' },
            503: { description: 'A dependency is down: {"status":"down","checks":{…}} with each reason' },
          },
        },
      },
      "/readyz": {
        get: {
          summary: "Readiness, for load balancers",
          responses: {
            200: { description: "Ready for work" },
            503: { description: "A dependency is down, or the gateway is stopping" },
          },
        },
      },
    },
  };
}

/** A human-readable page of the API, from the same document. */
export function apiPage(doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<
    string,
    Record<string, { summary: string; responses: Record<string, { description: string }> }>
  >;
  const esc = (s: string) => s.replace(/[&<>]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[ch] ?? ch);
  const rows = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(
      ([method, op]) =>
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${esc(path)}</code></td><td>${esc(op.summary)}</td><td>${Object.entries(
          op.responses,
        )
          .map(([s, r]) => `${s} ${esc(r.description)}`)
          .join("<br>")}</td></tr>`,
    ),
  );
  const opRows = [...ops.values()].map(
    (op) =>
      `<tr><td><code>${op.name}</code></td><td>${op.kind}</td><td>${esc(op.description)}</td><td>${op.params
        .map(
          (p) =>
            `<code>${p.name}</code> ${p.type === "enum" ? p.values.join("|") : "min" in p ? `${p.min}..${p.max}` : ""} (default ${esc(JSON.stringify(p.default))})`,
        )
        .join("<br>")}</td></tr>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Tessera API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}code{font-size:90%}</style></head>
<body><h1>Tessera API v1</h1><p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a>. Errors are JSON <code>{"error":{"code","message"}}</code>.</p>
<h2>Routes</h2><table><tr><th></th><th>path</th><th>what</th><th>responses</th></tr>${rows.join("")}</table>
<h2>Ops</h2><table><tr><th>op</th><th>kind</th><th>what</th><th>params</th></tr>${opRows.join("")}</table></body></html>`;
}
