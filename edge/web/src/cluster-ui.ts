// The cluster panel: workers (alive, threads, tiles done, memory, CPU, state), queue depth,
// throughput over the last 10 s, and the tiles the cluster gave up on with the reason. Each
// worker's swatch is its colour in the job's tile map and legend.

import type { ClusterView } from "../../api-types.ts";
import { type Api, errorMessage } from "./api.ts";
import { byId, h, showError } from "./dom.ts";
import { swatch } from "./tile-map.ts";
import { setKnownWorkers } from "./worker-ids.ts";

/** What each state means, as a tooltip on it. */
const STATE_HELP: Record<ClusterView["workers"][number]["state"], string> = {
  busy: "Running tiles, or finished a band in the last 5 s",
  waiting: "Tiles are queued but this worker holds none (the others hold them, or it is between bands)",
  starting: "Just started: tiles are queued and it has done none yet",
  idle: "Nothing queued",
  gone: "Its heartbeats stopped",
};

export function renderCluster(view: ClusterView): void {
  const workers = view.workers ?? [];
  setKnownWorkers(workers.map((w) => w.id));
  const alive = workers.filter((w) => w.alive);
  byId("cluster-workers").textContent = `${alive.length}${workers.length > alive.length ? ` / ${workers.length}` : ""}`;
  byId("cluster-threads").textContent = String(alive.reduce((n, w) => n + (w.threads || 0), 0));
  const queues = Object.values(view.queues ?? {});
  const active = queues.reduce((n, q) => n + (q.active || 0), 0);
  const dead = queues.reduce((n, q) => n + (q.deadLetter || 0), 0);
  byId("cluster-queue").textContent = `${active}${dead ? ` (+${dead} dead-lettered)` : ""}`;
  byId("cluster-throughput").textContent = `${(view.throughput ?? 0).toFixed(1)} tiles/s`;
  byId("cluster-rows").replaceChildren(
    ...workers.map((w) => {
      const { state } = w;
      return h(
        "tr",
        { class: w.alive ? "" : "dead", attrs: { "data-worker": w.id } },
        h("td", {}, swatch(w.id), h("span", { class: "mono", text: ` ${w.id}` })),
        h("td", { class: "mono", text: `${w.host}:${w.pid}` }),
        h("td", { text: String(w.threads) }),
        h("td", { text: String(w.tilesDone) }),
        h("td", { text: w.rssBytes === undefined ? "—" : `${Math.round(w.rssBytes / 2 ** 20)} MB` }),
        h("td", { text: w.cpuSeconds === undefined ? "—" : `${w.cpuSeconds.toFixed(1)} s` }),
        h("td", {}, h("span", { class: `state ${state}`, text: state, attrs: { title: STATE_HELP[state] } })),
      );
    }),
  );
  const letters = view.deadLetters ?? [];
  byId("cluster-dead").hidden = letters.length === 0;
  byId("cluster-dead-count").textContent = String(letters.length);
  byId("cluster-dead-list").replaceChildren(
    ...letters.map((d) =>
      h(
        "li",
        {},
        h("span", { class: "mono", text: `job ${d.jobId?.slice(0, 8) ?? "?"} · band ${d.band ?? "?"}` }),
        h("span", { text: ` ${d.reason}${d.description ? `: ${d.description}` : ""} (${d.deliveries} deliveries)` }),
      ),
    ),
  );
  byId("cluster-updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

export async function refreshCluster(api: Api): Promise<void> {
  try {
    renderCluster(await api.get<ClusterView>("/v1/cluster"));
    showError("cluster-error", null);
  } catch (err) {
    showError("cluster-error", errorMessage(err));
  }
}
