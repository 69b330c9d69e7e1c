// The HTTP API in process (app.request, no port): every route, every error status, and a suite
// of hostile inputs after which the gateway is healthy, its data directory holds nothing but
// the jobs it accepted, and a valid job still succeeds.

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError, ClusterView, JobView, OpView } from "../../edge/api-types.js";
import { createApp } from "../../edge/app.js";
import { DEFAULT_LIMITS } from "../../edge/config.js";
import { IiifInfoSchema } from "../../edge/routes/tiles.js";
import { UPLOAD_TEMP_PREFIX } from "../../edge/upload.js";
import { type EmbeddedGateway, startEmbeddedGateway } from "../../roles/gateway.js";
import { encoded, photoBytes, pngBomb, truncated } from "../helpers/bad-images.js";
import { compare, describe as describeDiff, loadPhoto } from "../helpers/images.js";
import { jobForm } from "../helpers/job-form.js";
import { kernels } from "../helpers/kernels.js";

const dataDir = mkdtempSync(join(tmpdir(), "tessera-api-"));
const LIMITS = { ...DEFAULT_LIMITS, maxUploadBytes: 3 * 1024 * 1024, maxPixels: 4_000_000 };
let gw: EmbeddedGateway;
let app: Hono;

beforeAll(async () => {
  gw = await startEmbeddedGateway({ dataDir, threads: 2, limits: LIMITS });
  app = createApp(gw);
});
afterAll(async () => {
  await gw.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = async (body: FormData | string, headers?: Record<string, string>): Promise<Response> =>
  app.request("/v1/jobs", { method: "POST", body, ...(headers && { headers }) });

/** A form with fields in order, repeats allowed (FormData.set would keep only the last). */
function formOf(entries: [string, string | Buffer][]): FormData {
  const f = new FormData();
  for (const [k, v] of entries) {
    if (typeof v === "string") f.append(k, v);
    else f.append(k, new Blob([new Uint8Array(v)]), "upload.bin");
  }
  return f;
}

/** A multipart body written by hand, so it can end where no client would end it. */
const postRaw = (body: string): Promise<Response> => post(body, { "content-type": "multipart/form-data; boundary=x" });
const filePart = (bytes: string): string =>
  `--x\r\nContent-Disposition: form-data; name="image"; filename="a"\r\nContent-Type: application/octet-stream\r\n\r\n${bytes}`;
const fieldPart = (name: string, value: string): string =>
  `--x\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

/** A valid 24-bit BMP (no codec here writes one): a file header, a BITMAPINFOHEADER, then rows. */
function bmp(width: number, height: number): Buffer {
  const row = Math.ceil((width * 3) / 4) * 4;
  const b = Buffer.alloc(54 + row * height, 0x80);
  b.write("BM", 0, "ascii");
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(0, 6);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(0, 30);
  b.writeUInt32LE(row * height, 34);
  b.fill(0, 38, 54);
  return b;
}

/** Sends a multipart body as a stream of chunks with no Content-Length, as a chunked upload arrives. */
async function postStreamed(body: FormData): Promise<Response> {
  const encoded = new Response(body);
  const bytes = new Uint8Array(await encoded.arrayBuffer());
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
      controller.close();
    },
  });
  const headers = { "content-type": encoded.headers.get("content-type") ?? "" };
  return app.request("/v1/jobs", { method: "POST", body: stream, headers, duplex: "half" } as RequestInit);
}

async function waitFor(id: string): Promise<JobView> {
  for (let i = 0; i < 600; i++) {
    const job = (await (await app.request(`/v1/jobs/${id}`)).json()) as JobView;
    if (["succeeded", "failed", "canceled"].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not end within 30 s`);
}

describe("routes", () => {
  it("GET /healthz, /v1/ops, /v1/openapi.json, /v1/docs, /metrics, /v1/cluster", async () => {
    expect(await (await app.request("/healthz")).json()).toMatchObject({ status: "ok" });
    const ops = (await (await app.request("/v1/ops")).json()) as OpView[];
    expect(ops.map((o) => o.name)).toContain("gaussian-blur");
    expect(ops.find((o) => o.name === "gaussian-blur")?.params[0]).toMatchObject({
      name: "sigma",
      min: 0.3,
      max: 50,
      default: 1,
    });
    const doc = (await (await app.request("/v1/openapi.json")).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/v1/jobs/{id}/result");
    expect(await (await app.request("/v1/docs")).text()).toContain("<h1>Tessera API v1</h1>");
    const metrics = await (await app.request("/metrics")).text();
    expect(metrics).toContain("tessera_queue_messages");
    expect(metrics).toContain("tessera_process_cpu_seconds_total");
    const cluster = (await (await app.request("/v1/cluster")).json()) as ClusterView;
    expect(cluster.workers[0]).toMatchObject({ alive: true, threads: 2 });
    expect(Object.keys(cluster.queues).sort()).toEqual(["events", "tiles"]);
  });

  it("runs a job: 202, progress, SSE to the end, results in three formats, byte-identical", async () => {
    const pipeline = "gaussian-blur(sigma=2) | sobel";
    const res = await post(jobForm({ image: photoBytes("coffee.png"), pipeline, tileSize: "128" }));
    expect(res.status).toBe(202);
    const job = (await res.json()) as JobView;
    expect(res.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({ pipeline, width: 600, height: 400, grid: { tileSize: 128, cols: 5, rows: 4 } });
    const events = await (await app.request(`/v1/jobs/${job.id}/events`)).text();
    expect(events).toContain("event: end");
    const done = await waitFor(job.id);
    expect(done).toMatchObject({
      status: "succeeded",
      progress: { done: 20, total: 20 },
      resultUrl: `/v1/jobs/${job.id}/result`,
    });
    expect(Object.keys(done.tileWorkers).length).toBeGreaterThan(0);
    const png = await app.request(`/v1/jobs/${job.id}/result`);
    expect(png.headers.get("content-type")).toBe("image/png");
    const { data } = await sharp(Buffer.from(await png.arrayBuffer()))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const photo = await loadPhoto("coffee.png");
    expect(describeDiff(compare(data, (await kernels()).run(photo, pipeline).data, photo.width))).toBe("max diff 0");
    for (const [format, type] of [
      ["jpeg", "image/jpeg"],
      ["webp", "image/webp"],
    ]) {
      const r = await app.request(`/v1/jobs/${job.id}/result?format=${format}`);
      expect([r.status, r.headers.get("content-type")]).toEqual([200, type]);
      expect((await sharp(Buffer.from(await r.arrayBuffer())).metadata()).format).toBe(format);
    }
    // Without tokens a job id is its only key: the list of ids is not handed out.
    const list = await app.request("/v1/jobs");
    expect(list.status).toBe(403);
    expect(((await list.json()) as ApiError).error.code).toBe("LISTING_DISABLED");
  });

  it("re-encodes a download at the quality or compression asked for, and says what is wrong with a bad one", async () => {
    const res = await post(jobForm({ image: photoBytes("coffee.png"), pipeline: "sepia" }));
    const job = (await res.json()) as JobView;
    expect((await waitFor(job.id)).status).toBe("succeeded");
    const size = async (query: string) => {
      const r = await app.request(`/v1/jobs/${job.id}/result?${query}`);
      expect(r.status, query).toBe(200);
      return (await r.arrayBuffer()).byteLength;
    };
    const [q30, q95] = [await size("format=jpeg&quality=30"), await size("format=jpeg&quality=95")];
    expect(q30).toBeLessThan(q95);
    expect(await size("format=webp&quality=20")).toBeLessThan(await size("format=webp&quality=90"));
    expect(await size("compression=0")).toBeGreaterThan(await size("compression=9")); // the job's own PNG
    for (const [query, message] of [
      ["format=jpeg&quality=0", 'quality must be a whole number from 1 to 100, got "0"'],
      ["format=jpeg&quality=8e1", 'quality must be a whole number from 1 to 100, got "8e1"'],
      ["quality=80", "quality applies to jpeg, webp, avif, not png"],
      ["format=jpeg&compression=9", "compression applies to png, not jpeg"],
    ]) {
      const r = await app.request(`/v1/jobs/${job.id}/result?${query}`);
      expect([r.status, ((await r.json()) as ApiError).error.message]).toEqual([400, message]);
    }
  });

  it("serves a Deep Zoom and a IIIF result's files under /tiles/, as a viewer asks for them", async () => {
    const pipeline = "gaussian-blur(sigma=2) | sobel";
    const photo = await loadPhoto("coffee.png"); // 600×400: 3×2 tiles of 256 at full resolution
    const want = (await kernels()).run(photo, pipeline).data;
    const pixels = async (r: Response) =>
      (
        await sharp(Buffer.from(await r.arrayBuffer()))
          .ensureAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true })
      ).data;
    const wantTile = (x: number, y: number, w: number, h: number) => {
      const out = new Uint8ClampedArray(w * h * 4);
      for (let row = 0; row < h; row++)
        out.set(want.subarray(((y + row) * 600 + x) * 4, ((y + row) * 600 + x + w) * 4), row * w * 4);
      return out;
    };
    const run = async (format: string) => {
      const res = await post(jobForm({ image: photoBytes("coffee.png"), pipeline, format }));
      expect(res.status).toBe(202);
      const job = (await res.json()) as JobView;
      expect((await waitFor(job.id)).status).toBe("succeeded");
      return `/v1/jobs/${job.id}`;
    };

    const dzi = await run("dzi");
    const descriptor = await app.request(`${dzi}/tiles/result.dzi`);
    expect([descriptor.status, descriptor.headers.get("content-type")]).toEqual([200, "application/xml"]);
    expect(await descriptor.text()).toContain('<Size Width="600" Height="400"/>');
    const corner = await app.request(`${dzi}/tiles/result_files/10/2_1.png`); // ceil(log2 600) = 10
    expect([corner.status, corner.headers.get("content-type")]).toEqual([200, "image/png"]);
    expect(describeDiff(compare(await pixels(corner), wantTile(512, 256, 88, 144), 88))).toBe("max diff 0");
    const download = await app.request(`${dzi}/result`);
    expect(download.headers.get("content-disposition")).toMatch(/\.dzi"$/);
    expect((await app.request(`${dzi}/result?format=png`)).status).toBe(400);
    for (const bad of ["result_files/10/9_9.png", "..%2Fmanifest.json", "result_files//1"])
      expect((await app.request(`${dzi}/tiles/${bad}`)).status).toBe(404);

    const iiif = await run("iiif");
    const info = await app.request(`${iiif}/tiles/info.json`);
    expect(info.headers.get("content-type")).toBe("application/json");
    const body = await info.json();
    expect(body).toMatchObject({ id: `http://localhost${iiif}/tiles`, width: 600, height: 400 });
    expect(IiifInfoSchema.safeParse(body).error).toBeUndefined(); // what the OpenAPI document declares
    const region = await app.request(`${iiif}/tiles/256,0,256,256/256,256/0/default.png`);
    expect(describeDiff(compare(await pixels(region), wantTile(256, 0, 256, 256), 256))).toBe("max diff 0");

    const png = await run("png");
    expect((await app.request(`${png}/tiles/result.dzi`)).status).toBe(404);
  });

  it("deletes an ended job with DELETE: 204, then 404, and its blobs are gone", async () => {
    const res = await post(jobForm({ image: photoBytes("coffee.png"), pipeline: "invert" }));
    const job = (await res.json()) as JobView;
    expect((await waitFor(job.id)).status).toBe("succeeded");
    expect(readdirSync(join(dataDir, "jobs"))).toContain(job.id);
    const del = await app.request(`/v1/jobs/${job.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await app.request(`/v1/jobs/${job.id}`)).status).toBe(404);
    expect((await app.request(`/v1/jobs/${job.id}/result`)).status).toBe(404);
    expect(readdirSync(join(dataDir, "jobs"))).not.toContain(job.id);
    expect((await app.request(`/v1/jobs/${job.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("cancels a job with DELETE", async () => {
    const res = await post(
      jobForm({ image: photoBytes("retina.jpg"), pipeline: "median(radius=6) | gaussian-blur(sigma=8)", tileSize: "64" }),
    );
    const job = (await res.json()) as JobView;
    const del = await app.request(`/v1/jobs/${job.id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(((await del.json()) as JobView).status).toBe("canceled");
    expect((await waitFor(job.id)).status).toBe("canceled");
    const result = await app.request(`/v1/jobs/${job.id}/result`);
    expect(result.status).toBe(409);
  });
});

describe("bad input", () => {
  const ok = (image: Buffer | Blob) => jobForm({ image, pipeline: "invert" });
  const coffee = photoBytes("coffee.png");
  const cases: [string, () => Response | Promise<Response>, number, string][] = [
    ["truncated PNG", () => post(ok(truncated(coffee))), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["truncated JPEG", () => post(ok(truncated(photoBytes("rocket.jpg")))), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["truncated WebP", async () => post(ok(truncated(await encoded("webp", 400, 300), 0.5))), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["truncated TIFF", async () => post(ok(truncated(await encoded("tiff", 400, 300), 0.5))), 415, "UNSUPPORTED_MEDIA_TYPE"],
    [
      "text named .jpg",
      () => post(jobForm({ image: new File(["just some text"], "photo.jpg"), pipeline: "invert" })),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    ["zero-byte file", () => post(ok(Buffer.alloc(0))), 415, "UNSUPPORTED_MEDIA_TYPE"],
    [
      "random bytes",
      () => post(ok(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255)))),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    [
      "an SVG (not a raster photo)",
      () => post(ok(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'))),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    ["decompression-bomb PNG (20000², 400 MP)", () => post(ok(pngBomb())), 422, "TOO_MANY_PIXELS"],
    [
      "image over the pixel limit",
      async () =>
        post(
          ok(
            await sharp({ create: { width: 2500, height: 2000, channels: 3, background: "#345" } })
              .png()
              .toBuffer(),
          ),
        ),
      422,
      "TOO_MANY_PIXELS",
    ],
    [
      "body over the byte limit",
      () => post(ok(Buffer.concat([coffee, Buffer.alloc(LIMITS.maxUploadBytes)]))),
      413,
      "PAYLOAD_TOO_LARGE",
    ],
    [
      "chunked body over the byte limit (no Content-Length)",
      () => postStreamed(ok(Buffer.concat([coffee, Buffer.alloc(LIMITS.maxUploadBytes)]))),
      413,
      "PAYLOAD_TOO_LARGE",
    ],
    ["unknown op", () => post(jobForm({ image: coffee, pipeline: "frobnicate" })), 400, "INVALID_PIPELINE"],
    ["NaN param", () => post(jobForm({ image: coffee, pipeline: "gaussian-blur(sigma=NaN)" })), 400, "INVALID_PIPELINE"],
    ["Infinity param", () => post(jobForm({ image: coffee, pipeline: "brightness(delta=Infinity)" })), 400, "INVALID_PIPELINE"],
    [
      "string param",
      () => post(jobForm({ image: coffee, pipeline: '[{"op":"contrast","factor":"high"}]' })),
      400,
      "INVALID_PIPELINE",
    ],
    ["negative param", () => post(jobForm({ image: coffee, pipeline: "median(radius=-3)" })), 400, "INVALID_PIPELINE"],
    ["unknown param", () => post(jobForm({ image: coffee, pipeline: "sobel(radius=3)" })), 400, "INVALID_PIPELINE"],
    [
      "1000-step pipeline",
      () => post(jobForm({ image: coffee, pipeline: Array(1000).fill("invert").join(" | ") })),
      400,
      "INVALID_PIPELINE",
    ],
    [
      "33 steps (over the step limit)",
      () => post(jobForm({ image: coffee, pipeline: Array(33).fill("invert").join(" | ") })),
      400,
      "INVALID_PIPELINE",
    ],
    ["malformed JSON pipeline", () => post(jobForm({ image: coffee, pipeline: '[{"op":"sobel"' })), 400, "INVALID_PIPELINE"],
    ["empty pipeline", () => post(jobForm({ image: coffee, pipeline: " " })), 400, "INVALID_PIPELINE"],
    ["missing image", () => post(jobForm({ pipeline: "invert" })), 400, "BAD_REQUEST"],
    ["image sent as text", () => post(jobForm({ image: "not a file", pipeline: "invert" })), 400, "BAD_REQUEST"],
    ["missing pipeline", () => post(jobForm({ image: coffee })), 400, "BAD_REQUEST"],
    ["unknown output format", () => post(jobForm({ image: coffee, pipeline: "invert", format: "bmp" })), 400, "BAD_REQUEST"],
    ["tile size below 16", () => post(jobForm({ image: coffee, pipeline: "invert", tileSize: "8" })), 400, "BAD_REQUEST"],
    ["tile size not a number", () => post(jobForm({ image: coffee, pipeline: "invert", tileSize: "big" })), 400, "BAD_REQUEST"],
    ["tile size 1e3", () => post(jobForm({ image: coffee, pipeline: "invert", tileSize: "1e3" })), 400, "BAD_REQUEST"],
    ["tile size 0x100", () => post(jobForm({ image: coffee, pipeline: "invert", tileSize: "0x100" })), 400, "BAD_REQUEST"],
    ['tile size " 256 "', () => post(jobForm({ image: coffee, pipeline: "invert", tileSize: " 256 " })), 400, "BAD_REQUEST"],
    [
      "tile size under the image's floor (too many tiles)",
      async () =>
        post(
          jobForm({
            image: await sharp({ create: { width: 2000, height: 2000, channels: 3, background: "#345" } })
              .png()
              .toBuffer(),
            pipeline: "invert",
            tileSize: "16",
          }),
        ),
      400,
      "BAD_REQUEST",
    ],
    ["a BMP", () => post(ok(bmp(40, 30))), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["multipart cut off inside the file", () => postRaw(filePart("abc")), 400, "BAD_REQUEST"],
    [
      "multipart cut off inside the file, after a pipeline",
      () => postRaw(fieldPart("pipeline", "invert") + filePart(coffee.subarray(0, 2000).toString("latin1"))),
      400,
      "BAD_REQUEST",
    ],
    [
      "pipeline field over the field size (it would be cut, and the cut pipeline run)",
      () => post(jobForm({ image: coffee, pipeline: `invert${" ".repeat(70_000)}` })),
      413,
      "PAYLOAD_TOO_LARGE",
    ],
    [
      "17 text fields (busboy drops the 17th)",
      () =>
        post(
          formOf([
            ["pipeline", "invert"],
            ...Array.from({ length: 16 }, (_, i): [string, string] => [`extra${i}`, "x"]),
            ["image", coffee],
          ]),
        ),
      400,
      "BAD_REQUEST",
    ],
    [
      "pipeline twice",
      () =>
        post(
          formOf([
            ["image", coffee],
            ["pipeline", "invert"],
            ["pipeline", "sobel"],
          ]),
        ),
      400,
      "BAD_REQUEST",
    ],
    [
      "image twice",
      () =>
        post(
          formOf([
            ["image", coffee],
            ["image", coffee],
            ["pipeline", "invert"],
          ]),
        ),
      400,
      "BAD_REQUEST",
    ],
    [
      "JSON body instead of multipart",
      () => post(JSON.stringify({ pipeline: "invert" }), { "content-type": "application/json" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    ["plain text body", () => post("invert", { "content-type": "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
    [
      "multipart with a broken boundary",
      () => post("--nope\r\n\r\n", { "content-type": "multipart/form-data; boundary=xyz" }),
      400,
      "BAD_REQUEST",
    ],
    ["job id with ../", () => app.request("/v1/jobs/..%2F..%2Fetc%2Fpasswd"), 404, "NOT_FOUND"],
    ["unknown job id", () => app.request("/v1/jobs/6f1c2a4e-0000-4000-8000-000000000000"), 404, "NOT_FOUND"],
    ["result of an unknown job", () => app.request("/v1/jobs/../manifest.json/result"), 404, "NOT_FOUND"],
    ["DELETE of an unknown job", () => app.request("/v1/jobs/abc", { method: "DELETE" }), 404, "NOT_FOUND"],
    ["events of an unknown job", () => app.request("/v1/jobs/abc/events"), 404, "NOT_FOUND"],
    ["unknown route", () => app.request("/v2/jobs"), 404, "NOT_FOUND"],
    ["unknown /v1 route", () => app.request("/v1/nope"), 404, "NOT_FOUND"],
  ];

  it.each(cases)("%s → the documented status and a JSON error", async (_name, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = (await res.json()) as ApiError;
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
  });

  it("names what was wrong: the tile size floor, BMP, the field, the step limit's variable", async () => {
    const message = async (res: Response | Promise<Response>) => ((await (await res).json()) as ApiError).error.message;
    const big = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: "#345" } })
      .png()
      .toBuffer();
    expect(await message(post(jobForm({ image: big, pipeline: "invert", tileSize: "16" })))).toMatch(/at least 32/);
    expect(await message(post(ok(bmp(40, 30))))).toMatch(/^BMP is not supported; send JPEG, PNG, WebP, TIFF, GIF or AVIF/);
    expect(
      await message(
        post(
          formOf([
            ["image", coffee],
            ["pipeline", "invert"],
            ["pipeline", "invert"],
          ]),
        ),
      ),
    ).toMatch(/"pipeline" appears more than once/);
    for (const n of [33, 1000]) {
      expect(await message(post(jobForm({ image: coffee, pipeline: Array(n).fill("invert").join(" | ") })))).toBe(
        `pipeline has ${n} steps; at most 32 are allowed (TESSERA_MAX_STEPS)`,
      );
    }
  });

  it("leaves the gateway healthy, the data directory clean, and valid jobs working", async () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect((await app.request("/healthz")).status).toBe(200);
    const accepted = new Set(gw.coordinator.list().map((j) => j.id));
    const jobsDir = join(dataDir, "jobs");
    for (const entry of readdirSync(jobsDir)) expect(accepted.has(entry), `stray ${entry}`).toBe(true);
    expect(readdirSync(dataDir).filter((f) => f !== "jobs")).toEqual([]);
    // Uploads are spooled to files as they arrive: once every accepted job is past reading its
    // source, none is left, whether its request was refused, cut off or accepted.
    await Promise.all([...accepted].map((id) => gw.coordinator.wait(id)));
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`${UPLOAD_TEMP_PREFIX}${process.pid}-`))).toEqual([]);
    // A 1×100000 strip is awkward but valid: it is accepted and processed.
    const strip = await sharp({ create: { width: 1, height: 100000, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    const stripJob = (await (await post(jobForm({ image: strip, pipeline: "invert", tileSize: "4096" }))).json()) as JobView;
    expect((await waitFor(stripJob.id)).status).toBe("succeeded");
    const res = await post(jobForm({ image: photoBytes("chelsea.png"), pipeline: "sepia | sharpen" }));
    expect(res.status).toBe(202);
    expect((await waitFor(((await res.json()) as JobView).id)).status).toBe("succeeded");
  });
});

describe("auth", () => {
  it("requires the bearer token when one is set; access_token only where headers cannot go", async () => {
    const locked = createApp({ ...gw, token: "s3cret" });
    expect((await locked.request("/v1/ops")).status).toBe(401);
    expect(((await (await locked.request("/v1/ops")).json()) as ApiError).error.code).toBe("UNAUTHORIZED");
    expect((await locked.request("/v1/ops", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await locked.request("/v1/ops", { headers: { authorization: "Bearer s3cret" } })).status).toBe(200);
    const inQuery = await locked.request("/v1/ops?access_token=s3cret");
    expect(inQuery.status).toBe(401);
    expect(((await inQuery.json()) as ApiError).error.message).toMatch(/access_token= is accepted only on/);
    expect((await locked.request("/healthz")).status).toBe(200);

    const auth = { authorization: "Bearer s3cret" };
    const res = await locked.request("/v1/jobs", {
      method: "POST",
      body: jobForm({ image: photoBytes("coffee.png"), pipeline: "invert" }),
      headers: auth,
    });
    const job = (await res.json()) as JobView;
    expect(res.status).toBe(202);
    expect((await locked.request(`/v1/jobs/${job.id}?access_token=s3cret`)).status).toBe(401);
    expect((await locked.request(`/v1/jobs/${job.id}/events?access_token=s3cret`)).status).toBe(200);
    expect((await waitFor(job.id)).status).toBe("succeeded");
    expect((await locked.request(`/v1/jobs/${job.id}/result?access_token=s3cret`)).status).toBe(200);
    expect((await locked.request(`/v1/jobs/${job.id}/result?access_token=wrong`)).status).toBe(401);
    // The owner stored with the job is a hash, never the token.
    expect(JSON.stringify(gw.coordinator.get(job.id))).not.toContain("s3cret");
  });

  it("with several tokens, each sees only its own jobs; another's job is 404", async () => {
    const shared = createApp(gw, { tokens: ["alice-token", "bob-token"] });
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const submit = async (token: string) => {
      const res = await shared.request("/v1/jobs", {
        method: "POST",
        body: jobForm({ image: photoBytes("coffee.png"), pipeline: "invert" }),
        headers: as(token),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as JobView).id;
    };
    const alices = await submit("alice-token");
    const bobs = await submit("bob-token");
    const list = async (token: string) =>
      ((await (await shared.request("/v1/jobs", { headers: as(token) })).json()) as { jobs: JobView[] }).jobs.map((j) => j.id);
    expect(await list("alice-token")).toEqual([alices]);
    expect(await list("bob-token")).toEqual([bobs]);
    for (const path of [`/v1/jobs/${bobs}`, `/v1/jobs/${bobs}/events`, `/v1/jobs/${bobs}/result`]) {
      expect((await shared.request(path, { headers: as("alice-token") })).status, path).toBe(404);
    }
    expect((await shared.request(`/v1/jobs/${bobs}`, { method: "DELETE", headers: as("alice-token") })).status).toBe(404);
    expect((await shared.request(`/v1/jobs/${bobs}`, { headers: as("bob-token") })).status).toBe(200);
    await waitFor(alices);
    await waitFor(bobs);
  });
});

describe("back-pressure", () => {
  it("answers 429 when the active-job limit is reached, and accepts again once a job ends", async () => {
    const busy = createApp({ ...gw, limits: { ...LIMITS, maxActiveJobs: 1 } });
    const submit = () =>
      busy.request("/v1/jobs", {
        method: "POST",
        body: jobForm({
          image: photoBytes("retina.jpg"),
          pipeline: "median(radius=7) | gaussian-blur(sigma=10)",
          tileSize: "64",
        }),
      });
    const first = (await (await submit()).json()) as JobView;
    const second = await submit();
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await second.json()) as ApiError).error).toMatchObject({ code: "QUEUE_FULL" });
    await app.request(`/v1/jobs/${first.id}`, { method: "DELETE" });
    await waitFor(first.id);
    const third = await submit();
    expect(third.status).toBe(202);
    await app.request(`/v1/jobs/${((await third.json()) as JobView).id}`, { method: "DELETE" });
  });
});

describe("admission", () => {
  it("takes a slot before reading the upload: concurrent POSTs cannot pass the limit", async () => {
    const busy = createApp({ ...gw, limits: { ...LIMITS, maxActiveJobs: 2 } });
    const body = () =>
      jobForm({ image: photoBytes("retina.jpg"), pipeline: "median(radius=7) | gaussian-blur(sigma=10)", tileSize: "64" });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => busy.request("/v1/jobs", { method: "POST", body: body() })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(2);
    expect(statuses.every((s) => s === 202 || s === 429)).toBe(true);
    for (const r of answers.filter((a) => a.status === 202)) {
      const id = ((await r.json()) as JobView).id;
      await app.request(`/v1/jobs/${id}`, { method: "DELETE" });
      await waitFor(id);
    }
  });

  it("gives the slot back when a submission fails, whatever failed", async () => {
    const busy = createApp({ ...gw, limits: { ...LIMITS, maxActiveJobs: 2 } });
    const failing = [
      () => jobForm({ image: truncated(photoBytes("rocket.jpg")), pipeline: "invert" }),
      () => jobForm({ image: photoBytes("coffee.png"), pipeline: "frobnicate" }),
      () => jobForm({ image: photoBytes("coffee.png"), pipeline: "invert", tileSize: "0x100" }),
    ];
    for (let i = 0; i < 20; i++) {
      const res = await busy.request("/v1/jobs", { method: "POST", body: (failing[i % failing.length] as () => FormData)() });
      expect(res.status).not.toBe(202);
      expect(res.status).not.toBe(429);
    }
    for (let i = 0; i < 20; i++) expect((await busy.request("/v1/jobs", { method: "POST", body: "--x" })).status).toBe(415);
    const good = await busy.request("/v1/jobs", {
      method: "POST",
      body: jobForm({ image: photoBytes("coffee.png"), pipeline: "invert" }),
    });
    expect(good.status).toBe(202);
    expect((await waitFor(((await good.json()) as JobView).id)).status).toBe("succeeded");
  });

  it("bounds the pixels of the jobs in progress: the second large image waits (429), an impossible one is 422", async () => {
    const image = await sharp({ create: { width: 1500, height: 1500, channels: 3, background: "#123" } })
      .png()
      .toBuffer();
    const narrow = createApp({ ...gw, limits: { ...LIMITS, maxActivePixels: 3_000_000 } });
    const send = () =>
      narrow.request("/v1/jobs", {
        method: "POST",
        body: jobForm({ image, pipeline: "median(radius=7) | gaussian-blur(sigma=10)", tileSize: "64" }),
      });
    const first = await send();
    expect(first.status).toBe(202);
    const second = await send();
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await second.json()) as ApiError).error.message).toMatch(/TESSERA_MAX_ACTIVE_PIXELS/);
    const id = ((await first.json()) as JobView).id;
    await app.request(`/v1/jobs/${id}`, { method: "DELETE" });
    await waitFor(id);
    const tiny = createApp({ ...gw, limits: { ...LIMITS, maxActivePixels: 1_000_000 } });
    const never = await tiny.request("/v1/jobs", { method: "POST", body: jobForm({ image, pipeline: "invert" }) });
    expect(never.status).toBe(422);
    const costly = createApp({ ...gw, limits: { ...LIMITS, maxPixelSteps: 1_000_000 } });
    const heavy = await costly.request("/v1/jobs", { method: "POST", body: jobForm({ image, pipeline: "invert" }) });
    expect([heavy.status, ((await heavy.json()) as ApiError).error.code]).toEqual([422, "JOB_TOO_LARGE"]);
  });
});
