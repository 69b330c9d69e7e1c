// The Process button (and Ctrl/Cmd+Enter): uploads the picked file with the pipeline as a new job
// on the cluster, then follows that job in the job panel. The panel shows the upload from its
// first byte, with its progress and a Cancel that aborts the request.

import type { JobView } from "../../api-types.ts";
import { type Api, ApiFailure, errorMessage } from "./api.ts";
import { byId, showError } from "./dom.ts";
import type { PickedImage } from "./image-input.ts";
import { normalizeJob } from "./job-state.ts";
import type { JobPanel } from "./job-ui.ts";
import { endsInAnalysis } from "./preview-analysis.ts";

/** A still copy of the preview input, to draw under the job's tile grid. */
function stillCopy(pixels: ImageData): HTMLCanvasElement {
  const c = document.createElement("canvas");
  c.width = pixels.width;
  c.height = pixels.height;
  c.getContext("2d")?.putImageData(pixels, 0, 0);
  return c;
}

export class ProcessButton {
  private readonly button = byId<HTMLButtonElement>("process");
  private uploading = false;

  /**
   * `pipeline` is the editor's valid text (null while it has an error); `onSubmitted` runs once
   * the gateway took the job, with the file sent, before the job panel follows the job.
   */
  constructor(
    private readonly api: Api,
    private readonly pipeline: () => string | null,
    private readonly image: () => PickedImage | null,
    private readonly jobPanel: JobPanel,
    private readonly onSubmitted: (job: JobView, file: File) => void,
  ) {
    this.button.addEventListener("click", () => void this.submit());
  }

  update(): void {
    const text = this.pipeline();
    const file = this.image()?.file;
    // An analysis op's result is its data (JSON): the format applies to its overlay, chosen at download.
    const select = byId<HTMLSelectElement>("format");
    select.disabled = text !== null && endsInAnalysis(text);
    select.title = select.disabled
      ? "The result is the analysis op's data (JSON); download its overlay as PNG, JPEG or WebP"
      : "";
    this.button.disabled = this.uploading || !file || text === null || text === "";
    this.button.title = this.uploading
      ? "Uploading: cancel it in the job panel"
      : !file
        ? "Pick an image first"
        : text
          ? "Process the full image on the cluster (Ctrl+Enter)"
          : text === null
            ? "Fix the pipeline first"
            : "Add at least one step that is not bypassed";
  }

  /** Submits if the button could be pressed now; otherwise says why not (for the keyboard shortcut). */
  async submit(): Promise<void> {
    if (this.button.disabled) {
      if (!this.uploading) showError("submit-error", `Cannot process yet: ${this.button.title.toLowerCase()}.`);
      return;
    }
    const text = this.pipeline();
    const picked = this.image();
    if (!picked || !text) return;
    const form = new FormData();
    form.append("image", picked.file, picked.file.name || "image");
    form.append("pipeline", text);
    const format = endsInAnalysis(text) ? "json" : byId<HTMLSelectElement>("format").value;
    if (format) form.append("format", format);
    showError("submit-error", null);
    this.uploading = true;
    this.update();
    this.button.setAttribute("aria-busy", "true");
    const controller = new AbortController();
    // The image that was uploaded, even if another is picked while the upload runs: the job's
    // tile map and backdrop must match the job, not the page.
    const view = this.jobPanel.showUpload({
      name: picked.file.name || "image",
      bytes: picked.file.size,
      pipeline: text,
      width: picked.width,
      height: picked.height,
      backdrop: stillCopy(picked.pixels),
      abort: () => controller.abort(),
    });
    const calm = matchMedia("(prefers-reduced-motion: reduce)").matches;
    byId("job-panel").scrollIntoView({ behavior: calm ? "auto" : "smooth", block: "nearest" });
    try {
      const answer = await this.api.upload<Partial<JobView> & { id: string }>("/v1/jobs", form, {
        signal: controller.signal,
        onProgress: (loaded, total) => view.progress(loaded, total),
      });
      const job = normalizeJob(answer, { pipeline: text, width: picked.width, height: picked.height });
      this.onSubmitted(job, picked.file);
      view.done(job);
    } catch (err) {
      const canceled = err instanceof ApiFailure && err.code === "ABORTED";
      view.failed(errorMessage(err), canceled);
      if (!canceled) showError("submit-error", errorMessage(err));
    } finally {
      this.uploading = false;
      this.button.removeAttribute("aria-busy");
      this.update();
    }
  }
}
