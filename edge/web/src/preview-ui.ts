// The live preview on #preview: the picked image's pixels go to a pool of WebAssembly workers once,
// then each pipeline change sends only the pipeline text, and the newest result is drawn. The same
// workers make the steps' thumbnails (thumbnails.ts).

import { byId, showError } from "./dom.ts";
import { PreviewPool } from "./preview-pool.ts";
import type { FromWorker, Pixels, ToWorker } from "./preview-protocol.ts";
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
}

declare global {
  interface Window {
    __tessera?: TesseraDebug;
  }
}

export class LivePreview {
  private readonly canvas = byId<HTMLCanvasElement>("preview");
  private readonly stats = byId("preview-ms");
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
    this.scheduler.newImage();
    this.thumbs.setImage(input);
    const copy = new Uint8ClampedArray(input.data);
    this.post({ type: "image", width: input.width, height: input.height, data: copy }, [copy.buffer]);
  }

  /** The thumbnail of `pipeline` (a prefix of the previewed one) on a small copy of the image. */
  thumbnail(pipeline: string): Promise<Pixels> {
    return this.thumbs.get(pipeline);
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
    window.__tessera = {
      previewInput: this.input,
      previewOutput: { width: out.width, height: out.height, data: out.data },
      previewPipeline: message.pipeline,
      previewMs: message.ms,
      previewKernelMs: message.kernelMs ?? message.ms,
    };
    const { natural } = this;
    this.stats.textContent = `Preview ${message.ms.toFixed(1)} ms · ${out.width}×${out.height}${
      natural.width > out.width ? ` (of ${natural.width}×${natural.height})` : ""
    }`;
    if (latest) this.canvas.dataset.state = "ready";
  }
}
