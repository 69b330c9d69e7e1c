// The recent-jobs list, newest first; a click follows one in the job panel. With a token it is
// the caller's 20 newest jobs on the gateway; without one the gateway lists nothing (a job id is
// the capability to read a job, so listing ids to anyone would leak them), and the list holds
// the jobs this tab has followed, each refreshed by its id.

import type { JobView } from "../../api-types.ts";
import { type Api, errorMessage } from "./api.ts";
import { byId, h, showError } from "./dom.ts";
import { formatAge, normalizeJob, percent } from "./job-state.ts";
import type { JobPanel } from "./job-ui.ts";

export class RecentJobs {
  private jobs: JobView[] = [];

  constructor(
    private readonly api: Api,
    private readonly jobPanel: JobPanel,
  ) {
    byId("jobs-refresh").addEventListener("click", () => void this.refresh());
  }

  /**
   * Updates a listed job from the followed job's live events, so its row keeps up between
   * polls; without a token, a job not listed yet joins the list (it is one of this tab's).
   */
  mark(job: JobView): void {
    const i = this.jobs.findIndex((j) => j.id === job.id);
    if (i >= 0) this.jobs[i] = job;
    else if (this.api.token === null) this.jobs.unshift(job);
    else return;
    this.render();
  }

  async refresh(): Promise<void> {
    try {
      const list = this.api.token === null ? await this.ownJobs() : await this.listed();
      this.jobs = list
        .map((j) => normalizeJob(j))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, 20);
      showError("jobs-error", null);
      this.render();
    } catch (err) {
      showError("jobs-error", errorMessage(err));
    }
  }

  private async listed(): Promise<JobView[]> {
    const body = await this.api.get<{ jobs: JobView[] } | JobView[]>("/v1/jobs");
    return Array.isArray(body) ? body : (body?.jobs ?? []);
  }

  /** This tab's jobs as they are now; one deleted or expired meanwhile drops out. */
  private async ownJobs(): Promise<JobView[]> {
    const now = await Promise.all(
      this.jobs.map((job) => this.api.get<JobView>(`/v1/jobs/${encodeURIComponent(job.id)}`).catch(() => undefined)),
    );
    return now.filter((job): job is JobView => job !== undefined);
  }

  private render(): void {
    const list = byId("jobs");
    byId("jobs-empty").hidden = this.jobs.length > 0;
    const current = this.jobPanel.current?.id;
    list.replaceChildren(
      ...this.jobs.map((job) => {
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
                  this.jobPanel.follow(job);
                  this.render();
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
}
