// The last session's pipeline in localStorage, so a closed tab or a bare URL comes back to the
// work that was there. The URL wins over it when it names a pipeline (a shared link).

import { type KeyValueStore, readJson, writeJson } from "./local-store.ts";
import { asSnapshot, type PipelineSnapshot } from "./pipeline-snapshot.ts";

export const SESSION_KEY = "tessera.session.v1";

export function loadLastSession(store: KeyValueStore | undefined): PipelineSnapshot | null {
  return asSnapshot(readJson(store, SESSION_KEY));
}

export function saveLastSession(store: KeyValueStore | undefined, snapshot: PipelineSnapshot): void {
  // Nothing to tell the user if it fails: the URL still holds the pipeline.
  writeJson(store, SESSION_KEY, { text: snapshot.text, bypassed: snapshot.bypassed });
}
