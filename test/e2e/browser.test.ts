// End to end in a real Chromium: `tessera serve` as its own process, the web UI loaded from it,
// a photo uploaded, a pipeline typed into the UI, the WebAssembly preview checked pixel for
// pixel against run(), the full-resolution job submitted and followed to the end, and the
// downloaded result checked byte for byte against run() on the full image.

import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { compare, describe as describeDiff, loadPhoto, PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { type ServerProcess, startServe } from "../helpers/server.js";
import { previewPixels, waitForPreview } from "./page-helpers.ts";

const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const PIPELINE = "gaussian-blur(sigma=2) | sobel";

let server: ServerProcess;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServe(), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Reads an ImageData-like object out of the page as bytes (base64 keeps the transfer small). */
describe("the web UI in Chromium", () => {
  it("previews in WebAssembly, runs the job on the server, and downloads the exact result", async () => {
    const k = await kernels();
    const loaded = await page.goto(server.url);
    // Served to be cross-origin isolated, so previews may share memory with their workers in any
    // browser. (This single-process Chromium shares it anyway and reports no isolation, so the
    // headers are what can be checked here.)
    expect(loaded?.headers()).toMatchObject({
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    await page.setInputFiles("#file", `${PHOTO_DIR}hubble_deep_field.jpg`);
    await page.fill("#pipeline-text", PIPELINE);
    await page.dispatchEvent("#pipeline-text", "change");
    await waitForPreview(page, PIPELINE);

    // The preview ran our kernels in the page's worker: same bytes as run() here.
    const input = await previewPixels(page, "previewInput");
    const output = await previewPixels(page, "previewOutput");
    expect(Math.max(input.width, input.height)).toBeLessThanOrEqual(1024);
    expect(describeDiff(compare(output.data, k.run(input, PIPELINE).data, input.width))).toBe("max diff 0");

    // A lossless result, to compare exactly (a JPEG input otherwise stays a JPEG).
    await page.selectOption("#format", { label: "PNG" });
    await page.click("#process");
    await page.waitForFunction(() => document.querySelector("#job-status")?.textContent?.trim() === "succeeded", undefined, {
      timeout: 60_000,
    });
    const href = await page.getAttribute("#download-png", "href");
    expect(href).toBeTruthy();
    const download = await fetch(new URL(href as string, page.url()));
    expect(download.status).toBe(200);
    const { data } = await sharp(Buffer.from(await download.arrayBuffer()))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const photo = await loadPhoto("hubble_deep_field.jpg");
    expect(describeDiff(compare(data, k.run(photo, PIPELINE).data, photo.width))).toBe("max diff 0");

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}ui-finished.png`, fullPage: true });

    // Keyboard: Tab reaches every main control, and each one has a name a screen reader reads.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached = new Map<string, string>();
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press("Tab");
      const focus = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const labelled = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : undefined;
        const name = el.getAttribute("aria-label") ?? labelled ?? el.closest("label")?.textContent ?? el.textContent ?? "";
        return { id: el.id || el.tagName.toLowerCase(), name: name.trim() };
      });
      if (focus) reached.set(focus.id, focus.name);
    }
    for (const id of ["pick-again", "add-op", "add-step", "pipeline-text", "process", "download-png"]) {
      expect(reached.has(id), `Tab never reached #${id}; reached ${[...reached.keys()].join(", ")}`).toBe(true);
    }
    const unnamed = [...reached].filter(([, name]) => name === "").map(([id]) => id);
    expect(unnamed, "focusable controls without an accessible name").toEqual([]);
    // Readable on a phone: nothing overflows the viewport sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${ARTIFACTS}ui-narrow.png`, fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  it("shows each worker's memory and CPU, and the dead-lettered bands with their reasons", async () => {
    await page.setViewportSize({ width: 1400, height: 1000 });
    // The real server's worker first: its heartbeat fields reach the table.
    await page.waitForFunction(() => /\d+ MB/.test(document.querySelector("#cluster-rows")?.textContent ?? ""), undefined, {
      timeout: 10_000,
    });
    expect(await page.textContent("#cluster-rows")).toMatch(/\d+\.\d s/);
    expect(await page.isHidden("#cluster-dead")).toBe(true);
    // Then a cluster that gave up on a band: the panel polls GET /v1/cluster and lists it.
    const real = (await (await fetch(`${server.url}/v1/cluster`)).json()) as Record<string, unknown>;
    const letter = {
      jobId: "0b7e3c1e-1111-4a2b-9c3d-222233334444",
      stage: 0,
      band: 12,
      reason: "BandFailed",
      description: "band jobs/…/src/b12 has 3 bytes, expected 1048576",
      deliveries: 10,
      at: new Date().toISOString(),
    };
    await page.route("**/v1/cluster", (route) => route.fulfill({ json: { ...real, deadLetters: [letter] } }));
    await page.waitForSelector("#cluster-dead:not([hidden])", { timeout: 10_000 });
    expect(await page.textContent("#cluster-dead-count")).toBe("1");
    await page.click("#cluster-dead summary");
    const text = await page.textContent("#cluster-dead-list");
    expect(text).toContain("job 0b7e3c1e · band 12");
    expect(text).toContain("BandFailed: band jobs/…/src/b12 has 3 bytes, expected 1048576 (10 deliveries)");
    await page.unroute("**/v1/cluster");
    expect(consoleErrors).toEqual([]);
  });
});
