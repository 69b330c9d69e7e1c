// The followed job: status, stage, progress, ETA, the live tile grid (each tile in its worker's
// colour), Cancel, and the download links once it succeeded. A submission takes the panel over
// the moment its upload starts (showUpload), so Cancel then aborts that upload and can never
// reach the job that was shown before.

import type { JobEvent, JobView } from "../../api-types.ts";
import { type Api, errorMessage } from "./api.ts";
import { byId, h } from "./dom.ts";
import { applyJobEvent, formatEta, isTerminal, percent } from "./job-state.ts";
import { downloadQuery } from "./result-format.ts";
import { drawTileMap, renderLegend } from "./tile-map.ts";

const POLL_MS = 1000;

/** What the page tells the panel about an upload it shows. */
export interface UploadView {
  progress(loaded: number, total: number): void;
  /** The gateway took the job: follow it, if the panel still shows this upload. */
  done(job: JobView): void;
  /** The upload failed (`canceled`: the user aborted it); the message says what happened. */
  failed(message: string, canceled: boolean): void;
}

export interface UploadInfo {
  name: string;
  bytes: number;
  pipeline: string;
  width: number;
  height: number;
  backdrop: CanvasImageSource;
  abort: () => void;
}

/** "840 KB", "12.4 MB": sizes as a person reads them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${Math.round(bytes / 1000)} KB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export class JobPanel {
  private job: JobView | null = null;
  /** The upload the panel shows instead of a job, if any. */
  private upload: UploadInfo | null = null;
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
  private readonly uploadStatus = byId("upload-status");

  constructor(
    private readonly api: Api,
    private readonly onChange: (job: JobView) => void,
    /** Each time the panel draws a job, or an upload (null): the result viewer follows it. */
    private readonly onShow: (job: JobView | null) => void = () => {},
  ) {
    this.cancel.addEventListener("click", () => {
      if (this.upload) this.upload.abort();
      else void this.cancelJob();
    });
    // The download links carry the quality and compression set beside them.
    for (const id of ["download-quality", "download-compression"])
      byId(id).addEventListener("input", () => this.renderDownloads(this.job));
  }

  get current(): JobView | null {
    return this.job;
  }

  /** Starts following a job (closing the previous stream); `backdrop` is its picture, when known. */
  follow(job: JobView, backdrop?: CanvasImageSource | null): void {
    this.stop();
    this.upload = null;
    this.uploadStatus.hidden = true;
    if (backdrop) this.backdrops.set(job.id, backdrop);
    this.backdrop = this.backdrops.get(job.id) ?? null;
    this.job = job;
    this.showError(null);
    this.panel.hidden = false;
    this.render();
    if (!isTerminal(job.status)) this.listen(job.id);
  }

  /** Shows a submission from the first byte of its upload; the previous job's stream is closed. */
  showUpload(info: UploadInfo): UploadView {
    this.stop();
    this.job = null;
    this.upload = info;
    this.showError(null);
    this.panel.hidden = false;
    byId("job-id").textContent = "";
    this.status.textContent = "uploading";
    this.status.dataset.status = "uploading";
    for (const id of ["job-stage", "job-tiles", "job-eta"]) byId(id).textContent = "—";
    byId("job-pipeline").textContent = `${info.width}×${info.height} · ${info.pipeline}`;
    this.cancel.hidden = false;
    this.cancel.disabled = false;
    this.cancel.textContent = "Cancel upload";
    this.renderDownloads(null);
    renderLegend(byId("job-legend"), null);
    this.backdrop = info.backdrop;
    drawTileMap(this.canvas, null, this.backdrop, { width: info.width, height: info.height });
    this.showUploadProgress(info, 0, info.bytes);
    this.onShow(null);
    const mine = () => this.upload === info;
    return {
      progress: (loaded, total) => {
        if (mine()) this.showUploadProgress(info, loaded, total || info.bytes);
      },
      done: (job) => {
        this.backdrops.set(job.id, info.backdrop);
        if (mine()) this.follow(job);
        else this.onChange(job); // the user opened another job meanwhile: list this one, do not jump
      },
      failed: (message, canceled) => {
        if (!mine()) return;
        this.upload = null;
        this.status.textContent = canceled ? "canceled" : "failed";
        this.status.dataset.status = canceled ? "canceled" : "failed";
        this.cancel.hidden = true;
        this.uploadStatus.textContent = canceled ? message : "Upload failed.";
        if (!canceled) this.showError(message);
      },
    };
  }

  private showUploadProgress(info: UploadInfo, loaded: number, total: number): void {
    const pct = total > 0 ? Math.min(100, Math.round((100 * loaded) / total)) : 0;
    const bar = byId<HTMLProgressElement>("job-progress");
    bar.value = pct;
    bar.setAttribute("aria-valuetext", `Upload ${pct}%`);
    this.uploadStatus.hidden = false;
    this.uploadStatus.textContent =
      loaded >= total && total > 0
        ? `Uploaded ${info.name} (${formatBytes(total)}); waiting for the gateway to take the job…`
        : `Uploading ${info.name}: ${formatBytes(loaded)} of ${formatBytes(total)} (${pct}%)`;
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
    byId("job-stage").textContent = stageText(job, stages);
    byId("job-tiles").textContent = `${job.progress.done} / ${job.progress.total}`;
    byId("job-eta").textContent = job.status === "succeeded" ? "done" : isTerminal(job.status) ? "—" : formatEta(job.etaSeconds);
    const bar = byId<HTMLProgressElement>("job-progress");
    // Every tile done is not the end: the result is still being built. The bar says so, and
    // reaches 100% only once the job has succeeded.
    bar.value = job.status === "succeeded" ? 100 : Math.min(99, percent(job.progress));
    bar.setAttribute("aria-valuetext", `${bar.value}%`);
    byId("job-pipeline").textContent = `${job.width}×${job.height} · ${job.pipeline}`;
    this.cancel.disabled = isTerminal(job.status);
    this.cancel.hidden = isTerminal(job.status);
    this.cancel.textContent = "Cancel";
    this.renderDownloads(job);
    if (job.error) this.showError(`${job.error.message}${job.error.code ? ` (${job.error.code})` : ""}`);
    drawTileMap(this.canvas, job, this.backdrop);
    renderLegend(byId("job-legend"), job);
    this.onShow(job);
  }

  /** The result links exist only while the job has a result. */
  private renderDownloads(job: JobView | null): void {
    const downloads = byId("downloads");
    const succeeded = job?.status === "succeeded";
    downloads.hidden = !succeeded;
    for (const format of ["png", "jpeg", "webp"] as const) {
      const existing = document.getElementById(`download-${format}`) as HTMLAnchorElement | null;
      if (!job || !succeeded) {
        existing?.remove();
        continue;
      }
      const href = this.api.authedUrl(`/v1/jobs/${encodeURIComponent(job.id)}/result`, downloadQuery(format));
      if (existing?.href === href) continue;
      existing?.remove();
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
}

/** The job panel's "Stage" line: the stage running, or what the job does besides running stages. */
export function stageText(job: JobView, stages: number): string {
  if (job.step === "ingest") return "storing the source";
  if (job.step === "finish") return "building the result";
  const stage = `${Math.min(job.stage + 1, stages)} of ${stages}`;
  return job.step === "reduce" ? `${stage}, reducing` : stage;
}
