// Work is not lost, in a real Chromium against `tessera serve`: the pipeline lives in the URL (a
// link opens it in another browser), the last session comes back from localStorage, named presets
// survive a reload, and a pipeline goes out and comes back in as a text file in the CLI's syntax.
// Last, the new controls on a 390 px phone in dark mode: no sideways scroll, readable, reachable.

import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { PHOTO_DIR } from "../helpers/images.js";
import { typePipeline, waitForPreview, waitForUrlPipeline } from "./page-helpers.ts";
import { servedUi } from "./served-ui.ts";

const THREE = "gaussian-blur(sigma=2) | sobel | invert";

const ui = servedUi();
const freshPage = (options: Parameters<Browser["newContext"]>[0] = {}): Promise<Page> => ui.page(options);
/** Someone else: another browser, with a profile of its own. */
const otherBrowserPage = (): Promise<Page> => ui.otherPage();

const bypassButton = (n: number, op: string) => `button[aria-label="Bypass step ${n} (${op})"]`;

describe("the pipeline is not lost", () => {
  it("lives in the URL, bypassed steps included, and the link opens it in a fresh browser", async () => {
    const page = await freshPage();
    await page.goto(ui.server.url);
    await typePipeline(page, THREE);
    await page.click(bypassButton(2, "sobel"));
    await page.waitForFunction(() => new URL(location.href).searchParams.get("bypass") === "2", undefined, { timeout: 10_000 });
    const link = page.url();
    expect(new URL(link).searchParams.get("pipeline")).toBe(THREE);

    const other = await otherBrowserPage(); // no localStorage of the first
    await other.goto(link);
    expect(await other.inputValue("#pipeline-text")).toBe(THREE);
    expect(await other.getAttribute(bypassButton(2, "sobel"), "aria-pressed")).toBe("true");
    await other.setInputFiles("#file", `${PHOTO_DIR}coins.png`);
    await waitForPreview(other, "gaussian-blur(sigma=2) | invert");
  });

  it("comes back from the last session when the page opens without a pipeline in its URL", async () => {
    const page = await freshPage();
    await page.goto(ui.server.url);
    const start = await page.inputValue("#pipeline-text");
    await typePipeline(page, "median(radius=2) | posterize(levels=3)");
    await waitForUrlPipeline(page, "median(radius=2) | posterize(levels=3)");
    await page.goto(ui.server.url); // a bare URL, as from a bookmark
    expect(await page.inputValue("#pipeline-text")).toBe("median(radius=2) | posterize(levels=3)");
    await page.reload();
    expect(await page.inputValue("#pipeline-text")).toBe("median(radius=2) | posterize(levels=3)");

    // Kept by this browser, not by the server: another profile starts from the default.
    const other = await otherBrowserPage();
    await other.goto(ui.server.url);
    expect(await other.inputValue("#pipeline-text")).toBe(start);
  });

  it("saves, renames and deletes named presets, which survive a reload", async () => {
    const page = await freshPage();
    await page.goto(ui.server.url);
    await page.click("#library summary");
    const save = async (pipeline: string, name: string) => {
      await typePipeline(page, pipeline);
      await page.fill("#preset-name", name);
      await page.click("#preset-save");
      expect(await page.textContent("#library-status")).toBe(`Saved preset “${name}”.`);
    };
    await save("gaussian-blur(sigma=2) | sobel", "Edges");
    await save("box-blur(radius=3)", "Soft");
    await page.click("#preset-save"); // no name
    expect(await page.textContent("#library-error")).toBe("Give the preset a name.");

    await page.click('button[aria-label="Rename preset Edges"]');
    await page.fill('input[aria-label="New name for preset Edges"]', "Soft");
    await page.press('input[aria-label="New name for preset Edges"]', "Enter");
    expect(await page.textContent("#library-error")).toBe("A preset named “Soft” exists already.");
    await page.fill('input[aria-label="New name for preset Edges"]', "Crisp edges");
    await page.press('input[aria-label="New name for preset Edges"]', "Enter");
    expect(await page.textContent("#library-status")).toBe("Renamed “Edges” to “Crisp edges”.");
    await page.click('button[aria-label="Delete preset Soft"]');

    await page.reload();
    await page.click("#library summary");
    expect(await page.$$eval("#presets .preset-load strong", (els) => els.map((e) => e.textContent))).toEqual(["Crisp edges"]);
    await typePipeline(page, "invert");
    await page.click('button[aria-label="Load preset Crisp edges"]');
    expect(await page.inputValue("#pipeline-text")).toBe("gaussian-blur(sigma=2) | sobel");
  });

  it("exports the steps that run as CLI text and imports a text file; a bad file changes nothing", async () => {
    const page = await freshPage();
    await page.goto(ui.server.url);
    await typePipeline(page, THREE);
    await page.click(bypassButton(3, "invert"));
    await page.click("#library summary");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-pipeline")]);
    expect(download.suggestedFilename()).toBe("pipeline.txt");
    // What `tessera process -p` would take: the bypassed step is left out.
    expect((await readFile(await download.path(), "utf8")).trim()).toBe("gaussian-blur(sigma=2) | sobel");

    await page.setInputFiles("#import-file", {
      name: "clean.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("median(radius=2) | normalize\n"),
    });
    await page.waitForFunction(
      () => document.querySelector<HTMLTextAreaElement>("#pipeline-text")?.value === "median(radius=2) | normalize",
    );
    await page.click("#undo"); // an import is one undoable change
    expect(await page.inputValue("#pipeline-text")).toBe(THREE);
    expect(await page.getAttribute(bypassButton(3, "invert"), "aria-pressed")).toBe("true");

    await page.setInputFiles("#import-file", {
      name: "bad.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("gaussian-blurr(sigma=2)"),
    });
    await page.waitForSelector("#library-error:not([hidden])");
    const message = await page.textContent("#library-error");
    expect(message).toContain("bad.txt is not a pipeline Tessera can run:");
    expect(message).toContain('did you mean "gaussian-blur"');
    expect(await page.inputValue("#pipeline-text")).toBe(THREE);
  });
});

describe("on a phone in dark mode", () => {
  it("fits 390 px, keeps text readable, and reaches every new control from the keyboard", async () => {
    const page = await freshPage({ viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    await page.goto(`${ui.server.url}/?pipeline=${encodeURIComponent(THREE)}&bypass=2`);
    await page.setInputFiles("#file", `${PHOTO_DIR}chelsea.png`);
    await waitForPreview(page, "gaussian-blur(sigma=2) | invert");
    await page.click("#library summary");
    await page.fill("#preset-name", "A preset with a rather long name for a phone screen");
    await page.click("#preset-save");
    await page.click(bypassButton(3, "invert")); // an edit, so that Undo is on
    await page.fill("#op-search", "blur");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // Dark: the page is dark, and text on the new controls keeps WCAG AA contrast (4.5:1).
    const contrast = await page.evaluate(() => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const lum = ([r = 0, g = 0, b = 0]: number[]) => {
        const ch = (v: number) => {
          const c = v / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
      };
      const background = (el: Element | null): number[] => {
        for (let e = el; e; e = e.parentElement) {
          const c = rgb(getComputedStyle(e).backgroundColor);
          if (c.length === 3 || (c[3] ?? 0) > 0.5) return c.slice(0, 3);
        }
        return [255, 255, 255];
      };
      const ratio = (sel: string) => {
        const el = document.querySelector(sel);
        if (!el) return `${sel} missing`;
        const a = lum(rgb(getComputedStyle(el).color));
        const b = lum(background(el));
        return Math.round(((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)) * 10) / 10;
      };
      const sels = ["#op-search", "#preset-name", "#bypass-note", ".preset-load strong", "#library-status", "#steps .step-name"];
      return { page: lum(background(document.body)), ...Object.fromEntries(sels.map((s) => [s, ratio(s)])) };
    });
    expect(contrast.page).toBeLessThan(0.05);
    for (const [sel, ratio] of Object.entries(contrast)) {
      if (sel !== "page") expect(ratio, `contrast of ${sel}`).toBeGreaterThanOrEqual(4.5);
    }

    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached = new Set<string>();
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press("Tab");
      reached.add(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return el?.id || el?.getAttribute("aria-label") || el?.textContent?.trim() || "";
        }),
      );
    }
    for (const name of [
      "op-search",
      "Bypass step 1 (gaussian-blur)",
      "Move down step 1 (gaussian-blur)",
      "undo",
      "export-pipeline",
      "import-pipeline",
      "preset-name",
      "Load preset A preset with a rather long name for a phone screen",
      "Rename preset A preset with a rather long name for a phone screen",
    ]) {
      expect(reached.has(name), `Tab never reached ${name}`).toBe(true);
    }
  });
});
