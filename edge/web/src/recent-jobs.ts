// The recent-jobs list: the gateway's 20 newest jobs, newest first; a click follows one in the
// job panel.

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

  /** Updates a listed job from the followed job's live events, so its row keeps up between polls. */
  mark(job: JobView): void {
    const i = this.jobs.findIndex((j) => j.id === job.id);
    if (i >= 0) {
      this.jobs[i] = job;
      this.render();
    }
  }

  async refresh(): Promise<void> {
    try {
      const body = await this.api.get<{ jobs: JobView[] } | JobView[]>("/v1/jobs");
      const list = Array.isArray(body) ? body : (body?.jobs ?? []);
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
