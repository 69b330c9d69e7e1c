// Tessera's web UI: pick an image, build a pipeline, see it at once (WebAssembly in a worker),
// then process the full resolution on the cluster and follow its tiles live.

import type { ClusterView, JobView, OpView } from "../../api-types.ts";
import { Api, errorMessage } from "./api.ts";
import { localOpViews, normalizeOps } from "./builder.ts";
import { renderCluster } from "./cluster-ui.ts";
import { byId, h } from "./dom.ts";
import { fitWithin } from "./geometry.ts";
import { formatAge, isTerminal, normalizeJob, percent } from "./job-state.ts";
import { JobPanel } from "./job-ui.ts";
import { PipelineEditor } from "./pipeline-ui.ts";
import { PreviewPool } from "./preview-pool.ts";
import type { FromWorker, ToWorker } from "./preview-protocol.ts";
import { PreviewScheduler } from "./scheduler.ts";

interface ImageLike {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** What a browser test reads after each preview. */
interface TesseraDebug {
  previewInput: ImageLike;
  previewOutput: ImageLike;
  previewPipeline: string;
  previewMs: number;
}

declare global {
  interface Window {
    __tessera?: TesseraDebug;
  }
}

const DEFAULT_PIPELINE = "saturation(factor=1.3) | sharpen(sigma=1.5, amount=0.8)";
const CLUSTER_POLL_MS = 2000;
const JOBS_POLL_MS = 4000;

// ─── API and access token ────────────────────────────────────────────────────────────────────

const auth = byId<HTMLFormElement>("auth");
const tokenInput = byId<HTMLInputElement>("token-input");

function sessionStore(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

const api = new Api({
  base: new URL(".", document.baseURI).toString(),
  storage: sessionStore(),
  onUnauthorized: (failure) => showAuth(failure.message),
});

/** The token the banner last asked about: a dismissed banner stays closed until the token changes. */
let promptedFor: string | null | undefined;

function showAuth(reason?: string, auto = true): void {
  if (auto && auth.hidden && promptedFor === api.token) return;
  promptedFor = api.token;
  byId("auth-message").textContent = api.token
    ? `The gateway refused the access token${reason ? ` (${reason})` : ""}. Enter another one.`
    : `The gateway asks for an access token${reason ? ` (${reason})` : ""}.`;
  if (auth.hidden) {
    auth.hidden = false;
    tokenInput.focus();
  }
}

auth.addEventListener("submit", (e) => {
  e.preventDefault();
  const token = tokenInput.value.trim();
  if (!token) return;
  api.token = token;
  tokenInput.value = "";
  auth.hidden = true;
  void refreshAll();
});
byId("auth-close").addEventListener("click", () => {
  auth.hidden = true;
});
byId("token-clear").addEventListener("click", () => {
  api.token = null;
  auth.hidden = true;
  void refreshAll();
});
byId("token-button").addEventListener("click", () => {
  if (auth.hidden) showAuth(undefined, false);
  else auth.hidden = true;
});

function showError(id: string, message: string | null): void {
  const el = byId(id);
  el.hidden = message === null;
  el.textContent = message ?? "";
}

// ─── image and preview ───────────────────────────────────────────────────────────────────────

const stage = byId("stage");
const preview = byId<HTMLCanvasElement>("preview");
const original = byId<HTMLCanvasElement>("original");
const compare = byId<HTMLInputElement>("compare");
const fileInput = byId<HTMLInputElement>("file");
const processButton = byId<HTMLButtonElement>("process");
const previewMs = byId("preview-ms");

let file: File | null = null;
let input: ImageData | null = null;
let natural = { width: 0, height: 0 };

// One preview worker per core (up to 4): local pipelines run as bands in parallel.
const worker = new PreviewPool(
  () => new Worker(new URL("./preview-worker.ts", import.meta.url), { type: "module", name: "tessera-preview" }),
  Math.min(4, navigator.hardwareConcurrency || 1),
);
const post = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);
const scheduler = new PreviewScheduler((request) => post({ type: "run", id: request.id, pipeline: request.pipeline }));

worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  if (message.type === "ready" || message.type === "band") return; // bands are assembled by the pool
  if (message.type === "error" && message.id === null) {
    previewMs.textContent = "Preview unavailable";
    showError("image-error", `The preview kernels could not start: ${message.message}`);
    preview.dataset.state = "error";
    return;
  }
  const { draw, latest } = scheduler.complete(message.id as number);
  if (message.type === "error") {
    if (latest) {
      preview.dataset.state = "error";
      previewMs.textContent = `Preview failed: ${message.message}`;
    }
    return;
  }
  if (!draw || !input) return;
  const out = new ImageData(message.data as Uint8ClampedArray<ArrayBuffer>, message.width, message.height);
  preview.width = out.width;
  preview.height = out.height;
  preview.getContext("2d")?.putImageData(out, 0, 0);
  window.__tessera = {
    previewInput: input,
    previewOutput: { width: out.width, height: out.height, data: out.data },
    previewPipeline: message.pipeline,
    previewMs: message.ms,
  };
  previewMs.textContent = `Preview ${message.ms.toFixed(1)} ms · ${out.width}×${out.height}${
    natural.width > out.width ? ` (of ${natural.width}×${natural.height})` : ""
  }`;
  if (latest) preview.dataset.state = "ready";
});
worker.addEventListener("error", (event) => {
  event.preventDefault();
  preview.dataset.state = "error";
  showError("image-error", `The preview worker failed: ${event.message || "it could not be loaded"}`);
});

function requestPreview(): void {
  if (!input) return;
  const text = editor.text;
  updateProcessButton();
  if (text === null) return; // the error is shown under the text form; keep the last preview
  preview.dataset.state = "busy";
  scheduler.request(text);
}

async function decode(blob: Blob): Promise<{ source: CanvasImageSource; width: number; height: number }> {
  try {
    const bitmap = await createImageBitmap(blob);
    return { source: bitmap, width: bitmap.width, height: bitmap.height };
  } catch {
    // Some formats (SVG) decode only through an <img>.
    const url = URL.createObjectURL(blob);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return { source: img, width: img.naturalWidth, height: img.naturalHeight };
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

async function loadFile(picked: File): Promise<void> {
  showError("image-error", null);
  let decoded: Awaited<ReturnType<typeof decode>>;
  try {
    decoded = await decode(picked);
  } catch {
    showError("image-error", `${picked.name || "This file"} is not an image this browser can read.`);
    return;
  }
  if (!decoded.width || !decoded.height) {
    showError("image-error", `${picked.name || "This file"} has no pixels.`);
    return;
  }
  const size = fitWithin(decoded.width, decoded.height);
  original.width = size.width;
  original.height = size.height;
  const ctx = original.getContext("2d", { willReadFrequently: true });
  if (!ctx) return;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(decoded.source, 0, 0, size.width, size.height);
  if ("close" in decoded.source) (decoded.source as ImageBitmap).close();
  input = ctx.getImageData(0, 0, size.width, size.height);
  natural = { width: decoded.width, height: decoded.height };
  file = picked;
  // Show it at once; the processed preview replaces it when the worker answers.
  preview.width = size.width;
  preview.height = size.height;
  preview.getContext("2d")?.putImageData(input, 0, 0);
  stage.hidden = false;
  stage.style.aspectRatio = `${size.width} / ${size.height}`;
  byId("drop-hint").hidden = true;
  byId("pick-again").hidden = false;
  compare.disabled = false;
  byId("image-info").textContent = `${picked.name ? `${picked.name} · ` : ""}${decoded.width}×${decoded.height}`;
  scheduler.newImage();
  const copy = new Uint8ClampedArray(input.data);
  post({ type: "image", width: input.width, height: input.height, data: copy }, [copy.buffer]);
  requestPreview();
}

fileInput.addEventListener("change", () => {
  const picked = fileInput.files?.[0];
  if (picked) void loadFile(picked);
});
byId("pick").addEventListener("click", () => fileInput.click());
byId("pick-again").addEventListener("click", () => fileInput.click());

// Drop anywhere on the page; paste works too.
let dragDepth = 0;
document.addEventListener("dragenter", (e) => {
  if (!e.dataTransfer?.types.includes("Files")) return;
  dragDepth++;
  document.body.classList.add("dragging");
});
document.addEventListener("dragleave", () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) document.body.classList.remove("dragging");
});
document.addEventListener("dragover", (e) => {
  if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
});
document.addEventListener("drop", (e) => {
  dragDepth = 0;
  document.body.classList.remove("dragging");
  const dropped = [...(e.dataTransfer?.files ?? [])].find((f) => f.type.startsWith("image/")) ?? e.dataTransfer?.files[0];
  if (!dropped) return;
  e.preventDefault();
  void loadFile(dropped);
});
document.addEventListener("paste", (e) => {
  const pasted = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
  if (pasted) void loadFile(pasted);
});

// Before/after: the original is drawn over the result, clipped to the left of the split.
function setSplit(value: number): void {
  stage.style.setProperty("--split", `${value}%`);
  compare.setAttribute("aria-valuetext", `${value}% original, ${100 - value}% processed`);
}
compare.addEventListener("input", () => setSplit(compare.valueAsNumber));
setSplit(compare.valueAsNumber);
stage.addEventListener("pointerdown", (e) => {
  stage.setPointerCapture(e.pointerId);
  const move = (ev: PointerEvent) => {
    const box = stage.getBoundingClientRect();
    const value = Math.round(Math.max(0, Math.min(1, (ev.clientX - box.left) / box.width)) * 100);
    compare.value = String(value);
    setSplit(value);
  };
  move(e);
  const up = () => {
    stage.removeEventListener("pointermove", move);
    stage.removeEventListener("pointerup", up);
    stage.removeEventListener("pointercancel", up);
  };
  stage.addEventListener("pointermove", move);
  stage.addEventListener("pointerup", up);
  stage.addEventListener("pointercancel", up);
});

// ─── pipeline ────────────────────────────────────────────────────────────────────────────────

const editor = new PipelineEditor(
  {
    addSelect: byId("add-op"),
    addButton: byId("add-step"),
    addHelp: byId("add-help"),
    list: byId("steps"),
    empty: byId("steps-empty"),
    text: byId("pipeline-text"),
    error: byId("pipeline-error"),
  },
  () => requestPreview(),
);

function updateProcessButton(): void {
  const text = editor.text;
  processButton.disabled = !file || text === null || text === "";
  processButton.title = !file ? "Pick an image first" : text ? "" : "Add at least one step";
}

let opsJson = "";
function setOps(list: OpView[]): void {
  const json = JSON.stringify(list);
  if (json === opsJson) return;
  opsJson = json;
  editor.setOps(list);
}

async function loadOps(): Promise<void> {
  try {
    setOps(normalizeOps(await api.get<unknown>("/v1/ops")));
    byId("ops-source").textContent = "";
  } catch (err) {
    byId("ops-source").textContent = `built-in op list (${errorMessage(err)})`;
  }
}

// ─── job ─────────────────────────────────────────────────────────────────────────────────────

const jobPanel = new JobPanel(api, (job) => {
  if (isTerminal(job.status)) void refreshJobs();
  else markJob(job);
});

/** A still copy of the preview input, to draw under the job's tile grid. */
function snapshot(): HTMLCanvasElement | null {
  if (!input) return null;
  const c = document.createElement("canvas");
  c.width = input.width;
  c.height = input.height;
  c.getContext("2d")?.putImageData(input, 0, 0);
  return c;
}

processButton.addEventListener("click", async () => {
  const text = editor.text;
  if (!file || !text) return;
  const form = new FormData();
  form.append("image", file, file.name || "image");
  form.append("pipeline", text);
  const format = byId<HTMLSelectElement>("format").value;
  if (format) form.append("format", format);
  showError("submit-error", null);
  processButton.disabled = true;
  processButton.setAttribute("aria-busy", "true");
  try {
    const answer = await api.request<Partial<JobView> & { id: string }>("POST", "/v1/jobs", form);
    const job = normalizeJob(answer, { pipeline: text, width: natural.width, height: natural.height });
    jobPanel.follow(job, snapshot());
    const calm = matchMedia("(prefers-reduced-motion: reduce)").matches;
    byId("job-panel").scrollIntoView({ behavior: calm ? "auto" : "smooth", block: "nearest" });
    void refreshJobs();
  } catch (err) {
    showError("submit-error", errorMessage(err));
  } finally {
    processButton.removeAttribute("aria-busy");
    updateProcessButton();
  }
});

// ─── recent jobs ─────────────────────────────────────────────────────────────────────────────

let jobs: JobView[] = [];

function markJob(job: JobView): void {
  const i = jobs.findIndex((j) => j.id === job.id);
  if (i >= 0) {
    jobs[i] = job;
    renderJobs();
  }
}

function renderJobs(): void {
  const list = byId("jobs");
  byId("jobs-empty").hidden = jobs.length > 0;
  const current = jobPanel.current?.id;
  list.replaceChildren(
    ...jobs.map((job) => {
      const progress = job.status === "running" ? ` · ${percent(job.progress)}%` : "";
      return h(
        "li",
        { class: job.id === current ? "current" : "" },
        h(
          "button",
          {
            class: "job-row",
            attrs: { type: "button", "aria-label": `Open job ${job.id}, ${job.status}` },
            on: {
              click: () => {
                jobPanel.follow(job);
                renderJobs();
              },
            },
          },
          h("span", { class: "badge", text: job.status, attrs: { "data-status": job.status } }),
          h("span", { class: "mono job-pipeline", text: job.pipeline }),
          h("span", { class: "muted small", text: `${job.width}×${job.height}${progress} · ${formatAge(job.createdAt)}` }),
        ),
      );
    }),
  );
}

async function refreshJobs(): Promise<void> {
  try {
    const body = await api.get<{ jobs: JobView[] } | JobView[]>("/v1/jobs");
    const list = Array.isArray(body) ? body : (body?.jobs ?? []);
    jobs = list
      .map((j) => normalizeJob(j))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, 20);
    showError("jobs-error", null);
    renderJobs();
  } catch (err) {
    showError("jobs-error", errorMessage(err));
  }
}
byId("jobs-refresh").addEventListener("click", () => void refreshJobs());

// ─── cluster ─────────────────────────────────────────────────────────────────────────────────

async function refreshCluster(): Promise<void> {
  try {
    renderCluster(await api.get<ClusterView>("/v1/cluster"));
    showError("cluster-error", null);
  } catch (err) {
    showError("cluster-error", errorMessage(err));
  }
}

// ─── start ───────────────────────────────────────────────────────────────────────────────────

/** Runs `task` every `ms` while the page is visible (one at a time, never overlapping). */
function every(ms: number, task: () => Promise<void>): void {
  const tick = async () => {
    if (!document.hidden) await task();
    setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
}

async function refreshAll(): Promise<void> {
  await Promise.all([loadOps(), refreshJobs(), refreshCluster()]);
}

setOps(localOpViews());
const initial = new URLSearchParams(location.search).get("pipeline") ?? DEFAULT_PIPELINE;
editor.setText(initial);
updateProcessButton();
void refreshAll();
every(CLUSTER_POLL_MS, refreshCluster);
every(JOBS_POLL_MS, refreshJobs);
