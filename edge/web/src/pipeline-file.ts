// A pipeline as a text file, in the syntax `tessera process -p` and `POST /v1/jobs` take
// ("gaussian-blur(sigma=2) | sobel", or the JSON step list). Export writes the steps that run
// (the CLI has no bypass); import checks the file with the kernels' parser before anything changes.

import { parsePipeline } from "@tessera/kernels";

/** Bigger than any pipeline the gateway takes (64 KiB): anything larger is not a pipeline file. */
const MAX_FILE_BYTES = 64 * 1024;

/** Offers `text` as a download named `name`. */
export function downloadText(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by now; the URL is only needed for that.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The pipeline text in an imported file, checked: one that does not parse is refused with the
 * parser's message (naming the step and the param), so a bad file never replaces the pipeline.
 */
export async function readPipelineFile(file: File): Promise<string> {
  const label = file.name || "The file";
  if (file.size > MAX_FILE_BYTES)
    throw new Error(`${label} is ${Math.round(file.size / 1024)} KiB: not a pipeline file (at most 64 KiB).`);
  const text = (await file.text()).trim();
  if (text === "") throw new Error(`${label} is empty: it holds no pipeline.`);
  try {
    parsePipeline(text);
  } catch (err) {
    throw new Error(`${label} is not a pipeline Tessera can run: ${(err as Error).message}`);
  }
  return text;
}
