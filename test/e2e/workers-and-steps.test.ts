// The job's workers and the pipeline's steps, in a real Chromium against `tessera serve`: the tile
// map's legend lists worker processes (not their loops) in the colours the cluster table gives
// them, and hovering a step, or tabbing into it, shows a thumbnail of the pipeline's output up to
// that step, computed by the preview workers.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { PHOTO_DIR } from "../helpers/images.js";
import { type Pixels, previewPixels, typePipeline, waitForPreview } from "./page-helpers.ts";
import { servedUi } from "./served-ui.ts";

const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));

const dir = mkdtempSync(join(tmpdir(), "tessera-e2e-steps-"));
const ui = servedUi({ after: () => rmSync(dir, { recursive: true, force: true }) });
const freshPage = (): Promise<Page> => ui.page();

/** The computed colour of each `.swatch` that is a direct child of `selector`'s matches, by data-worker. */
function swatchColours(page: Page, selector: string): Promise<Record<string, string>> {
  return page.$$eval(selector, (els) =>
    Object.fromEntries(
      els.map((el) => {
        const dot = el.querySelector(":scope > .swatch, :scope > td > .swatch");
        return [el.getAttribute("data-worker") ?? "", dot ? getComputedStyle(dot).backgroundColor : "none"];
      }),
    ),
  );
}

/** The pixels of a canvas, as drawn. */
async function canvasPixels(page: Page, selector: string): Promise<Pixels> {
  const { width, height, b64 } = await page.$eval(selector, (el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data;
    if (!data) throw new Error(`${el.id || el.tagName} has no 2D context`);
    let s = "";
    for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { width: canvas.width, height: canvas.height, b64: btoa(s) };
  });
  return { width, height, data: new Uint8ClampedArray(Buffer.from(b64, "base64")) };
}

const same = (a: Pixels, b: Pixels) =>
  a.width === b.width && a.height === b.height && Buffer.from(a.data).equals(Buffer.from(b.data));

describe("workers in the job panel", () => {
  it("lists worker processes in the legend, in the cluster table's colours", async () => {
    const page = await freshPage();
    await page.goto(ui.server.url);
    await page.setInputFiles("#file", `${PHOTO_DIR}hubble_deep_field.jpg`);
    await typePipeline(page, "median(radius=2) | sobel");
    await page.click("#process");
    await page.waitForFunction(() => document.querySelector("#job-status")?.textContent?.trim() === "succeeded", undefined, {
      timeout: 60_000,
    });
    await page.waitForSelector("#cluster-rows tr[data-worker]", { timeout: 10_000 });
    // The cluster table is rendered afresh at every poll, and a row caught mid-render has no
    // colour yet: read both again (a bounded number of times) until every legend entry matches.
    let legend: Record<string, string> = {};
    let table: Record<string, string> = {};
    for (let tries = 0; tries < 20; tries++) {
      legend = await swatchColours(page, "#job-legend li");
      table = await swatchColours(page, "#cluster-rows tr");
      if (Object.entries(legend).every(([worker, colour]) => table[worker] === colour)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Object.keys(legend).length, "the legend lists no worker").toBeGreaterThan(0);
    for (const [worker, colour] of Object.entries(legend)) {
      // The legend names the process the cluster table lists (tile events name its loops: `<process>/<n>`).
      expect(table[worker], `legend worker ${worker} is not a row of the cluster table (${Object.keys(table).join(", ")})`).toBe(
        colour,
      );
    }
    // Each process's loops are shades of its colour: one hue, several lightnesses.
    const loops = await page.$$eval("#job-legend .loops .swatch", (els) => els.map((e) => getComputedStyle(e).backgroundColor));
    expect(loops.length).toBeGreaterThan(0);
    expect(new Set(loops).size).toBe(loops.length);
    // The state agrees with the queue: once the job is done and nothing is queued, the worker is
    // busy or idle. The page polls the cluster every 2 s, so the snapshot on screen may predate
    // the job's end: a later poll must show it.
    await page.waitForFunction(
      () => /^(busy|idle)$/.test(document.querySelector("#cluster-rows .state")?.textContent?.trim() ?? ""),
      undefined,
      { timeout: 10_000 },
    );

    // The views the user guide shows: a step's thumbnail beside the finished job, then a phone in dark mode.
    await page.hover("#steps li.step:nth-child(1) .step-name");
    await page.waitForSelector('#step-thumb[data-state="ready"]', { timeout: 10_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}ui-steps.png`, fullPage: true });
    await page.mouse.move(0, 0);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${ARTIFACTS}ui-phone-dark.png`, fullPage: true });
  });
});

describe("step thumbnails", () => {
  it("shows each step's output on hover and on focus, equal to the preview of the steps up to it", async () => {
    // Small enough that the thumbnail and the preview are the same size: their pixels can be compared.
    const image = join(dir, "small.png");
    await sharp(`${PHOTO_DIR}astronaut.png`).resize(120, 90).png().toFile(image);
    const page = await freshPage();
    await page.goto(ui.server.url);
    await page.setInputFiles("#file", image);
    await typePipeline(page, "invert | grayscale");
    await waitForPreview(page, "invert | grayscale");
    const whole = await previewPixels(page, "previewOutput");

    await page.hover("#steps li.step:nth-child(1) .step-name");
    await page.waitForSelector('#steps li.step:nth-child(1) #step-thumb[data-state="ready"][data-pipeline="invert"]', {
      timeout: 10_000,
    });
    const thumb = await canvasPixels(page, "#step-thumb canvas");
    expect(await page.textContent("#step-thumb figcaption")).toBe("Output after step 1 (invert)");

    // The keyboard gets the same: step 2's thumbnail is the whole pipeline's output.
    await page.mouse.move(0, 0);
    await page.focus('#steps button[aria-label="Bypass step 2 (grayscale)"]');
    await page.waitForSelector(
      '#steps li.step:nth-child(2) #step-thumb[data-state="ready"][data-pipeline="invert | grayscale"]',
      {
        timeout: 10_000,
      },
    );
    expect(same(await canvasPixels(page, "#step-thumb canvas"), whole)).toBe(true);
    await page.keyboard.press("Escape");
    expect(await page.$("#step-thumb")).toBeNull();

    await typePipeline(page, "invert");
    await waitForPreview(page, "invert");
    const invert = await previewPixels(page, "previewOutput");
    expect(same(thumb, invert), "step 1's thumbnail differs from the preview of `invert` alone").toBe(true);
    expect(same(thumb, whole), "step 1's thumbnail shows the whole pipeline").toBe(false);
  });
});
