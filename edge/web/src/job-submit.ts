// The Process button: uploads the picked file with the pipeline as a new job on the cluster, then
// follows that job in the job panel.

import type { JobView } from "../../api-types.ts";
import { type Api, errorMessage } from "./api.ts";
import { byId, showError } from "./dom.ts";
import type { PickedImage } from "./image-input.ts";
import { normalizeJob } from "./job-state.ts";
import type { JobPanel } from "./job-ui.ts";

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

  /** `pipeline` is the editor's valid text (null while it has an error); `onSubmitted` runs once the gateway took the job. */
  constructor(
    private readonly api: Api,
    private readonly pipeline: () => string | null,
    private readonly image: () => PickedImage | null,
    private readonly jobPanel: JobPanel,
    private readonly onSubmitted: () => void,
  ) {
    this.button.addEventListener("click", () => void this.submit());
  }

  update(): void {
    const text = this.pipeline();
    const file = this.image()?.file;
    this.button.disabled = !file || text === null || text === "";
    this.button.title = !file ? "Pick an image first" : text ? "" : "Add at least one step";
  }

  private async submit(): Promise<void> {
    const text = this.pipeline();
    const picked = this.image();
    if (!picked || !text) return;
    const form = new FormData();
    form.append("image", picked.file, picked.file.name || "image");
    form.append("pipeline", text);
    const format = byId<HTMLSelectElement>("format").value;
    if (format) form.append("format", format);
    showError("submit-error", null);
    this.button.disabled = true;
    this.button.setAttribute("aria-busy", "true");
    try {
      const answer = await this.api.request<Partial<JobView> & { id: string }>("POST", "/v1/jobs", form);
      // The image that was uploaded, even if another was picked while the upload ran: the job's
      // tile map and backdrop must match the job, not the page.
      const job = normalizeJob(answer, { pipeline: text, width: picked.width, height: picked.height });
      this.jobPanel.follow(job, stillCopy(picked.pixels));
      const calm = matchMedia("(prefers-reduced-motion: reduce)").matches;
      byId("job-panel").scrollIntoView({ behavior: calm ? "auto" : "smooth", block: "nearest" });
      this.onSubmitted();
    } catch (err) {
      showError("submit-error", errorMessage(err));
    } finally {
      this.button.removeAttribute("aria-busy");
      this.update();
    }
  }
}
