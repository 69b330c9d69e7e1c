// Tessera's web UI: pick an image, build a pipeline, see it at once (WebAssembly in a worker),
// then process the full resolution on the cluster and follow its tiles live. Each panel lives in
// its own module; this one connects them and starts the polling.

import { connectApi } from "./access-token.ts";
import { watchBeforeAfter } from "./before-after.ts";
import { localOpViews } from "./builder.ts";
import { refreshCluster } from "./cluster-ui.ts";
import { byId } from "./dom.ts";
import { type PickedImage, watchImageInput } from "./image-input.ts";
import { JobAnalysis } from "./job-analysis.ts";
import { isTerminal } from "./job-state.ts";
import { ProcessButton } from "./job-submit.ts";
import { JobPanel } from "./job-ui.ts";
import { localStore } from "./local-store.ts";
import { OpCatalog } from "./op-catalog.ts";
import { PipelineAutosave } from "./pipeline-autosave.ts";
import { watchPipelineIo } from "./pipeline-io-ui.ts";
import { type PipelineSnapshot, sameSnapshot } from "./pipeline-snapshot.ts";
import { type PipelineChange, PipelineEditor } from "./pipeline-ui.ts";
import { every } from "./poll.ts";
import { PresetStore } from "./presets.ts";
import { PresetsPanel } from "./presets-ui.ts";
import { LivePreview } from "./preview-ui.ts";
import { RecentJobs } from "./recent-jobs.ts";
import { showInputFormat } from "./result-format.ts";
import { ResultViewer } from "./result-viewer.ts";
import { watchShortcuts } from "./shortcuts.ts";
import { StepThumbs } from "./step-thumbs.ts";
import { UndoHistory } from "./undo-history.ts";

const DEFAULT_PIPELINE: PipelineSnapshot = { text: "saturation(factor=1.3) | sharpen(sigma=1.5, amount=0.8)", bypassed: [] };
const CLUSTER_POLL_MS = 2000;
const JOBS_POLL_MS = 4000;

const api = connectApi(() => void refreshAll());
const store = localStore();
const autosave = new PipelineAutosave(store);
const history = new UndoHistory<PipelineSnapshot>(DEFAULT_PIPELINE, sameSnapshot);

const preview = new LivePreview();
let image: PickedImage | null = null;

watchImageInput((picked) => {
  image = picked;
  viewer.close(); // the new image's preview, not an older result

  showInputFormat(picked.file.type);
  preview.setImage(picked.pixels, picked);
  requestPreview();
  stepThumbs.refresh();
});
watchBeforeAfter();

const undoButton = byId<HTMLButtonElement>("undo");
const redoButton = byId<HTMLButtonElement>("redo");

const editor = new PipelineEditor(
  {
    search: byId("op-search"),
    addSelect: byId("add-op"),
    addButton: byId("add-step"),
    addHelp: byId("add-help"),
    list: byId("steps"),
    empty: byId("steps-empty"),
    text: byId("pipeline-text"),
    error: byId("pipeline-error"),
    bypassNote: byId("bypass-note"),
    builderNote: byId("builder-note"),
  },
  (change) => onPipelineChange(change),
);

// Hover a step (or tab into it) to see its output.
const stepThumbs = new StepThumbs(byId("steps"), {
  prefix: (i) => editor.runTextUpTo(i),
  op: (i) => editor.opAt(i),
  thumbnail: (pipeline) => preview.thumbnail(pipeline),
  get hasImage() {
    return preview.hasImage;
  },
});

function onPipelineChange(change: PipelineChange): void {
  requestPreview();
  stepThumbs.refresh();
  if (change.snapshot) {
    if (!change.restored) history.record(change.snapshot, change.group);
    autosave.save(change.snapshot);
  }
  showUndoState();
}

function showUndoState(): void {
  undoButton.disabled = !history.canUndo;
  redoButton.disabled = !history.canRedo;
}

function requestPreview(): void {
  if (!image) return;
  const text = editor.text;
  processButton.update();
  if (text === null) return; // the error is shown under the text form; keep the last preview
  preview.request(text);
}

/** A change from outside the editor (a preset, an import): undoable like an edit. */
function replacePipeline(snapshot: PipelineSnapshot): void {
  editor.restore(snapshot);
  if (editor.snapshot) history.record(editor.snapshot);
  showUndoState();
}

function undo(): void {
  const previous = history.undo();
  if (previous) editor.restore(previous);
}

function redo(): void {
  const next = history.redo();
  if (next) editor.restore(next);
}

undoButton.addEventListener("click", undo);
redoButton.addEventListener("click", redo);

const ops = new OpCatalog(api, editor);

const viewer = new ResultViewer(api, () => image?.file ?? null);
// An analysis job's summary and JSON link; detections it found are drawn over the preview.
const jobAnalysis = new JobAnalysis(api, (result) => preview.showJobResult(result));
const jobPanel = new JobPanel(
  api,
  (job) => {
    if (isTerminal(job.status)) void recentJobs.refresh();
    else recentJobs.mark(job);
  },
  (job) => {
    viewer.update(job);
    jobAnalysis.show(job);
  },
);
const processButton = new ProcessButton(
  api,
  () => editor.text,
  () => image,
  jobPanel,
  (job, file) => {
    viewer.rememberSource(job.id, file);
    void recentJobs.refresh();
  },
);
const recentJobs = new RecentJobs(api, jobPanel);

const presets = new PresetsPanel(new PresetStore(store), {
  current: () => editor.snapshot,
  load: replacePipeline,
});
watchPipelineIo(
  {
    runText: () => editor.text,
    importText: (text) => replacePipeline({ text, bypassed: [] }),
    shareUrl: () => {
      autosave.flush();
      return location.href;
    },
  },
  presets,
);
watchShortcuts({
  undo,
  redo,
  submit: () => {
    editor.flushText();
    void processButton.submit();
  },
});

async function refreshAll(): Promise<void> {
  await Promise.all([ops.load(), recentJobs.refresh(), refreshCluster(api)]);
}

ops.set(localOpViews());
startWith(autosave.initial(DEFAULT_PIPELINE));
processButton.update();
void refreshAll();
every(CLUSTER_POLL_MS, () => refreshCluster(api));
every(JOBS_POLL_MS, () => recentJobs.refresh());

/** The first pipeline: a broken one (a hand-edited link) is shown with its error, as if typed. */
function startWith(snapshot: PipelineSnapshot): void {
  try {
    editor.restore(snapshot);
  } catch {
    editor.setText(snapshot.text);
  }
  if (editor.snapshot) history.reset(editor.snapshot);
  showUndoState();
}
