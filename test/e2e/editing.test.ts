// Editing comforts in a real Chromium: bypass and reorder (drag, and the keyboard's move buttons)
// give the preview of the pipeline without the step / in the new order, byte for byte; undo and
// redo from the keyboard, Ctrl+Enter to process, the op search; and a slider drag that sends
// only the newest pipeline to the preview worker while one is running.

import { ops } from "@tessera/kernels";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { compare, describe as describeDiff, PHOTO_DIR } from "../helpers/images.js";
import { kernels } from "../helpers/kernels.js";
import { previewPixels, stepNames, waitForPreview, watchedPage } from "./page-helpers.ts";
import { servedUi } from "./served-ui.ts";

const ui = servedUi();

/** A fresh profile on the UI with `pipeline` in its URL and a photo picked. */
async function openWith(pipeline: string, photo = "chelsea.png"): Promise<Page> {
  const context = await ui.browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await watchedPage(context, ui.errors);
  await page.goto(`${ui.server.url}/?pipeline=${encodeURIComponent(pipeline)}`);
  await page.setInputFiles("#file", `${PHOTO_DIR}${photo}`);
  await waitForPreview(page, pipeline);
  return page;
}

/** The preview drawn now against run() of `pipeline` on the preview's input: "max diff 0" when identical. */
async function previewAgainst(page: Page, pipeline: string): Promise<string> {
  const k = await kernels();
  const input = await previewPixels(page, "previewInput");
  const output = await previewPixels(page, "previewOutput");
  return describeDiff(compare(output.data, k.run(input, pipeline).data, input.width));
}

const FULL = "gaussian-blur(sigma=3) | sobel | invert";

describe("editing the pipeline", () => {
  it("bypasses a step: the preview is that of the pipeline without it", async () => {
    const page = await openWith(FULL);
    await page.click('button[aria-label="Bypass step 2 (sobel)"]');
    await waitForPreview(page, "gaussian-blur(sigma=3) | invert");
    expect(await previewAgainst(page, "gaussian-blur(sigma=3) | invert")).toBe("max diff 0");
    expect(await previewAgainst(page, FULL)).not.toBe("max diff 0");
    expect(await page.textContent("#bypass-note")).toContain("Step 2 (sobel) is bypassed");
    expect(await page.inputValue("#pipeline-text")).toBe(FULL); // the text form keeps every step

    await page.click('button[aria-label="Bypass step 2 (sobel)"]');
    await waitForPreview(page, FULL);
    expect(await previewAgainst(page, FULL)).toBe("max diff 0");
  });

  it("reorders by dragging a step's handle, and from the keyboard with its move buttons", async () => {
    const page = await openWith(FULL);
    const cards = page.locator("#steps > li");
    await cards.first().scrollIntoViewIfNeeded();
    const handle = await cards.nth(1).locator(".drag-handle").boundingBox();
    const first = await cards.first().boundingBox();
    if (!handle || !first) throw new Error("step cards are not laid out");
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2, first.y + 4, { steps: 8 });
    await page.mouse.up();
    expect(await stepNames(page)).toEqual(["sobel", "gaussian-blur", "invert"]);
    const reordered = "sobel | gaussian-blur(sigma=3) | invert";
    await waitForPreview(page, reordered);
    expect(await previewAgainst(page, reordered)).toBe("max diff 0");
    expect(await previewAgainst(page, FULL)).not.toBe("max diff 0");

    await page.focus('button[aria-label="Move down step 1 (sobel)"]');
    await page.keyboard.press("Enter");
    expect(await stepNames(page)).toEqual(["gaussian-blur", "sobel", "invert"]);
    // The keyboard stays on the moved step's button, so pressing again keeps moving it.
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Move down step 2 (sobel)");
    await waitForPreview(page, FULL);
    expect(await previewAgainst(page, FULL)).toBe("max diff 0");
  });

  it("finds ops by search, undoes and redoes from the keyboard, and processes with Ctrl+Enter", async () => {
    const page = await openWith("gaussian-blur(sigma=2)", "coins.png");
    await page.fill("#op-search", "edge");
    const found = await page.$$eval("#add-op option", (os) => os.map((o) => (o as HTMLOptionElement).value));
    const expected = [...ops.values()].filter((op) =>
      `${op.name} ${op.category} ${op.kind} ${op.description}`.toLowerCase().includes("edge"),
    );
    expect(found.sort()).toEqual(expected.map((op) => op.name).sort());
    expect(found.length).toBeLessThan(ops.size);
    await page.fill("#op-search", "sobel");
    await page.press("#op-search", "Enter");
    expect(await page.inputValue("#pipeline-text")).toBe("gaussian-blur(sigma=2) | sobel");
    await page.fill("#op-search", "no-such-op");
    expect(await page.textContent("#add-op")).toBe("No op matches “no-such-op”");
    expect(await page.isDisabled("#add-step")).toBe(true);
    await page.fill("#op-search", "");

    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press("Control+z");
    expect(await page.inputValue("#pipeline-text")).toBe("gaussian-blur(sigma=2)");
    await page.keyboard.press("Control+Shift+z");
    expect(await page.inputValue("#pipeline-text")).toBe("gaussian-blur(sigma=2) | sobel");

    // A slider drag is one step to undo, however many values it went through.
    const slider = "#steps > li:first-child input[type=range]";
    await page.evaluate((sel) => {
      const range = document.querySelector<HTMLInputElement>(sel);
      if (!range) throw new Error(`${sel} is missing`);
      for (const v of [2.5, 3, 3.5, 4]) {
        range.value = String(v);
        range.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }, slider);
    expect(await page.inputValue("#pipeline-text")).toBe("gaussian-blur(sigma=4) | sobel");
    await page.focus(slider); // a slider is no text field: Ctrl+Z is the pipeline's undo there
    await page.keyboard.press("Control+z");
    expect(await page.inputValue("#pipeline-text")).toBe("gaussian-blur(sigma=2) | sobel");

    // Ctrl+Enter from the text form, right after typing: what was typed is what gets processed.
    await page.fill("#pipeline-text", "invert");
    await page.keyboard.press("Control+Enter");
    await page.waitForFunction(() => document.querySelector("#job-id")?.textContent !== "", undefined, { timeout: 30_000 });
    expect(await page.textContent("#job-pipeline")).toMatch(/· invert$/);
  });

  it("sends a slider drag's newest value to the preview, never the values in between", async () => {
    const context = await ui.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    // Record every pipeline the page posts to its preview workers (a run, or one band of it).
    await context.addInitScript(() => {
      const sent: { id: number; pipeline: string }[] = [];
      (window as unknown as { __sent: typeof sent }).__sent = sent;
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: unknown[]) {
        const m = message as { type?: string; id?: number; pipeline?: string };
        if (m?.type === "run" || m?.type === "band") sent.push({ id: m.id ?? -1, pipeline: m.pipeline ?? "" });
        return (post as (...args: unknown[]) => void).call(this, message, ...rest);
      } as Worker["postMessage"];
    });
    const page = await watchedPage(context, ui.errors);
    await page.goto(`${ui.server.url}/?pipeline=${encodeURIComponent("gaussian-blur(sigma=2)")}`);
    await page.setInputFiles("#file", `${PHOTO_DIR}chelsea.png`);
    await waitForPreview(page, "gaussian-blur(sigma=2)");

    // 30 slider positions in one task: the first starts a preview at once, and the worker cannot
    // answer before the loop ends, so every later one arrives while that preview runs.
    await page.evaluate(() => {
      (window as unknown as { __sent: unknown[] }).__sent.length = 0;
      const range = document.querySelector<HTMLInputElement>("#steps input[type=range]");
      if (!range) throw new Error("no slider");
      for (let i = 0; i < 30; i++) {
        range.value = String(2.5 + i / 2);
        range.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
    await waitForPreview(page, "gaussian-blur(sigma=17)");
    const sent = await page.evaluate(() => (window as unknown as { __sent: { id: number; pipeline: string }[] }).__sent);
    const runs = [...new Map(sent.map((s) => [s.id, s.pipeline])).values()];
    expect(runs).toEqual(["gaussian-blur(sigma=2.5)", "gaussian-blur(sigma=17)"]);
    expect(await previewAgainst(page, "gaussian-blur(sigma=17)")).toBe("max diff 0");
  });
});
