// The job panel's part for a pipeline that ends in an analysis op (its result is JSON): once the
// job succeeded, what it found ("1,911 keypoints", or each detection with its score) and a
// "Download JSON" link; the panel's image download links then give the overlay (the source with
// the data drawn on it), which the gateway renders.

import type { JobView } from "../../api-types.ts";
import { type AnalysisResult, analysisCount, analysisSummary, detectionLabel } from "./analysis-data.ts";
import { type Api, errorMessage } from "./api.ts";
import { byId, h } from "./dom.ts";

/** A job whose result is an analysis op's data, not an image. */
export const isAnalysisJob = (job: Pick<JobView, "format"> | null): boolean => job?.format === "json";

export class JobAnalysis {
  private readonly root = byId("job-analysis");
  private readonly summary = byId("job-summary");
  private readonly detections = byId<HTMLOListElement>("job-detections");
  /** The job whose data is shown or being fetched (a job's data never changes once it succeeded). */
  private shownFor: string | null = null;

  constructor(
    private readonly api: Api,
    /** Each time a job's data arrives, for the preview to draw what it cannot compute itself. */
    private readonly onData: (result: AnalysisResult) => void = () => {},
  ) {}

  /** Follows the panel's job (null: an upload): the summary and the JSON link of a succeeded analysis job. */
  show(job: JobView | null): void {
    const ready = job?.status === "succeeded" && isAnalysisJob(job);
    byId("downloads-label").textContent = job && isAnalysisJob(job) ? "Overlay" : "Download";
    if (!job || !ready) {
      this.shownFor = null;
      this.root.hidden = true;
      document.getElementById("download-json")?.remove();
      return;
    }
    this.link(job);
    if (this.shownFor === job.id) return;
    this.shownFor = job.id;
    this.root.hidden = false;
    this.root.dataset.state = "loading";
    delete this.root.dataset.count;
    this.summary.textContent = "Reading the result…";
    this.detections.replaceChildren();
    void this.load(job.id);
  }

  /** "Download JSON", first among the downloads; it carries the token in its URL as the other links do. */
  private link(job: JobView): void {
    const href = this.api.authedUrl(`/v1/jobs/${encodeURIComponent(job.id)}/result`, { format: "json" });
    const existing = document.getElementById("download-json") as HTMLAnchorElement | null;
    if (existing?.href === href) return;
    existing?.remove();
    const link = h("a", {
      class: "button",
      text: "Download JSON",
      attrs: { id: "download-json", href, download: `tessera-${job.id}.json`, type: "application/json" },
    });
    byId("downloads").prepend(link);
  }

  private async load(id: string): Promise<void> {
    try {
      const result = await this.api.get<AnalysisResult>(`/v1/jobs/${encodeURIComponent(id)}/result?format=json`);
      if (this.shownFor !== id) return; // another job is shown meanwhile
      const count = analysisCount(result);
      this.root.dataset.state = "ready";
      if (count !== null) this.root.dataset.count = String(count);
      this.summary.textContent = `Found ${analysisSummary(result)}${result.op ? ` (${result.op})` : ""}.`;
      this.detections.replaceChildren(
        ...(result.detections ?? []).map((d) =>
          h("li", { text: `${detectionLabel(d)} at ${d.bbox.map(Math.round).join(", ")}` }),
        ),
      );
      this.onData(result);
    } catch (err) {
      if (this.shownFor !== id) return;
      this.root.dataset.state = "error";
      this.summary.textContent = `The result could not be read: ${errorMessage(err)}`;
    }
  }
}
