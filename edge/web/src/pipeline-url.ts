// The pipeline in the page's URL: `?pipeline=<text form>` and, when some steps are bypassed,
// `&bypass=2,3` (step numbers from 1). Copying the address bar shares the pipeline; other query
// parameters and the fragment are left as they are.

import { type PipelineSnapshot, parseStepNumbers, stepNumbers } from "./pipeline-snapshot.ts";

/** The snapshot a URL holds, or null when it names no pipeline. */
export function snapshotFromUrl(href: string): PipelineSnapshot | null {
  const params = new URL(href).searchParams;
  const text = params.get("pipeline");
  if (text === null) return null;
  return { text, bypassed: parseStepNumbers(params.get("bypass") ?? "") };
}

/** `href` with the snapshot in its query. */
export function urlWithSnapshot(href: string, snapshot: PipelineSnapshot): string {
  const url = new URL(href);
  url.searchParams.set("pipeline", snapshot.text);
  if (snapshot.bypassed.length > 0) url.searchParams.set("bypass", stepNumbers(snapshot.bypassed));
  else url.searchParams.delete("bypass");
  return url.toString();
}
