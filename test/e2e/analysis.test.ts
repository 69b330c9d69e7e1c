// Analysis ops (issue 15) in a real Chromium against `tessera serve`: the preview runs the image
// steps, then the op on the luma of their result, and draws what it found over the preview, as
// many things as analyseWhole finds on the same preview pixels in Node (same kernels, same luma);
// a job's panel sums up its JSON and links to it; the builder keeps the analysis op last; and a
// detector, which does not run in this build, is refused with its reason, without breaking the page.

import { readFile } from "node:fs/promises";
import { analyseWhole, analysisOp, analysisParams, formatPipeline, parsePipeline } from "@tessera/kernels";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { previewPixels, stepNames, typePipeline, waitForPreview } from "./page-helpers.ts";
import { servedUi } from "./served-ui.ts";

const PHOTO = "camera.png"; // 512×512 grey: keypoints, straight edges (the tripod) and regions
// The gateway answers a detector's job with a 400, which Chromium logs as a failed resource.
const ui = servedUi({ allowed: /status of 400/ });

interface PreviewAnalysis {
  op: string;
  count: number | null;
  error: string | null;
}

/** The run text of `pipeline` (defaults left out), which the preview hooks name. */
const runText = (pipeline: string): string => formatPipeline(parsePipeline(pipeline));

async function openWith(pipeline: string): Promise<Page> {
  const page = await ui.page();
  await page.goto(ui.server.url);
  await page.setInputFiles("#file", `${PHOTO_DIR}${PHOTO}`);
  await typePipeline(page, pipeline);
  await waitForPreview(page, runText(pipeline));
  return page;
}

const previewAnalysis = (page: Page): Promise<PreviewAnalysis | null> =>
  page.evaluate(
    () => (window as unknown as { __tessera: { previewAnalysis: PreviewAnalysis | null } }).__tessera.previewAnalysis,
  );

/** What analyseWhole finds in Node on the preview's input through the image steps of `pipeline`. */
async function expectedCount(page: Page, pipeline: string): Promise<number> {
  const k = await kernels();
  const input = await previewPixels(page, "previewInput");
  const steps = parsePipeline(pipeline);
  const last = steps[steps.length - 1];
  const op = last && analysisOp(last.op);
  if (!last || !op) throw new Error(`${pipeline} does not end in a local analysis op`);
  const image = steps.length > 1 ? k.run(input, formatPipeline(steps.slice(0, -1))) : input;
  const grey = k.run(image, "grayscale(mode=rec709)", { channels: 1 });
  const data = new Uint8Array(grey.data.buffer, grey.data.byteOffset, grey.data.length);
  const found = analyseWhole(k.analysisHeap, op, { width: input.width, height: input.height, data }, analysisParams(last));
  return (found.keypoints ?? found.lines ?? found.components ?? []).length;
}

/** Pixels of the overlay layer that are not transparent (0 when it is hidden). */
const overlayInk = (page: Page): Promise<number> =>
  page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>("#analysis-overlay");
    if (!c || c.hidden) return 0;
    const data = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
    return n;
  });

/** Processes the pipeline; resolves with the job's id and the count its panel shows, once read. */
async function processAndRead(page: Page): Promise<{ id: string; count: number; summary: string }> {
  const before = (await page.textContent("#job-id")) ?? "";
  await page.click("#process");
  await page.waitForFunction(
    (old) => {
      const id = document.querySelector("#job-id")?.textContent ?? "";
      const status = document.querySelector("#job-status")?.textContent;
      return id !== "" && id !== old && status === "succeeded";
    },
    before,
    { timeout: 30_000 },
  );
  await page.waitForSelector('#job-analysis[data-state="ready"]', { timeout: 10_000 });
  const id = (await page.textContent("#job-id")) ?? "";
  const count = Number(await page.getAttribute("#job-analysis", "data-count"));
  return { id, count, summary: (await page.textContent("#job-summary")) ?? "" };
}

async function resultJson(id: string): Promise<Record<string, unknown[] | unknown>> {
  const response = await fetch(`${ui.server.url}/v1/jobs/${id}/result?format=json`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown[]>;
}

describe("analysis ops in the web UI", () => {
  it("overlays fast's keypoints on the preview and sums up the job's JSON, with a JSON download", async () => {
    const pipeline = "gaussian-blur(sigma=1) | fast(threshold=20)";
    const page = await openWith(pipeline);
    const shown = await previewAnalysis(page);
    expect(shown).toMatchObject({ op: "fast", error: null });
    expect(shown?.count).toBe(await expectedCount(page, pipeline));
    expect(shown?.count).toBeGreaterThan(50);
    expect(await overlayInk(page)).toBeGreaterThan(0);
    expect(await page.textContent("#preview-analysis")).toContain("keypoints");
    // The format applies to the overlay, at download: the job's own result is the data.
    expect(await page.isDisabled("#format")).toBe(true);

    const job = await processAndRead(page);
    const json = await resultJson(job.id);
    const keypoints = json.keypoints as unknown[];
    expect(job.count).toBe(keypoints.length);
    expect(job.summary).toContain(`${keypoints.length.toLocaleString("en-US")} keypoints`);

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-json")]);
    const file = JSON.parse(await readFile(await download.path(), "utf8")) as typeof json;
    expect(file).toEqual(json);
    // The image downloads and the viewer give the overlay.
    const png = await fetch((await page.getAttribute("#download-png", "href")) ?? "");
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(await page.isVisible("#view-result")).toBe(true);
  });

  it("counts hough-lines and components in the preview and in the job panel", async () => {
    const lines = "canny | hough-lines(threshold=120)";
    const page = await openWith(lines);
    const shownLines = await previewAnalysis(page);
    expect(shownLines?.count).toBe(await expectedCount(page, lines));
    expect(await overlayInk(page)).toBeGreaterThan(0);
    const lineJob = await processAndRead(page);
    expect(lineJob.count).toBe(((await resultJson(lineJob.id)).lines as unknown[]).length);
    expect(lineJob.summary).toMatch(/\d+ lines?\b/);

    const regions = "otsu-threshold | components(min-area=20)";
    await typePipeline(page, regions);
    await waitForPreview(page, regions);
    expect((await previewAnalysis(page))?.count).toBe(await expectedCount(page, regions));
    const regionJob = await processAndRead(page);
    expect(regionJob.count).toBe(((await resultJson(regionJob.id)).components as unknown[]).length);
    expect(regionJob.summary).toMatch(/\d+ regions?\b/);
  });

  it("keeps the analysis op last in the builder, and runs a detector as a job only", async () => {
    const page = await openWith("gaussian-blur(sigma=2) | corners");
    // Adding an analysis op replaces the one there; an image op goes before it.
    await page.fill("#op-search", "orb");
    await page.click("#add-step");
    expect(await stepNames(page)).toEqual(["gaussian-blur", "orb"]);
    expect(await page.textContent("#builder-note")).toContain("orb replaced corners");
    await page.fill("#op-search", "invert");
    await page.click("#add-step");
    expect(await stepNames(page)).toEqual(["gaussian-blur", "invert", "orb"]);
    await page.click('button[aria-label="Move down step 2 (invert)"]');
    expect(await stepNames(page)).toEqual(["gaussian-blur", "invert", "orb"]);
    expect(await page.textContent("#builder-note")).toContain("no step can come after it");
    await waitForPreview(page, "gaussian-blur(sigma=2) | invert | orb");
    expect((await previewAnalysis(page))?.count).toBeGreaterThan(0);

    // A detector runs only as a job (its model sees windows of the whole image): the preview
    // says so and draws nothing, and the job's detections are listed when it ends.
    await typePipeline(page, "gaussian-blur(sigma=2) | detect-faces");
    await waitForPreview(page, "gaussian-blur(sigma=2) | detect-faces");
    expect(await previewAnalysis(page)).toMatchObject({ op: "detect-faces", count: null });
    expect(await page.textContent("#preview-analysis")).toContain("not on tiles or in the preview");
    expect(await overlayInk(page)).toBe(0);
    const faces = await processAndRead(page);
    expect(faces.count).toBe(((await resultJson(faces.id)).detections as unknown[]).length);
    expect(faces.summary).toMatch(/\d+ detections?\b/);
  });
});
