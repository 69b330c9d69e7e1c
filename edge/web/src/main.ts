// Tessera's web UI: pick an image, build a pipeline, see it at once (WebAssembly in a worker),
// then process the full resolution on the cluster and follow its tiles live. Each panel lives in
// its own module; this one connects them and starts the polling.

import { connectApi } from "./access-token.ts";
import { watchBeforeAfter } from "./before-after.ts";
import { localOpViews } from "./builder.ts";
import { refreshCluster } from "./cluster-ui.ts";
import { byId } from "./dom.ts";
import { type PickedImage, watchImageInput } from "./image-input.ts";
import { isTerminal } from "./job-state.ts";
import { ProcessButton } from "./job-submit.ts";
import { JobPanel } from "./job-ui.ts";
import { OpCatalog } from "./op-catalog.ts";
import { PipelineEditor } from "./pipeline-ui.ts";
import { every } from "./poll.ts";
import { LivePreview } from "./preview-ui.ts";
import { RecentJobs } from "./recent-jobs.ts";

const DEFAULT_PIPELINE = "saturation(factor=1.3) | sharpen(sigma=1.5, amount=0.8)";
const CLUSTER_POLL_MS = 2000;
const JOBS_POLL_MS = 4000;

const api = connectApi(() => void refreshAll());

const preview = new LivePreview();
let image: PickedImage | null = null;

watchImageInput((picked) => {
  image = picked;
  preview.setImage(picked.pixels, picked);
  requestPreview();
});
watchBeforeAfter();

const editor = new PipelineEditor(
  {
    addSelect: byId("add-op"),
    addButton: byId("add-step"),
    addHelp: byId("add-help"),
    list: byId("steps"),
    empty: byId("steps-empty"),
    text: byId("pipeline-text"),
    error: byId("pipeline-error"),
  },
  () => requestPreview(),
);

function requestPreview(): void {
  if (!image) return;
  const text = editor.text;
  processButton.update();
  if (text === null) return; // the error is shown under the text form; keep the last preview
  preview.request(text);
}

const ops = new OpCatalog(api, editor);

const jobPanel = new JobPanel(api, (job) => {
  if (isTerminal(job.status)) void recentJobs.refresh();
  else recentJobs.mark(job);
});
const processButton = new ProcessButton(
  api,
  () => editor.text,
  () => image,
  jobPanel,
  () => void recentJobs.refresh(),
);
const recentJobs = new RecentJobs(api, jobPanel);

async function refreshAll(): Promise<void> {
  await Promise.all([ops.load(), recentJobs.refresh(), refreshCluster(api)]);
}

ops.set(localOpViews());
editor.setText(new URLSearchParams(location.search).get("pipeline") ?? DEFAULT_PIPELINE);
processButton.update();
void refreshAll();
every(CLUSTER_POLL_MS, () => refreshCluster(api));
every(JOBS_POLL_MS, () => recentJobs.refresh());
