// Crash safety and final endings, with a real `tessera serve` process: it is SIGKILLed at each
// phase of a job (engine/phase-probe.ts names them; TESSERA_TEST_FAULT makes the process
// kill itself there, see cli/fault-injection.ts), then started again on the same data folder.
// Each job must then finish byte-exact, or, killed before its 202, leave nothing behind.
// And a job canceled at each phase must stay canceled, be counted once, and leave only its
// manifest and stopped marker.

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import type { JobView } from "../../edge/api-types.js";
import { JOB_PHASES, type JobPhase } from "../../engine/phase-probe.js";
import { expectIdenticalResult, getJob, type SubmittedJob, waitForJob } from "../helpers/http-jobs.js";
import { loadPhoto, type TestImage } from "../helpers/images.js";
import { type ServerProcess, startServe } from "../helpers/server.js";

// Two stages with a histogram reduction between them, stitched and encoded by the server:
// every phase is on its path.
const PIPELINE = "gaussian-blur(sigma=1) | equalize | sobel";
const TILE = 64;

let image: TestImage;
let png: Uint8Array;
const started: ServerProcess[] = [];
const folders: string[] = [];

async function photo(): Promise<void> {
  image ??= await loadPhoto("coffee.png", 256);
  png ??= new Uint8Array(
    await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), {
      raw: { width: image.width, height: image.height, channels: 4 },
    })
      .png()
      .toBuffer(),
  );
}

function post(url: string): Promise<Response> {
  const form = new FormData();
  form.set("image", new Blob([png as Uint8Array<ArrayBuffer>], { type: "image/png" }), "coffee.png");
  form.set("pipeline", PIPELINE);
  form.set("tileSize", String(TILE));
  return fetch(`${url}/v1/jobs`, { method: "POST", body: form });
}

async function serve(env: Record<string, string>, dataDir: string): Promise<ServerProcess> {
  const server = await startServe(env, { dataDir });
  started.push(server);
  return server;
}

function dataFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-chaos-"));
  folders.push(dir);
  return dir;
}

/** Every file under the data folder's jobs/, as blob names. */
function jobFiles(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, "jobs"), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(dataDir.length + 1))
      .sort();
  } catch {
    return []; // no jobs/ folder at all
  }
}

/** Resolves with the test-phase line once the server printed it (bounded wait). */
async function reached(server: ServerProcess, phase: JobPhase, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of server.output().split("\n")) {
      if (!line.includes('"test-phase"')) continue;
      const parsed = JSON.parse(line) as { jobId: string; phase: string };
      if (parsed.phase === phase) return parsed.jobId;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the server never reached ${phase}:\n${server.output()}`);
}

/** Submits a job and checks its result byte for byte: the server takes and finishes new work. Resolves with its id. */
async function expectNewJobByteExact(url: string): Promise<string> {
  const response = await post(url);
  expect(response.status).toBe(202);
  const job: SubmittedJob = { id: ((await response.json()) as JobView).id, image, pipeline: PIPELINE };
  await expectIdenticalResult(
    url,
    job,
    await waitForJob(
      () => url,
      job.id,
      () => false,
      60_000,
    ),
  );
  return job.id;
}

function exited(server: ServerProcess): Promise<NodeJS.Signals | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return Promise.resolve(server.child.signalCode);
  return new Promise((resolve) => server.child.once("exit", (_code, signal) => resolve(signal)));
}

afterEach(async () => {
  for (const server of started.splice(0)) await server.stop();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("tessera serve SIGKILLed at each phase, then started again on the same data", () => {
  it("split: the upload was never acknowledged; after the restart nothing of it is left", async () => {
    await photo();
    const dataDir = dataFolder();
    const first = await serve({ TESSERA_TEST_FAULT: "kill:split" }, dataDir);
    await expect(post(first.url)).rejects.toThrow(); // the connection dies with the process
    expect(await exited(first)).toBe("SIGKILL");
    expect(jobFiles(dataDir).length, "the killed POST had written its manifest").toBeGreaterThan(0);

    const second = await serve({}, dataDir);
    expect(jobFiles(dataDir)).toEqual([]);
    await expectNewJobByteExact(second.url);
  });

  for (const phase of JOB_PHASES.filter((p) => p !== "split")) {
    it(`${phase}: the job resumes and its result is byte-exact; only the manifest and result remain`, async () => {
      await photo();
      const dataDir = dataFolder();
      const first = await serve({ TESSERA_TEST_FAULT: `kill:${phase}` }, dataDir);
      const response = await post(first.url);
      expect(response.status).toBe(202);
      const job: SubmittedJob = { id: ((await response.json()) as JobView).id, image, pipeline: PIPELINE };
      expect(await exited(first)).toBe("SIGKILL");
      expect(first.output()).toContain(`"phase":"${phase}"`);

      const second = await serve({}, dataDir);
      const view = await waitForJob(
        () => second.url,
        job.id,
        () => false,
        60_000,
      );
      await expectIdenticalResult(second.url, job, view);
      expect(jobFiles(dataDir)).toEqual([`jobs/${job.id}/manifest.json`, `jobs/${job.id}/result.png`]);
      await expectNewJobByteExact(second.url);
    });
  }
});

describe("a job canceled at each phase stays canceled", () => {
  for (const phase of JOB_PHASES.filter((p) => p !== "finish")) {
    it(`${phase}: canceled, counted once, and only its manifest and stopped marker remain`, async () => {
      await photo();
      const dataDir = dataFolder();
      // The job waits 1.5 s at the phase: the cancel lands there, and the job then goes on
      // trying to finish, which must change nothing.
      const server = await serve({ TESSERA_TEST_FAULT: `pause:${phase}:1500` }, dataDir);
      const posting = post(server.url);
      const id = await reached(server, phase);
      // Another job, submitted now, runs through the same phase while this one is canceled.
      const bystander = expectNewJobByteExact(server.url);
      const canceled = await fetch(`${server.url}/v1/jobs/${id}`, { method: "DELETE" });
      expect(((await canceled.json()) as JobView).status).toBe("canceled");
      const answer = await posting;
      expect(answer.status).toBe(202);
      // Canceled inside its own POST (split): the answer says so, not "running".
      if (phase === "split") expect(((await answer.json()) as JobView).status).toBe("canceled");

      // Past the pause, and then some: the job has had every chance to change its ending.
      await new Promise((r) => setTimeout(r, 3_000));
      expect((await getJob(server.url, id)).status).toBe("canceled");
      expect((await fetch(`${server.url}/v1/jobs/${id}/result`)).status).toBe(409);
      const other = await bystander;
      // Each ending counted once: the canceled job's, and the bystander's success.
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/tessera_jobs_total\{status="canceled"\} 1\n/);
      expect(metrics).toMatch(/tessera_jobs_total\{status="succeeded"\} 1\n/);
      expect(jobFiles(dataDir).filter((name) => !name.startsWith(`jobs/${other}/`))).toEqual([
        `jobs/${id}/manifest.json`,
        `jobs/${id}/stopped`,
      ]);
    });
  }
});
