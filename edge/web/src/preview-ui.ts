// The live preview on #preview: the picked image's pixels go to a pool of WebAssembly workers once,
// then each pipeline change sends only the pipeline text, and the newest result is drawn. The same
// workers make the steps' thumbnails (thumbnails.ts).

import { type AnalysisResult, analysisCount, analysisSummary } from "./analysis-data.ts";
import { AnalysisOverlay } from "./analysis-overlay.ts";
import { byId, showError } from "./dom.ts";
import { PreviewPool } from "./preview-pool.ts";
import type { FromWorker, Pixels, PreviewAnalysis, ToWorker } from "./preview-protocol.ts";
import { PreviewScheduler } from "./scheduler.ts";
import { canvasDownscale, Thumbnails } from "./thumbnails.ts";

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
  /** The preview's wall time, from sending the pipeline to the assembled result. */
  previewMs: number;
  /** Of that, the longest time one worker's kernels took. */
  previewKernelMs: number;
  /** The pipeline's analysis op on the preview (null without one): how many things it found, or its error. */
  previewAnalysis: { op: string; count: number | null; error: string | null } | null;
}

declare global {
  interface Window {
    __tessera?: TesseraDebug;
  }
}

export class LivePreview {
  private readonly canvas = byId<HTMLCanvasElement>("preview");
  private readonly stats = byId("preview-ms");
  private readonly analysisNote = byId("preview-analysis");
  private readonly overlay = new AnalysisOverlay(byId<HTMLCanvasElement>("analysis-overlay"));
  // One preview worker per core (up to 4): local pipelines run as bands in parallel.
  private readonly pool = new PreviewPool(
    () => new Worker(new URL("./preview-worker.ts", import.meta.url), { type: "module", name: "tessera-preview" }),
    Math.min(4, navigator.hardwareConcurrency || 1),
  );
  private readonly scheduler = new PreviewScheduler((request) =>
    this.post({ type: "run", id: request.id, pipeline: request.pipeline }),
  );
  private readonly thumbs = new Thumbnails((message, transfer) => this.post(message, transfer), canvasDownscale);
  private input: ImageData | null = null;
  private natural = { width: 0, height: 0 };

  constructor() {
    this.pool.addEventListener("message", (event) => this.receive(event.data));
    this.pool.addEventListener("error", (event) => {
      event.preventDefault();
      this.canvas.dataset.state = "error";
      showError("image-error", `The preview worker failed: ${event.message || "it could not be loaded"}`);
    });
  }

  /** `input` is the preview-size image; `natural` is the file's own size, quoted in the stats line. */
  setImage(input: ImageData, natural: { width: number; height: number }): void {
    this.input = input;
    this.natural = { width: natural.width, height: natural.height };
    // Show it at once; the processed preview replaces it when the worker answers.
    this.canvas.width = input.width;
    this.canvas.height = input.height;
    this.canvas.getContext("2d")?.putImageData(input, 0, 0);
    this.overlay.clear();
    this.scheduler.newImage();
    this.thumbs.setImage(input);
    const copy = new Uint8ClampedArray(input.data);
    this.post({ type: "image", width: input.width, height: input.height, data: copy }, [copy.buffer]);
  }

  /** The thumbnail of `pipeline` (a prefix of the previewed one) on a small copy of the image. */
  thumbnail(pipeline: string): Promise<Pixels> {
    return this.thumbs.get(pipeline);
  }

  /**
   * A job's result drawn over the preview (its detections, which the preview cannot compute),
   * when the job ran on an image of the picked image's size; its coordinates are source pixels.
   */
  showJobResult(result: AnalysisResult): void {
    const input = this.input;
    if (!input || !result.detections || result.width !== this.natural.width || result.height !== this.natural.height) return;
    this.overlay.draw(result, input, { width: result.width, height: result.height });
  }

  get hasImage(): boolean {
    return this.input !== null;
  }

  request(pipeline: string): void {
    this.canvas.dataset.state = "busy";
    this.scheduler.request(pipeline);
  }

  private post(message: ToWorker, transfer: Transferable[] = []): void {
    this.pool.postMessage(message, transfer);
  }

  private receive(message: FromWorker): void {
    if (this.thumbs.receive(message)) return;
    if (message.type === "ready" || message.type === "band") return; // bands are assembled by the pool
    if (message.type === "error" && message.id === null) {
      this.stats.textContent = "Preview unavailable";
      showError("image-error", `The preview kernels could not start: ${message.message}`);
      this.canvas.dataset.state = "error";
      return;
    }
    const { draw, latest } = this.scheduler.complete(message.id as number);
    if (message.type === "error") {
      if (latest) {
        this.canvas.dataset.state = "error";
        this.stats.textContent = `Preview failed: ${message.message}`;
      }
      return;
    }
    if (!draw || !this.input) return;
    const out = new ImageData(message.data as Uint8ClampedArray<ArrayBuffer>, message.width, message.height);
    // Resizing a canvas (even to its own size) clears and reallocates it: only when the size changes.
    if (this.canvas.width !== out.width || this.canvas.height !== out.height) {
      this.canvas.width = out.width;
      this.canvas.height = out.height;
    }
    this.canvas.getContext("2d")?.putImageData(out, 0, 0);
    this.showAnalysis(message.analysis, out);
    window.__tessera = {
      previewInput: this.input,
      previewOutput: { width: out.width, height: out.height, data: out.data },
      previewPipeline: message.pipeline,
      previewMs: message.ms,
      previewKernelMs: message.kernelMs ?? message.ms,
      previewAnalysis: message.analysis
        ? {
            op: message.analysis.op,
            count: message.analysis.data ? analysisCount(message.analysis.data) : null,
            error: message.analysis.error ?? null,
          }
        : null,
    };
    const { natural } = this;
    this.stats.textContent = `Preview ${message.ms.toFixed(1)} ms · ${out.width}×${out.height}${
      natural.width > out.width ? ` (of ${natural.width}×${natural.height})` : ""
    }`;
    if (latest) this.canvas.dataset.state = "ready";
  }

  /** The overlay and its line under the preview: what the analysis op found, or why it could not run. */
  private showAnalysis(analysis: PreviewAnalysis | undefined, size: { width: number; height: number }): void {
    const note = this.analysisNote;
    note.hidden = !analysis;
    if (!analysis?.data) this.overlay.clear();
    if (!analysis) return;
    if (analysis.data) this.overlay.draw(analysis.data, size);
    note.dataset.state = analysis.error ? "error" : "ready";
    note.textContent = analysis.data ? `${analysis.op}: ${analysisSummary(analysis.data)}` : `${analysis.op}: ${analysis.error}`;
  }
}
