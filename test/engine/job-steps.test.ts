// Progress through every part of a job, not only its tiles: while the result is being built
// (every tile done), a job says so, and its listeners hear it; the bar is not yet full.

import { parsePipeline } from "@tessera/kernels";
import { afterAll, beforeAll, expect, it } from "vitest";
import { toJobView } from "../../edge/job-view.js";
import { stageText } from "../../edge/web/src/job-ui.ts";
import { setPhaseProbe } from "../../engine/phase-probe.js";
import { SharpCodec } from "../../infra/adapters/sharp-codec.js";
import { type Embedded, startEmbedded } from "../../roles/embedded.js";
import { loadPhoto } from "../helpers/images.js";

let embedded: Embedded;
beforeAll(async () => {
  embedded = await startEmbedded({ codec: new SharpCodec(), threads: 2, loops: 2, pollMs: 50 });
});
afterAll(async () => {
  setPhaseProbe(undefined);
  await embedded.stop();
});

it("shows each step of a running job, 'building the result' once every tile is done, and none once it ends", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reached!: () => void;
  const atEncode = new Promise<void>((resolve) => {
    reached = resolve;
  });
  // Hold the job where its result is about to be stored.
  setPhaseProbe(async (_id, phase) => {
    if (phase !== "encode") return;
    reached();
    await held;
  });
  const steps = parsePipeline("gaussian-blur(sigma=1) | equalize | sobel"); // two stages, a reduction between
  const job = await embedded.coordinator.submit(await loadPhoto("coffee.png", 256), steps, { format: "webp", tileSize: 64 });
  const heard = new Set<string>();
  embedded.coordinator.subscribe(job.id, ({ job: j }) => heard.add(toJobView(j).step ?? "none"));
  await atEncode;
  const view = toJobView(embedded.coordinator.get(job.id) as NonNullable<ReturnType<typeof embedded.coordinator.get>>);
  expect([view.status, view.step, view.progress.done === view.progress.total]).toEqual(["running", "finish", true]);
  expect(stageText(view, view.stages.length)).toBe("building the result");
  release();
  const done = await embedded.coordinator.wait(job.id);
  expect(done.status).toBe("succeeded");
  expect(toJobView(done).step).toBeUndefined();
  expect([...heard]).toEqual(expect.arrayContaining(["stages", "reduce", "finish"]));
});

it("counts the finish in the ETA once a job of its kind has finished, and counts it down while it runs", async () => {
  const steps = parsePipeline("gaussian-blur(sigma=1) | sobel");
  const image = await loadPhoto("coffee.png", 256);
  const first = await embedded.coordinator.submit(image, steps, { format: "png", tileSize: 64 });
  expect((await embedded.coordinator.wait(first.id)).finishEstimateMs).toBeUndefined(); // nothing known before it
  // The next job of the same kind (PNG, pieces joined) starts with an estimate from the first.
  const second = await embedded.coordinator.submit(image, steps, { format: "png", tileSize: 64 });
  const done = await embedded.coordinator.wait(second.id);
  expect(done.finishEstimateMs).toBeGreaterThanOrEqual(0);
  expect(done.finishStartedAt).toBeGreaterThanOrEqual(done.createdAt);
  // Another kind (JPEG) knows nothing yet.
  const other = await embedded.coordinator.submit(image, steps, { format: "jpeg", tileSize: 64 });
  expect((await embedded.coordinator.wait(other.id)).finishEstimateMs).toBeUndefined();

  // The ETA itself, on the manifest at given moments: 10 of 40 tiles in 2 s, a 3 s finish.
  const t0 = done.createdAt;
  const running = { ...done, status: "running" as const, finishEstimateMs: 3000, stages: [{ done: 10, total: 40 }] };
  expect(toJobView({ ...running, step: "stages" }, t0 + 2000).etaSeconds).toBe(9); // 6 s of tiles + 3 s
  expect(toJobView({ ...running, step: "stages", finishEstimateMs: undefined }, t0 + 2000).etaSeconds).toBe(6);
  const finishing = { ...running, step: "finish" as const, stages: [{ done: 40, total: 40 }], finishStartedAt: t0 + 8000 };
  expect(toJobView(finishing, t0 + 9000).etaSeconds).toBe(2);
  expect(toJobView(finishing, t0 + 20_000).etaSeconds).toBe(0); // late: never negative
  expect(toJobView({ ...finishing, finishEstimateMs: undefined }, t0 + 9000).etaSeconds).toBeNull();
});
