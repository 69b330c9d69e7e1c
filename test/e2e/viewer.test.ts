// The result viewer, in a real Chromium against `tessera serve`: a job submitted through the UI,
// its result opened in the page's deep-zoom viewer, "1:1" pressed, and the pixels the viewer drew
// read back from its canvas and checked against run() on the whole photo: the result's right of
// the before/after divider, the uploaded file's left of it. Once with a PNG result (OpenSeadragon's
// simple image source) on a 1× screen, once with a Deep Zoom result (its tiles) on a 2× screen.
//
// A job on a photo this size ends in well under a second, before the page's event stream shows
// it running; so while a job runs the test answers the page's event stream itself with the job
// running and two tiles done, to see the tile map drawn over the stage and over the viewer, and
// then lets the real stream through to the job's end.

import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { JobView } from "../../edge/api-types.ts";
import { loadPhoto, PHOTO_DIR, type TestImage } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { typePipeline, waitForPreview } from "./page-helpers.ts";
import { servedUi } from "./served-ui.ts";

const PHOTO = "coffee.png"; // 600×400 RGB, no colour profile: the browser decodes it as sharp does
const PIPELINE = "gaussian-blur(sigma=2) | sobel";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const ui = servedUi();

interface Drawn {
  /** The viewer's canvas over the image's rectangle (clipped to the canvas), RGBA. */
  data: Uint8ClampedArray;
  /** That rectangle: canvas pixels, and the image pixel at its top-left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
  imageX: number;
  imageY: number;
  /** The divider's column on the canvas. */
  dividerX: number;
}

async function submit(page: Page, format: string): Promise<string> {
  const before = await page.textContent("#job-id");
  await page.selectOption("#format", { label: format });
  await page.click("#process");
  await page.waitForFunction(
    (old) => {
      const id = document.querySelector("#job-id")?.textContent ?? "";
      return id !== "" && id !== old;
    },
    before ?? "",
    { timeout: 30_000 },
  );
  return (await page.textContent("#job-id")) ?? "";
}

async function waitForStatus(page: Page, status: string): Promise<void> {
  await page.waitForFunction((s) => document.querySelector("#job-status")?.textContent === s, status, { timeout: 60_000 });
}

/** Answers the page's event streams with the job running, two tiles done, until the returned function is called. */
async function showRunning(page: Page): Promise<() => Promise<void>> {
  const pattern = "**/v1/jobs/*/events*";
  await page.route(pattern, async (route) => {
    const id = new URL(route.request().url()).pathname.split("/").at(-2) ?? "";
    const real = (await (await fetch(`${ui.server.url}/v1/jobs/${id}`)).json()) as JobView;
    const job = {
      ...real,
      status: "running",
      progress: { done: 2, total: real.progress.total },
      tileWorkers: { 0: "a/1/0", 1: "b/2/0" },
    };
    await route.fulfill({
      status: 200,
      headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
      body: `retry: 300\nevent: job\ndata: ${JSON.stringify({ type: "job", job })}\n\n`,
    });
  });
  return () => page.unroute(pattern);
}

/** Waits until the viewer shows job `id` at `scale` device pixels per image pixel, every tile drawn. */
async function waitForViewer(page: Page, id: string, scale?: string): Promise<void> {
  await page.waitForFunction(
    ([id, scale]) => {
      const v = document.querySelector<HTMLElement>("#viewer");
      return v?.dataset.job === id && v.dataset.state === "ready" && (!scale || v.dataset.scale === scale);
    },
    [id, scale ?? ""] as const,
    { timeout: 30_000 },
  );
  // One more frame, so what was last drawn is on the canvas.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Reads what the viewer drew over the image (`size`) from its canvas, as it says where the image lies. */
async function drawnImage(page: Page, size: { width: number; height: number }): Promise<Drawn> {
  const got = await page.evaluate(({ width, height }) => {
    const canvas = document.querySelector<HTMLCanvasElement>("#viewer-osd .openseadragon-canvas canvas");
    const viewer = document.querySelector<HTMLElement>("#viewer");
    const compare = document.querySelector<HTMLInputElement>("#compare");
    if (!canvas || !viewer || !compare) throw new Error("no viewer canvas");
    const ox = Number(viewer.dataset.originX);
    const oy = Number(viewer.dataset.originY);
    const x = Math.max(0, ox);
    const y = Math.max(0, oy);
    const w = Math.min(canvas.width, ox + width) - x;
    const h = Math.min(canvas.height, oy + height) - y;
    const pixels = canvas.getContext("2d")?.getImageData(x, y, w, h).data ?? new Uint8ClampedArray();
    let s = "";
    for (let i = 0; i < pixels.length; i += 0x8000) s += String.fromCharCode(...pixels.subarray(i, i + 0x8000));
    const dividerX = (compare.valueAsNumber / 100) * canvas.width;
    return { b64: btoa(s), x, y, width: w, height: h, imageX: x - ox, imageY: y - oy, dividerX };
  }, size);
  expect(Number.isInteger(got.imageX) && Number.isInteger(got.imageY), "image corner on a device pixel").toBe(true);
  return { ...got, data: new Uint8ClampedArray(Buffer.from(got.b64, "base64")) };
}

/** Checks each drawn pixel against the source left of the divider and the result right of it; counts them. */
function check(drawn: Drawn, source: TestImage, result: TestImage): { source: number; result: number } {
  const counts = { source: 0, result: 0 };
  const wrong: string[] = [];
  for (let row = 0; row < drawn.height; row++) {
    for (let col = 0; col < drawn.width; col++) {
      const canvasX = drawn.x + col;
      // The divider's own column may blend the two.
      if (Math.abs(canvasX + 0.5 - drawn.dividerX) < 2) continue;
      const which = canvasX < drawn.dividerX ? "source" : "result";
      const want = which === "source" ? source : result;
      const i = (row * drawn.width + col) * 4;
      const j = ((drawn.imageY + row) * want.width + drawn.imageX + col) * 4;
      counts[which]++;
      for (let c = 0; c < 4; c++) {
        if (drawn.data[i + c] === want.data[j + c]) continue;
        if (wrong.length < 5) {
          const got = [...drawn.data.subarray(i, i + 4)].join(",");
          wrong.push(
            `${which} (${drawn.imageX + col},${drawn.imageY + row}): got ${got}, want ${[...want.data.subarray(j, j + 4)]}`,
          );
        }
        break;
      }
    }
  }
  expect(wrong).toEqual([]);
  return counts;
}

async function expected(): Promise<{ source: TestImage; result: TestImage }> {
  const [k, source] = await Promise.all([kernels(), loadPhoto(PHOTO)]);
  const run = k.run(source, PIPELINE);
  return { source, result: { name: "result", width: run.width, height: run.height, data: new Uint8ClampedArray(run.data) } };
}

async function pickPhoto(page: Page): Promise<void> {
  await page.goto(ui.server.url);
  await page.setInputFiles("#file", `${PHOTO_DIR}${PHOTO}`);
  await typePipeline(page, PIPELINE);
  await waitForPreview(page, PIPELINE);
}

describe("the result viewer", () => {
  it("shows a PNG result at 1:1, pixel for pixel, with the source left of the divider", async () => {
    const { source, result } = await expected();
    const page = await ui.page();
    await pickPhoto(page);
    expect(await page.isHidden("#view-result")).toBe(true);

    // While the job runs, its finished tiles are drawn over the stage.
    const release = await showRunning(page);
    const id = await submit(page, "PNG");
    await page.waitForSelector('#stage-tiles:not([hidden])[data-done="2"]', { timeout: 30_000 });
    expect(await stageTilesPainted(page)).toBe(true);
    await release();
    await waitForStatus(page, "succeeded");
    expect(await page.isHidden("#stage-tiles")).toBe(true);

    // Opened from the keyboard; it takes the stage's place and the focus.
    await page.focus("#view-result");
    await page.keyboard.press("Enter");
    await waitForViewer(page, id);
    expect(await page.isHidden("#stage")).toBe(true);
    expect(await page.evaluate(() => document.querySelector("#viewer")?.contains(document.activeElement))).toBe(true);

    await page.click("#viewer-1to1");
    await waitForViewer(page, id, "1");
    expect(await page.textContent("#viewer-status")).toContain("1:1");
    const counts = check(await drawnImage(page, result), source, result);
    // The whole photo fits the viewer at 1:1: every pixel was checked, on both sides.
    expect(counts.source + counts.result).toBeGreaterThan(0.98 * result.width * result.height);
    expect(Math.min(counts.source, counts.result)).toBeGreaterThan(0.3 * result.width * result.height);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}viewer-1to1.png` });

    // The divider all the way left: the result everywhere.
    await page.focus("#compare");
    await page.keyboard.press("Home");
    await waitForViewer(page, id, "1");
    const all = check(await drawnImage(page, result), source, result);
    expect(all.source).toBe(0);
    expect(all.result).toBeGreaterThan(0.98 * result.width * result.height);

    // Escape closes it and gives the stage back.
    await page.focus("#viewer-osd .openseadragon-canvas");
    await page.keyboard.press("Escape");
    expect(await page.isHidden("#viewer")).toBe(true);
    expect(await page.isVisible("#stage")).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("view-result");
  });

  it("follows a Deep Zoom job into the open viewer and shows its tiles at 1:1 on a 2× screen", async () => {
    const { source, result } = await expected();
    const page = await ui.page({ deviceScaleFactor: 2 });
    const tileRequests: string[] = [];
    page.on("request", (r) => r.url().includes("/tiles/") && tileRequests.push(new URL(r.url()).pathname));
    await pickPhoto(page);
    const first = await submit(page, "PNG");
    await waitForStatus(page, "succeeded");
    await page.click("#view-result");
    await waitForViewer(page, first);

    // A Deep Zoom job while the viewer is open: its tile map over the viewer, then its result in it.
    const release = await showRunning(page);
    const id = await submit(page, "Deep Zoom (.dzi)");
    await page.waitForSelector('#viewer-tiles:not([hidden])[data-done="2"]', { timeout: 30_000 });
    await release();
    await waitForStatus(page, "succeeded");
    await waitForViewer(page, id);
    expect(await page.isHidden("#viewer-tiles")).toBe(true);

    await page.click("#viewer-1to1");
    await waitForViewer(page, id, "1");
    const drawn = await drawnImage(page, result);
    expect(drawn.width * drawn.height).toBe(result.width * result.height); // 600×400 device pixels: all on screen
    const counts = check(drawn, source, result);
    expect(Math.min(counts.source, counts.result)).toBeGreaterThan(0.3 * result.width * result.height);
    expect(tileRequests).toContain(`/v1/jobs/${id}/tiles/result.dzi`);
    expect(tileRequests.some((p) => p.startsWith(`/v1/jobs/${id}/tiles/result_files/`))).toBe(true);
  });
});

/** Whether the stage's tile overlay has any coloured pixel (the two finished tiles). */
function stageTilesPainted(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>("#stage-tiles");
    const data = c?.getContext("2d")?.getImageData(0, 0, c.width, c.height).data ?? [];
    for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) return true;
    return false;
  });
}
