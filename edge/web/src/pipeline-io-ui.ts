// The Export, Import and Copy link buttons beside the presets: the pipeline as a text file in the
// CLI's syntax, and the page's URL (which holds the pipeline) on the clipboard.

import { byId } from "./dom.ts";
import { downloadText, readPipelineFile } from "./pipeline-file.ts";
import type { PresetsPanel } from "./presets-ui.ts";

export interface PipelineIoHost {
  /** The steps that run, in text form; null while the pipeline has an error. */
  runText(): string | null;
  /** Replaces the pipeline with imported text (an undoable change). */
  importText(text: string): void;
  /** The URL that reproduces the pipeline, written now. */
  shareUrl(): string;
}

export function watchPipelineIo(host: PipelineIoHost, panel: PresetsPanel): void {
  const file = byId<HTMLInputElement>("import-file");
  byId("export-pipeline").addEventListener("click", () => {
    const text = host.runText();
    if (text === null || text === "") {
      panel.say(
        text === null ? "The pipeline has an error: fix it before exporting it." : "Nothing to export: no step runs.",
        true,
      );
      return;
    }
    downloadText(text, "pipeline.txt");
    panel.say("Exported the steps that run as pipeline.txt (the syntax `tessera process -p` takes).");
  });
  byId("import-pipeline").addEventListener("click", () => file.click());
  file.addEventListener("change", async () => {
    const picked = file.files?.[0];
    file.value = ""; // the same file may be picked again after an edit
    if (!picked) return;
    try {
      host.importText(await readPipelineFile(picked));
      panel.say(`Imported ${picked.name}. Undo (Ctrl+Z) brings the previous pipeline back.`);
    } catch (err) {
      panel.say((err as Error).message, true);
    }
  });
  byId("copy-link").addEventListener("click", async () => {
    const url = host.shareUrl();
    try {
      await navigator.clipboard.writeText(url);
      panel.say("Link copied: it opens this pipeline in any browser.");
    } catch {
      panel.say("The browser did not allow copying: the address bar holds the same link.", true);
    }
  });
}
