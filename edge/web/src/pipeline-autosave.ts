// Keeps the pipeline where a reload, a closed tab or a shared link finds it: in the page's URL
// (replaceState, so Back is not flooded) and in localStorage. Writes wait for a quiet moment,
// since a slider drag changes the pipeline dozens of times a second and Chromium throttles
// replaceState; a pending write is flushed when the page is hidden or closed.

import { loadLastSession, saveLastSession } from "./last-session.ts";
import type { KeyValueStore } from "./local-store.ts";
import type { PipelineSnapshot } from "./pipeline-snapshot.ts";
import { snapshotFromUrl, urlWithSnapshot } from "./pipeline-url.ts";

const QUIET_MS = 300;

export class PipelineAutosave {
  private pending: PipelineSnapshot | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly store: KeyValueStore | undefined) {
    addEventListener("pagehide", () => this.flush());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.flush();
    });
  }

  /** The pipeline to start with: the URL's (a shared link), else the last session's, else `fallback`. */
  initial(fallback: PipelineSnapshot): PipelineSnapshot {
    return snapshotFromUrl(location.href) ?? loadLastSession(this.store) ?? fallback;
  }

  save(snapshot: PipelineSnapshot): void {
    this.pending = snapshot;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), QUIET_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    const snapshot = this.pending;
    if (!snapshot) return;
    this.pending = null;
    const href = urlWithSnapshot(location.href, snapshot);
    if (href !== location.href) history.replaceState(history.state, "", href);
    saveLastSession(this.store, snapshot);
  }
}
