// A real `tessera serve` process attacked over real sockets: multipart bodies cut short, bodies
// that stall, concurrent POSTs past the limits, pixel bombs, oversized and repeated fields,
// odd tile sizes, a BMP, unknown routes, and callers reaching for each other's jobs. After each
// attack the process is still alive, /healthz answers, and a normal job submitted alongside
// finishes byte-exact; at the end the data directory holds nothing of a rejected request.

import { existsSync, readdirSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { parsePipeline } from "@tessera/kernels";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError, JobView } from "../../edge/api-types.js";
import { photoBytes, truncated } from "../helpers/bad-images.js";
import { expectIdenticalResult, finished, submitJob, waitForJob } from "../helpers/http-jobs.js";
import { compare, describe as describeDiff, loadPhoto } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { type ServerProcess, startServe } from "../helpers/server.js";

const IDLE_MS = 1000;
const ALICE = "alice-secret-token-1";
const BOB = "bob-secret-token-2";
const SLOW_PIPELINE = "median(radius=7) | gaussian-blur(sigma=10)";

let open: ServerProcess; // no tokens: ids are the only key
let shared: ServerProcess; // two tokens, two owners
/** Every job either server accepted: the only ones whose folders may be in the data directory. */
const accepted = new Set<string>();

beforeAll(async () => {
  const quiet = { TESSERA_API_TOKEN: "", TESSERA_API_TOKENS: "" };
  [open, shared] = await Promise.all([
    startServe({
      ...quiet,
      TESSERA_MAX_ACTIVE_JOBS: "2",
      // One 100 MP image fits, two do not.
      TESSERA_MAX_ACTIVE_PIXELS: "150000000",
      TESSERA_BODY_IDLE_TIMEOUT_MS: String(IDLE_MS),
      TESSERA_HEADERS_TIMEOUT_MS: String(IDLE_MS),
    }),
    startServe({ ...quiet, TESSERA_API_TOKENS: `${ALICE}, ${BOB}` }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([open?.stop(), shared?.stop()]);
});

// ─── helpers ──────────────────────────────────────────────────────────────────────────────────

function form(fields: [string, string | Buffer][]): FormData {
  const f = new FormData();
  for (const [k, v] of fields) {
    if (typeof v === "string") f.append(k, v);
    else f.append(k, new Blob([new Uint8Array(v)]), "upload.bin");
  }
  return f;
}

async function post(s: ServerProcess, body: FormData | Buffer | string, headers: Record<string, string> = {}) {
  const init: RequestInit = { method: "POST", headers };
  init.body = typeof body === "string" || body instanceof FormData ? body : new Uint8Array(body);
  const res = await fetch(`${s.url}/v1/jobs`, init);
  const json = (await res.json()) as JobView & ApiError;
  if (res.status === 202) accepted.add(json.id);
  return { status: res.status, json, headers: res.headers };
}

const multipart = (body: string | Buffer) =>
  post(open, typeof body === "string" ? Buffer.from(body, "latin1") : body, {
    "content-type": "multipart/form-data; boundary=x",
  });

/** The process is alive, /healthz answers, and a normal job finishes byte-exact. */
async function stillServing(s: ServerProcess = open): Promise<void> {
  expect(s.child.exitCode, s.output()).toBeNull();
  expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  const job = await submitJob(s.url, "coffee.png", 160, "gaussian-blur(sigma=2) | sobel", 64);
  accepted.add(job.id);
  await expectIdenticalResult(s.url, job, await waitForJob(() => s.url, job.id, finished, 30_000));
}

/** Cancels jobs and waits until they have ended, so their slots are free again. */
async function endJobs(s: ServerProcess, ids: string[], headers: Record<string, string> = {}): Promise<void> {
  for (const id of ids) await fetch(`${s.url}/v1/jobs/${id}`, { method: "DELETE", headers });
  for (const id of ids) {
    for (let i = 0; i < 600; i++) {
      const job = (await (await fetch(`${s.url}/v1/jobs/${id}`, { headers })).json()) as JobView;
      if (finished(job)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Writes `head` and `body` on a raw socket (then half-closes it if `end`) and resolves when the
 * server closes the connection, with what it sent; rejects if it is still open after `capMs`
 * (a bound on the test, not on the server's speed).
 */
function rawExchange(s: ServerProcess, head: string, body: Buffer, end: boolean, capMs = 15_000): Promise<string> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${capMs} ms; it answered ${JSON.stringify(answer)}`));
    }, capMs);
    socket.on("data", (d) => {
      answer += d.toString("latin1");
    });
    socket.on("error", () => {}); // a reset is one way for the server to close it
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(head);
    socket.write(body);
    if (end) socket.end();
  });
}

const slowJob = () =>
  form([
    ["image", photoBytes("retina.jpg")],
    ["pipeline", SLOW_PIPELINE],
    ["tileSize", "64"],
  ]);

// ─── attacks on a gateway without tokens ───────────────────────────────────────────────────────

describe("tessera serve under attack", () => {
  it("survives multipart bodies that end inside the file part (400, not a dead process)", async () => {
    // The report's curl: a complete HTTP body whose multipart stops mid-file.
    const cut = await multipart('--x\r\nContent-Disposition: form-data; name="image"; filename="a"\r\n\r\nabc');
    expect([cut.status, cut.json.error.code]).toEqual([400, "BAD_REQUEST"]);
    // A real PNG, cut halfway, after a valid pipeline field.
    const png = photoBytes("coffee.png");
    const half = await multipart(
      Buffer.concat([
        Buffer.from('--x\r\nContent-Disposition: form-data; name="pipeline"\r\n\r\ninvert\r\n'),
        Buffer.from('--x\r\nContent-Disposition: form-data; name="image"; filename="c.png"\r\n\r\n'),
        png.subarray(0, png.length >> 1),
        Buffer.from("\r\n--"),
      ]),
    );
    expect(half.status).toBe(400);
    // The connection itself ends mid-file: Content-Length promises more than ever comes.
    const part = Buffer.concat([
      Buffer.from('--x\r\nContent-Disposition: form-data; name="image"; filename="c.png"\r\n\r\n'),
      png.subarray(0, 20_000),
    ]);
    const { host } = new URL(open.url);
    await rawExchange(
      open,
      `POST /v1/jobs HTTP/1.1\r\nHost: ${host}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${png.length + 500}\r\n\r\n`,
      part,
      true,
    );
    await stillServing();
  });

  it("closes a request whose body or headers stall, within the configured timeouts", async () => {
    const { host } = new URL(open.url);
    const answer = await rawExchange(
      open,
      `POST /v1/jobs HTTP/1.1\r\nHost: ${host}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n`,
      Buffer.from('--x\r\nContent-Disposition: form-data; name="pipeline"\r\n\r\ninv'),
      false,
    );
    expect(answer).not.toContain("202 Accepted");
    // Headers that never end are cut off too (TESSERA_HEADERS_TIMEOUT_MS).
    await rawExchange(
      open,
      `POST /v1/jobs HTTP/1.1\r\nHost: ${host}\r\nContent-Type: multipart/form-data`,
      Buffer.alloc(0),
      false,
    );
    await stillServing(); // its slot was given back: the limit is 2 and the normal job gets in
  });

  it("never admits more concurrent POSTs than TESSERA_MAX_ACTIVE_JOBS, with Retry-After on the rest", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(open, slowJob())));
    const ok = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 429);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeLessThanOrEqual(2);
    expect(ok.length + refused.length).toBe(8);
    for (const r of refused) {
      expect(r.json.error.code).toBe("QUEUE_FULL");
      expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
    }
    await endJobs(
      open,
      ok.map((a) => a.json.id),
    );
    await stillServing(); // accepted again once they ended
  });

  it("gives the slot back when a submission fails: 20 failures, then a good job is accepted", async () => {
    const failures = [
      () =>
        form([
          ["image", truncated(photoBytes("rocket.jpg"))],
          ["pipeline", "invert"],
        ]),
      () =>
        form([
          ["image", photoBytes("coffee.png")],
          ["pipeline", "frobnicate"],
        ]),
      () => form([["pipeline", "invert"]]),
    ];
    for (let i = 0; i < 20; i++) {
      const { status } = await post(open, (failures[i % failures.length] as () => FormData)());
      expect([400, 415]).toContain(status);
    }
    await stillServing();
  });

  it("keeps the pixels in progress under TESSERA_MAX_ACTIVE_PIXELS: the second pixel bomb gets 429", async () => {
    // 10000×10000 black pixels: a few hundred KB of PNG, 400 MB once decoded to RGBA.
    const bomb = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: "#000" } })
      .greyscale()
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(1_000_000);
    const before = readdirSync(join(open.dataDir, "jobs"));
    const answers = await Promise.all(
      [0, 1].map(() =>
        post(
          open,
          form([
            ["image", bomb],
            ["pipeline", "invert"],
          ]),
        ),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([202, 429]);
    const refused = answers.find((a) => a.status === 429);
    expect(refused?.json.error.message).toMatch(/TESSERA_MAX_ACTIVE_PIXELS/);
    expect(refused?.headers.get("retry-after")).toMatch(/^\d+$/);
    const id = answers.find((a) => a.status === 202)?.json.id as string;
    // The refused one left nothing behind: the only new folder is the accepted job's.
    expect(readdirSync(join(open.dataDir, "jobs")).filter((d) => !before.includes(d))).toEqual([id]);
    await endJobs(open, [id]);
    await stillServing();
  });

  it("refuses fields busboy would cut or drop, and repeated fields, creating no job", async () => {
    const before = readdirSync(join(open.dataDir, "jobs")).length;
    const coffee = photoBytes("coffee.png");
    // Over the field limit, the pipeline used to be cut at 1 MiB and the cut pipeline run.
    const long = await post(
      open,
      form([
        ["image", coffee],
        ["pipeline", `invert${" ".repeat(70_000)}`],
      ]),
    );
    expect([long.status, long.json.error.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
    const huge = await post(
      open,
      form([
        ["image", coffee],
        ["pipeline", `${"invert | ".repeat(150_000)}invert`],
      ]),
    );
    expect(huge.status).toBe(413);
    const fields: [string, string | Buffer][] = [["pipeline", "invert"]];
    for (let i = 0; i < 16; i++) fields.push([`extra${i}`, "x"]);
    fields.push(["image", coffee]);
    const seventeen = await post(open, form(fields));
    expect(seventeen.status).toBe(400);
    expect(seventeen.json.error.message).toMatch(/more than 16 text fields/);
    const twice = await post(
      open,
      form([
        ["image", coffee],
        ["pipeline", "invert"],
        ["pipeline", "sobel"],
      ]),
    );
    expect([twice.status, twice.json.error.message]).toEqual([400, expect.stringMatching(/"pipeline"/)]);
    const twoImages = await post(
      open,
      form([
        ["image", coffee],
        ["image", coffee],
        ["pipeline", "invert"],
      ]),
    );
    expect([twoImages.status, twoImages.json.error.message]).toEqual([400, expect.stringMatching(/"image"/)]);
    expect(readdirSync(join(open.dataDir, "jobs")).length).toBe(before);
    await stillServing();
  });

  it("takes tileSize only as plain digits, and not under the image's floor", async () => {
    const coffee = photoBytes("coffee.png");
    for (const tileSize of ["1e3", "0x100", " 256 ", "256.0", "+64"]) {
      const r = await post(
        open,
        form([
          ["image", coffee],
          ["pipeline", "invert"],
          ["tileSize", tileSize],
        ]),
      );
      expect([tileSize, r.status, r.json.error?.code]).toEqual([tileSize, 400, "BAD_REQUEST"]);
    }
    const large = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: "#345" } })
      .png()
      .toBuffer();
    const tiny = await post(
      open,
      form([
        ["image", large],
        ["pipeline", "invert"],
        ["tileSize", "16"],
      ]),
    );
    expect(tiny.status).toBe(400);
    expect(tiny.json.error.message).toMatch(/use at least 47\b/);
    await stillServing();
  });

  it("names BMP as unsupported (415), and answers unknown routes with JSON 404s", async () => {
    const bmp = Buffer.alloc(54 + 12 * 4, 0x40);
    bmp.write("BM", 0, "ascii");
    bmp.writeUInt32LE(bmp.length, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(4, 18);
    bmp.writeInt32LE(4, 22);
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    const r = await post(
      open,
      form([
        ["image", bmp],
        ["pipeline", "invert"],
      ]),
    );
    expect(r.status).toBe(415);
    expect(r.json.error.message).toMatch(/^BMP is not supported/);
    for (const [method, path] of [
      ["GET", "/nope"],
      ["GET", "/assets/nope.js"],
      ["GET", "/v1/nope"],
      ["GET", "/v2/jobs"],
      ["POST", "/v1/jobs/x/y"],
    ] as const) {
      const res = await fetch(`${open.url}${path}`, { method });
      expect([path, res.status, res.headers.get("content-type")]).toEqual([path, 404, "application/json"]);
      expect(((await res.json()) as ApiError).error.code).toBe("NOT_FOUND");
    }
    const index = await fetch(`${open.url}/`);
    expect([index.status, index.headers.get("content-type")?.startsWith("text/html")]).toEqual([200, true]);
    await stillServing();
  });

  it("does not list job ids without a token", async () => {
    const res = await fetch(`${open.url}/v1/jobs`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as ApiError).error.code).toBe("LISTING_DISABLED");
  });

  it("deletes a finished job with DELETE: 204, then 404, and its blobs are gone", async () => {
    const job = await submitJob(open.url, "coffee.png", 160, "invert", 64);
    accepted.add(job.id);
    await waitForJob(() => open.url, job.id, finished, 30_000);
    expect(existsSync(join(open.dataDir, "jobs", job.id))).toBe(true);
    expect((await fetch(`${open.url}/v1/jobs/${job.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${open.url}/v1/jobs/${job.id}`)).status).toBe(404);
    expect((await fetch(`${open.url}/v1/jobs/${job.id}/result`)).status).toBe(404);
    expect(existsSync(join(open.dataDir, "jobs", job.id))).toBe(false);
    await stillServing();
  });

  it("leaves nothing of a rejected request in the data directory", async () => {
    for (const entry of readdirSync(join(open.dataDir, "jobs"))) expect(accepted.has(entry), `stray ${entry}`).toBe(true);
    expect(open.child.exitCode, open.output()).toBeNull();
  });
});

// ─── two callers on one gateway ──────────────────────────────────────────────────────────────────

describe("tessera serve with two tokens", () => {
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  async function submitAs(token: string): Promise<string> {
    const r = await post(
      shared,
      form([
        ["image", photoBytes("coffee.png")],
        ["pipeline", "sepia | sharpen"],
      ]),
      as(token),
    );
    expect(r.status).toBe(202);
    return r.json.id;
  }

  it("shows each caller only its own jobs; another's job is 404 on every route", async () => {
    const alices = await submitAs(ALICE);
    const bobs = await submitAs(BOB);
    const list = async (token: string) =>
      ((await (await fetch(`${shared.url}/v1/jobs`, { headers: as(token) })).json()) as { jobs: JobView[] }).jobs.map(
        (j) => j.id,
      );
    expect(await list(ALICE)).toEqual([alices]);
    expect(await list(BOB)).toEqual([bobs]);
    for (const path of ["", "/events", "/result"]) {
      const res = await fetch(`${shared.url}/v1/jobs/${bobs}${path}`, { headers: as(ALICE) });
      expect([path, res.status]).toEqual([path, 404]);
    }
    expect((await fetch(`${shared.url}/v1/jobs/${bobs}`, { method: "DELETE", headers: as(ALICE) })).status).toBe(404);
    expect((await fetch(`${shared.url}/v1/jobs`)).status).toBe(401);
    await endJobs(shared, [alices], as(ALICE));
    await endJobs(shared, [bobs], as(BOB));
  });

  it("takes ?access_token= on /events and /result only, and never logs a token", async () => {
    const id = await submitAs(ALICE);
    const byQuery = await fetch(`${shared.url}/v1/jobs/${id}?access_token=${ALICE}`);
    expect(byQuery.status).toBe(401);
    const events = await (await fetch(`${shared.url}/v1/jobs/${id}/events?access_token=${ALICE}`)).text();
    expect(events).toContain("event: end");
    const view = (await (await fetch(`${shared.url}/v1/jobs/${id}`, { headers: as(ALICE) })).json()) as JobView;
    expect(view.status).toBe("succeeded");
    const result = await fetch(`${shared.url}/v1/jobs/${id}/result?access_token=${ALICE}`);
    expect(result.status).toBe(200);
    // The result is the pipeline run on the whole image, byte for byte.
    const { data } = await sharp(Buffer.from(await result.arrayBuffer()))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const photo = await loadPhoto("coffee.png");
    const want = (await kernels()).run(photo, parsePipeline("sepia | sharpen")).data;
    expect(describeDiff(compare(data, want, photo.width))).toBe("max diff 0");
    expect((await fetch(`${shared.url}/v1/jobs/${id}/result?access_token=${BOB}`)).status).toBe(404);
    expect(shared.output()).not.toContain(ALICE);
    expect(shared.output()).not.toContain(BOB);
    expect(shared.child.exitCode, shared.output()).toBeNull();
    expect((await fetch(`${shared.url}/healthz`)).status).toBe(200);
  });
});
