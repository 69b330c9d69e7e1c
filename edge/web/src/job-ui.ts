// The followed job: status, stage, progress, ETA, the live tile grid (each tile in its worker's
// colour), Cancel, and the download links once it succeeded.

import type { JobEvent, JobView } from "../../api-types.ts";
import { type Api, errorMessage } from "./api.ts";
import { workerColor } from "./colors.ts";
import { byId, h } from "./dom.ts";
import { fitWithin, scaleRect, tileRect } from "./geometry.ts";
import { applyJobEvent, formatEta, isTerminal, percent, workerCounts } from "./job-state.ts";

const GRID_MAX_SIDE = 720;
const POLL_MS = 1000;

export class JobPanel {
  private job: JobView | null = null;
  private source: EventSource | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  /** The picture under the grid: the preview's input when this session submitted the job. */
  private backdrop: CanvasImageSource | null = null;
  private readonly backdrops = new Map<string, CanvasImageSource>();
  private readonly panel = byId("job-panel");
  private readonly status = byId("job-status");
  private readonly canvas = byId<HTMLCanvasElement>("job-canvas");
  private readonly cancel = byId<HTMLButtonElement>("cancel");
  private readonly error = byId("job-error");

  constructor(
    private readonly api: Api,
    private readonly onChange: (job: JobView) => void,
  ) {
    this.cancel.addEventListener("click", () => void this.cancelJob());
  }

  get current(): JobView | null {
    return this.job;
  }

  /** Starts following a job (closing the previous stream); `backdrop` is its picture, when known. */
  follow(job: JobView, backdrop?: CanvasImageSource | null): void {
    this.stop();
    if (backdrop) this.backdrops.set(job.id, backdrop);
    this.backdrop = this.backdrops.get(job.id) ?? null;
    this.job = job;
    this.showError(null);
    this.panel.hidden = false;
    this.render();
    if (!isTerminal(job.status)) this.listen(job.id);
  }

  private stop(): void {
    this.source?.close();
    this.source = null;
    clearTimeout(this.pollTimer);
  }

  private listen(id: string): void {
    if (typeof EventSource === "undefined") {
      this.poll(id);
      return;
    }
    const source = new EventSource(this.api.authedUrl(`/v1/jobs/${encodeURIComponent(id)}/events`));
    this.source = source;
    const onEvent = (message: MessageEvent<string>) => {
      if (this.source !== source) return;
      let event: JobEvent;
      try {
        event = JSON.parse(message.data) as JobEvent;
      } catch {
        return;
      }
      if (!event.type) event = { ...(event as object), type: message.type } as JobEvent;
      this.apply(event);
      if (event.type === "end" || (this.job && isTerminal(this.job.status))) {
        source.close();
        this.source = null;
      }
    };
    for (const type of ["job", "tile", "end"]) source.addEventListener(type, onEvent as EventListener);
    source.onerror = () => {
      // EventSource retries by itself while the gateway is reachable; once it gives up (a 401, a
      // 404 or a closed server), fall back to polling GET /v1/jobs/:id so the status still moves.
      if (this.source === source && source.readyState === EventSource.CLOSED) {
        this.source = null;
        this.poll(id);
      }
    };
  }

  private poll(id: string): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(async () => {
      if (this.job?.id !== id) return;
      try {
        const job = await this.api.get<JobView>(`/v1/jobs/${encodeURIComponent(id)}`);
        if (this.job?.id !== id) return;
        this.apply({ type: "job", job });
        this.showError(null);
      } catch (err) {
        this.showError(errorMessage(err));
      }
      if (this.job?.id === id && !isTerminal(this.job.status)) this.poll(id);
    }, POLL_MS);
  }

  private apply(event: JobEvent): void {
    if (!this.job) return;
    if (event.type !== "tile" && event.job.id !== this.job.id) return;
    this.job = applyJobEvent(this.job, event);
    this.render();
    this.onChange(this.job);
  }

  private async cancelJob(): Promise<void> {
    const job = this.job;
    if (!job) return;
    this.cancel.disabled = true;
    try {
      const answer = await this.api.request<JobView | undefined>("DELETE", `/v1/jobs/${encodeURIComponent(job.id)}`);
      // 204: the job had ended before the cancel arrived, and DELETE on an ended job deletes it.
      if (!answer?.id) return this.showError("The job had already ended, so it was deleted instead of canceled.");
      if (this.job?.id === job.id) this.apply({ type: "job", job: answer });
    } catch (err) {
      this.showError(errorMessage(err));
      this.cancel.disabled = false;
    }
  }

  private showError(message: string | null): void {
    this.error.hidden = message === null;
    this.error.textContent = message ?? "";
  }

  private render(): void {
    const job = this.job;
    if (!job) return;
    byId("job-id").textContent = job.id;
    this.status.textContent = job.status;
    this.status.dataset.status = job.status;
    const stages = Math.max(1, job.stages.length);
    byId("job-stage").textContent = `${Math.min(job.stage + 1, stages)} of ${stages}`;
    byId("job-tiles").textContent = `${job.progress.done} / ${job.progress.total}`;
    byId("job-eta").textContent = job.status === "succeeded" ? "done" : isTerminal(job.status) ? "—" : formatEta(job.etaSeconds);
    const bar = byId<HTMLProgressElement>("job-progress");
    bar.value = job.status === "succeeded" ? 100 : percent(job.progress);
    bar.setAttribute("aria-valuetext", `${bar.value}%`);
    byId("job-pipeline").textContent = `${job.width}×${job.height} · ${job.pipeline}`;
    this.cancel.disabled = isTerminal(job.status);
    this.cancel.hidden = isTerminal(job.status);
    this.renderDownloads(job);
    if (job.error) this.showError(`${job.error.message}${job.error.code ? ` (${job.error.code})` : ""}`);
    this.drawGrid(job);
    this.renderLegend(job);
  }

  /** The result links exist only while the job has a result. */
  private renderDownloads(job: JobView): void {
    const downloads = byId("downloads");
    const succeeded = job.status === "succeeded";
    downloads.hidden = !succeeded;
    for (const format of ["png", "jpeg", "webp"] as const) {
      const href = this.api.authedUrl(`/v1/jobs/${encodeURIComponent(job.id)}/result`, { format });
      const existing = document.getElementById(`download-${format}`) as HTMLAnchorElement | null;
      if (succeeded && existing?.href === href) continue;
      existing?.remove();
      if (!succeeded) continue;
      const link = h("a", {
        class: "button",
        text: format === "jpeg" ? "JPEG" : format === "webp" ? "WebP" : "PNG",
        attrs: {
          id: `download-${format}`,
          href,
          download: `tessera-${job.id}.${format === "jpeg" ? "jpg" : format}`,
        },
      });
      downloads.append(link);
    }
  }

  private drawGrid(job: JobView): void {
    const size = fitWithin(Math.max(1, job.width), Math.max(1, job.height), GRID_MAX_SIDE);
    const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
    const w = Math.round(size.width * dpr);
    const hgt = Math.round(size.height * dpr);
    if (this.canvas.width !== w || this.canvas.height !== hgt) {
      this.canvas.width = w;
      this.canvas.height = hgt;
    }
    this.canvas.style.aspectRatio = `${size.width} / ${size.height}`;
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, w, hgt);
    if (this.backdrop) {
      ctx.globalAlpha = job.status === "succeeded" ? 1 : 0.55;
      ctx.drawImage(this.backdrop, 0, 0, w, hgt);
      ctx.globalAlpha = 1;
    } else {
      ctx.fillStyle = "rgb(127 127 127 / 0.15)";
      ctx.fillRect(0, 0, w, hgt);
    }
    const scale = w / Math.max(1, job.width);
    const grid = job.grid;
    if (!grid || grid.cols <= 0 || grid.rows <= 0 || grid.tileSize <= 0) return;
    const done = job.status === "succeeded";
    for (const [tile, worker] of Object.entries(job.tileWorkers ?? {})) {
      const r = scaleRect(tileRect(Number(tile), grid, job), scale);
      ctx.fillStyle = workerColor(worker, done ? 0.25 : 0.5);
      ctx.fillRect(r.x, r.y, r.width, r.height);
    }
    ctx.strokeStyle = "rgb(255 255 255 / 0.55)";
    ctx.lineWidth = Math.max(1, dpr);
    ctx.beginPath();
    for (let c = 1; c < grid.cols; c++) {
      const x = Math.round(c * grid.tileSize * scale) + 0.5;
      ctx.moveTo(x, 0);
      ctx.lineTo(x, hgt);
    }
    for (let r = 1; r < grid.rows; r++) {
      const y = Math.round(r * grid.tileSize * scale) + 0.5;
      ctx.moveTo(0, y);
      ctx.lineTo(w, y);
    }
    ctx.stroke();
  }

  private renderLegend(job: JobView): void {
    byId("job-legend").replaceChildren(
      ...workerCounts(job.tileWorkers ?? {}).map(([worker, count]) =>
        h(
          "li",
          {},
          swatch(worker),
          h("span", { class: "mono", text: worker }),
          h("span", { class: "muted", text: ` ${count} tile${count === 1 ? "" : "s"}` }),
        ),
      ),
    );
  }
}

/** A coloured dot for a worker (styled through the CSSOM, so a strict CSP allows it). */
export function swatch(worker: string): HTMLElement {
  const dot = h("span", { class: "swatch", attrs: { "aria-hidden": "true" } });
  dot.style.background = workerColor(worker);
  return dot;
}
