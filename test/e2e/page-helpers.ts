// What the journey tests do to the UI's page again and again: wait for a preview, read its pixels,
// set the pipeline's text form, and fail on any console error.

import type { BrowserContext, Page } from "playwright-core";

export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** A page that records console errors and uncaught exceptions into `errors`. */
export async function watchedPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  return page;
}

/** Waits until the preview of exactly `pipeline` is drawn and nothing newer is pending. */
export async function waitForPreview(page: Page, pipeline: string): Promise<void> {
  await page.waitForFunction(
    (p) => {
      const t = (window as unknown as { __tessera?: { previewPipeline: string } }).__tessera;
      return t?.previewPipeline === p && document.querySelector<HTMLElement>("#preview")?.dataset.state === "ready";
    },
    pipeline,
    { timeout: 30_000 },
  );
}

/** Reads an ImageData-like object of `window.__tessera` out of the page (base64 keeps the transfer small). */
export async function previewPixels(page: Page, which: "previewInput" | "previewOutput"): Promise<Pixels> {
  const { width, height, b64 } = await page.evaluate((key) => {
    const img = (window as unknown as { __tessera: Record<string, Pixels> }).__tessera[key];
    if (!img) throw new Error(`window.__tessera.${key} is missing`);
    let s = "";
    for (let i = 0; i < img.data.length; i += 0x8000) s += String.fromCharCode(...img.data.subarray(i, i + 0x8000));
    return { width: img.width, height: img.height, b64: btoa(s) };
  }, which);
  return { width, height, data: new Uint8ClampedArray(Buffer.from(b64, "base64")) };
}

/** Types a pipeline into the text form and commits it (the `change` a blur would fire). */
export async function typePipeline(page: Page, text: string): Promise<void> {
  await page.fill("#pipeline-text", text);
  await page.dispatchEvent("#pipeline-text", "change");
}

/** The op names of the step cards, in order. */
export function stepNames(page: Page): Promise<string[]> {
  return page.$$eval("#steps .step-name", (els) => els.map((e) => e.textContent ?? ""));
}

/** Waits until the page's URL names `pipeline` (the page writes it after a quiet moment). */
export async function waitForUrlPipeline(page: Page, pipeline: string): Promise<void> {
  await page.waitForFunction((p) => new URL(location.href).searchParams.get("pipeline") === p, pipeline, { timeout: 10_000 });
}
