// The OpenAPI document cannot drift from the code: it is generated from the routes' own schemas
// (edge/schemas.ts), and here every route in it is called (app.request, no port) and each actual
// response is checked against the route's declaration: the status is one it lists, the content
// type one it lists for that status, the headers it lists are there, and a JSON body (and each
// server-sent event) parses with the schema the document was generated from.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeWebSocket } from "@hono/node-ws";
import type { OpenAPIHono, z } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { BlankEnv } from "hono/types";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobView } from "../../edge/api-types.js";
import { createApp } from "../../edge/app.js";
import { DEFAULT_LIMITS } from "../../edge/config.js";
import { openApiDocument } from "../../edge/openapi.js";
import { type EmbeddedGateway, startEmbeddedGateway } from "../../roles/gateway.js";
import { photoBytes } from "../helpers/bad-images.js";
import { jobForm } from "../helpers/job-form.js";

const dataDir = mkdtempSync(join(tmpdir(), "tessera-openapi-"));
const LIMITS = { ...DEFAULT_LIMITS, maxUploadBytes: 3 * 1024 * 1024, maxPixels: 4_000_000 };
const TOKEN = "openapi-token";
let gw: EmbeddedGateway;
/** Without tokens, with the WebSocket route (as `tessera serve` builds it). */
let app: OpenAPIHono<BlankEnv>;
/** With a token: listing works, and a request without it is 401. */
let locked: OpenAPIHono<BlankEnv>;
/** Admits no job: every POST is 429. */
let full: OpenAPIHono<BlankEnv>;

interface Declared {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema: unknown }>;
}
interface RouteDef {
  method: string;
  path: string;
  responses: Record<string, Declared>;
}

/** Every route the app declared, by "METHOD /path" as the document names it. */
const routes = new Map<string, RouteDef>();
/** Which routes the test called, and which of their statuses it saw. */
const seen = new Map<string, Set<string>>();

beforeAll(async () => {
  gw = await startEmbeddedGateway({ dataDir, threads: 2, limits: LIMITS });
  const { upgradeWebSocket } = createNodeWebSocket({ app: new Hono() });
  app = createApp(gw, { upgradeWebSocket });
  locked = createApp(gw, { tokens: [TOKEN] });
  full = createApp({ ...gw, limits: { ...LIMITS, maxActiveJobs: 0 } });
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== "route") continue;
    const route = def.route as unknown as RouteDef;
    routes.set(`${route.method.toUpperCase()} ${route.path}`, route);
  }
});
afterAll(async () => {
  await gw.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const isZod = (s: unknown): s is z.ZodType => typeof (s as z.ZodType | undefined)?.safeParse === "function";

/** The document's path for a concrete one: `/v1/jobs/<uuid>/result` → `/v1/jobs/{id}/result`. */
function templateOf(method: string, path: string): string {
  const bare = path.split("?")[0] ?? path;
  for (const key of routes.keys()) {
    const [m, template] = key.split(" ") as [string, string];
    if (m !== method) continue;
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    if (pattern.test(bare)) return key;
  }
  throw new Error(`${method} ${bare} is served but is not in the document`);
}

/**
 * Calls a route and checks the response against its declaration. Returns the response (its
 * body read once, here) and the parsed JSON, if any.
 */
async function call(
  target: OpenAPIHono<BlankEnv>,
  method: string,
  path: string,
  init: RequestInit = {},
): Promise<{ res: Response; json: unknown; text: string }> {
  const key = templateOf(method, path);
  const route = routes.get(key) as RouteDef;
  const res = await target.request(path, { ...init, method });
  const status = String(res.status);
  const declared = route.responses[status];
  expect(
    declared,
    `${key} answered ${status}, which its declaration does not list (${Object.keys(route.responses)})`,
  ).toBeDefined();
  if (!seen.has(key)) seen.set(key, new Set());
  seen.get(key)?.add(status);
  const text = res.status === 204 ? "" : await res.text();
  for (const header of Object.keys(declared?.headers ?? {})) {
    expect(res.headers.get(header), `${key} ${status}: header ${header}`).not.toBeNull();
  }
  const content = declared?.content;
  if (!content) {
    expect(text, `${key} ${status} declares no body`).toBe("");
    return { res, json: undefined, text };
  }
  const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  expect(Object.keys(content), `${key} ${status}: content type ${type}`).toContain(type);
  const schema = content[type]?.schema;
  let json: unknown;
  if (type === "application/json") {
    json = JSON.parse(text);
    expect(isZod(schema), `${key} ${status}: a JSON response has a zod schema`).toBe(true);
    const parsed = (schema as z.ZodType).safeParse(json);
    expect(parsed.success, `${key} ${status}: ${parsed.error?.message}\n${text.slice(0, 500)}`).toBe(true);
  } else if (type === "text/event-stream") {
    const events = text
      .split("\n")
      .filter((l) => l.startsWith("data:"))
      .map((l) => JSON.parse(l.slice(5)));
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      const parsed = (schema as z.ZodType).safeParse(e);
      expect(parsed.success, `${key} event: ${parsed.error?.message}`).toBe(true);
    }
  }
  return { res, json, text };
}

async function waitFor(id: string): Promise<JobView> {
  for (let i = 0; i < 600; i++) {
    const { json } = await call(app, "GET", `/v1/jobs/${id}`);
    const job = json as JobView;
    if (["succeeded", "failed", "canceled"].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not end within 30 s`);
}

const MISSING = "00000000-0000-4000-8000-000000000000";

describe("the OpenAPI document", () => {
  it("is generated from the app's route declarations, and openApiDocument() gives the same one", async () => {
    const { json } = await call(app, "GET", "/v1/openapi.json");
    const doc = json as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(doc.openapi).toBe("3.1.0");
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(
        ([method, op]) => [`${method.toUpperCase()} ${path}`, Object.keys(op.responses).sort()] as const,
      ),
    );
    expect(documented.map(([k]) => k).sort()).toEqual([...routes.keys()].sort());
    for (const [key, statuses] of documented) expect(statuses, key).toEqual(Object.keys(routes.get(key)?.responses ?? {}).sort());
    // The document of a gateway with these limits, without one: what the docs are checked against.
    expect(openApiDocument(LIMITS)).toEqual(doc);
    // `stages` is an array of {done,total}, not a bare array; the status enum is the engine's.
    const components = (doc as unknown as { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } })
      .components.schemas;
    expect(components.Job?.properties?.stages).toMatchObject({ type: "array", items: { $ref: "#/components/schemas/Progress" } });
    expect(components.JobStatus).toMatchObject({ enum: ["queued", "running", "succeeded", "failed", "canceled"] });
  });

  it("every route's responses match their declarations", async () => {
    // Outside /v1.
    await call(app, "GET", "/healthz");
    await call(app, "GET", "/readyz");
    await call(app, "GET", "/metrics");
    // /v1, open and locked.
    await call(app, "GET", "/v1/docs");
    await call(app, "GET", "/v1/ops");
    await call(app, "GET", "/v1/cluster");
    await call(locked, "GET", "/v1/ops");
    await call(locked, "GET", "/v1/openapi.json", { headers: { authorization: "Bearer wrong" } });

    // Submissions: accepted, and each way one is refused.
    const image = photoBytes("coffee.png");
    const accepted = await call(app, "POST", "/v1/jobs", { body: jobForm({ image, pipeline: "invert", tileSize: "128" }) });
    expect(accepted.res.status).toBe(202);
    const job = accepted.json as JobView;
    expect(accepted.res.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
    expect((await call(app, "POST", "/v1/jobs", { body: jobForm({ image }) })).res.status).toBe(400);
    expect((await call(app, "POST", "/v1/jobs", { body: jobForm({ image, pipeline: "no-such-op" }) })).res.status).toBe(400);
    expect(
      (await call(app, "POST", "/v1/jobs", { body: jobForm({ image, pipeline: "invert", tileSize: "1e3" }) })).res.status,
    ).toBe(400);
    expect(
      (await call(app, "POST", "/v1/jobs", { body: "{}", headers: { "content-type": "application/json" } })).res.status,
    ).toBe(415);
    const big = Buffer.alloc(LIMITS.maxUploadBytes + 1);
    expect((await call(app, "POST", "/v1/jobs", { body: jobForm({ image: big, pipeline: "invert" }) })).res.status).toBe(413);
    const huge = await sharp({ create: { width: 2100, height: 2100, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    expect((await call(app, "POST", "/v1/jobs", { body: jobForm({ image: huge, pipeline: "invert" }) })).res.status).toBe(422);
    const busy = await call(full, "POST", "/v1/jobs", { body: jobForm({ image, pipeline: "invert" }) });
    expect(busy.res.status).toBe(429);
    expect(Number(busy.res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await call(locked, "POST", "/v1/jobs", { body: jobForm({ image, pipeline: "invert" }) })).res.status).toBe(401);

    // Listing: off without tokens, the caller's jobs with one.
    expect((await call(app, "GET", "/v1/jobs")).res.status).toBe(403);
    const listed = await call(locked, "GET", "/v1/jobs", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(listed.res.status).toBe(200);

    // A job, its events to the end, its result in its own format and converted, and refusals.
    expect((await call(app, "GET", `/v1/jobs/${job.id}`)).res.status).toBe(200);
    expect((await call(app, "GET", `/v1/jobs/${MISSING}`)).res.status).toBe(404);
    expect((await call(app, "GET", `/v1/jobs/${job.id}/events`)).res.status).toBe(200);
    expect((await call(app, "GET", `/v1/jobs/${MISSING}/events`)).res.status).toBe(404);
    expect((await waitFor(job.id)).status).toBe("succeeded");
    const result = await call(app, "GET", `/v1/jobs/${job.id}/result`);
    expect(result.res.status).toBe(200);
    expect(result.res.headers.get("content-type")).toBe("image/png");
    expect((await call(app, "GET", `/v1/jobs/${job.id}/result?format=webp`)).res.status).toBe(200);
    expect((await call(app, "GET", `/v1/jobs/${job.id}/result?format=gif`)).res.status).toBe(400);
    expect((await call(app, "GET", `/v1/jobs/${MISSING}/result`)).res.status).toBe(404);
    // Not a WebSocket upgrade (app.request cannot make one): the 404 it declares.
    expect((await call(app, "GET", `/v1/jobs/${MISSING}/ws`)).res.status).toBe(404);
    expect((await call(app, "GET", `/v1/jobs/${job.id}/ws`)).res.status).toBe(404);

    // A tile set's files: the descriptor (200), a tile that is not there and a PNG job's (404), and
    // a tile set converted (400).
    const tiles = (
      await call(app, "POST", "/v1/jobs", {
        body: jobForm({ image: photoBytes("coins.png"), pipeline: "invert", format: "dzi" }),
      })
    ).json as JobView;
    expect((await waitFor(tiles.id)).status).toBe("succeeded");
    const dzi = await call(app, "GET", `/v1/jobs/${tiles.id}/tiles/result.dzi`);
    expect([dzi.res.status, dzi.res.headers.get("content-type")]).toEqual([200, "application/xml"]);
    expect((await call(app, "GET", `/v1/jobs/${tiles.id}/tiles/nope.png`)).res.status).toBe(404);
    expect((await call(app, "GET", `/v1/jobs/${job.id}/tiles/result.dzi`)).res.status).toBe(404);
    expect((await call(app, "GET", `/v1/jobs/${tiles.id}/result?format=png`)).res.status).toBe(400);

    // Cancel one that runs (200, or 204 if it ended first), then a canceled job has no result (409).
    const slow = await call(app, "POST", "/v1/jobs", {
      body: jobForm({ image: photoBytes("chelsea.png"), pipeline: "gaussian-blur(sigma=8) | median(radius=3) | sharpen" }),
    });
    const slowJob = slow.json as JobView;
    const canceled = await call(app, "DELETE", `/v1/jobs/${slowJob.id}`);
    if (canceled.res.status === 200) {
      expect((canceled.json as JobView).status).toBe("canceled");
      await waitFor(slowJob.id);
      expect((await call(app, "GET", `/v1/jobs/${slowJob.id}/result`)).res.status).toBe(409);
    }
    // Ended: deleted (204), then gone (404).
    expect((await call(app, "DELETE", `/v1/jobs/${job.id}`)).res.status).toBe(204);
    expect((await call(app, "DELETE", `/v1/jobs/${job.id}`)).res.status).toBe(404);

    // Every route in the document was called.
    expect([...seen.keys()].sort()).toEqual([...routes.keys()].sort());
  }, 60_000);

  it("a route the code serves but the document lacks fails the check", async () => {
    expect(() => templateOf("PATCH", "/v1/jobs/x")).toThrow(/not in the document/);
  });
});
