// Uploads in a real Chromium: the job panel switches to a submission the moment its upload
// starts, shows the upload's progress, and its Cancel aborts that upload, never the job shown
// before; a refused upload says why. The upload is slowed with Chromium's network throttling,
// so that it is still running while the test looks at it.

import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { PHOTO_DIR } from "../helpers/images.js";
import { typePipeline, waitForPreview, watchedPage } from "./page-helpers.ts";
import { servedUi } from "./served-ui.ts";

// The aborted and the refused upload are logged by Chromium as failed resources; nothing else may be.
const ui = servedUi({ allowed: /Failed to load resource: the server responded with a status of 429/ });
let context: BrowserContext;

async function pageWithJob(): Promise<{ page: Page; firstJob: string }> {
  context = await ui.browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await watchedPage(context, ui.errors);
  await page.goto(ui.server.url);
  await page.setInputFiles("#file", `${PHOTO_DIR}coins.png`);
  await typePipeline(page, "invert");
  await waitForPreview(page, "invert");
  await page.click("#process");
  await page.waitForFunction(() => document.querySelector("#job-status")?.textContent === "succeeded", undefined, {
    timeout: 30_000,
  });
  return { page, firstJob: (await page.textContent("#job-id")) ?? "" };
}

const status = (page: Page) => page.textContent("#job-status");

describe("uploading a job", () => {
  it("shows the upload at once with its progress, and Cancel aborts it, not the previous job", async () => {
    const { page, firstJob } = await pageWithJob();
    expect(firstJob).toMatch(/^[0-9a-f-]{36}$/);

    // coins.png is 76 KB: at 16 KB/s its upload takes about 5 s.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 16 * 1024,
    });
    const aborted = page.waitForEvent("requestfailed", (r) => r.method() === "POST" && r.url().endsWith("/v1/jobs"));
    await page.click("#process");
    // The panel belongs to the new submission from its first byte: the old job and its Cancel are gone.
    expect(await status(page)).toBe("uploading");
    expect(await page.textContent("#job-id")).toBe("");
    expect(await page.textContent("#cancel")).toBe("Cancel upload");
    expect(await page.isDisabled("#process")).toBe(true);

    await page.waitForFunction(() => {
      const value = document.querySelector<HTMLProgressElement>("#job-progress")?.value ?? 0;
      return value > 0 && value < 100;
    });
    expect(await page.textContent("#upload-status")).toMatch(/^Uploading coins\.png: \d+ KB of 76 KB \(\d+%\)$/);
    expect(await page.getAttribute("#job-progress", "aria-valuetext")).toMatch(/^Upload \d+%$/);

    await page.click("#cancel");
    expect((await aborted).failure()?.errorText).toContain("ERR_ABORTED");
    await page.waitForFunction(() => document.querySelector("#job-status")?.textContent === "canceled");
    expect(await page.textContent("#upload-status")).toBe("The upload was canceled; no job was created.");
    expect(await page.isHidden("#cancel")).toBe(true);
    expect(await page.isEnabled("#process")).toBe(true);

    // The job shown before is as it was: a DELETE would have deleted it (404).
    const before = await fetch(`${ui.server.url}/v1/jobs/${firstJob}`);
    expect(before.status).toBe(200);
    expect(((await before.json()) as { status: string }).status).toBe("succeeded");
  });

  it("says why the gateway refused an upload", async () => {
    const { page } = await pageWithJob();
    await page.route("**/v1/jobs", (route) =>
      route.request().method() === "POST"
        ? route.fulfill({
            status: 429,
            headers: { "retry-after": "5" },
            json: { error: { code: "QUEUE_FULL", message: "16 jobs are in progress; retry in 5 s" } },
          })
        : route.fallback(),
    );
    await page.click("#process");
    await page.waitForFunction(() => document.querySelector("#job-status")?.textContent === "failed");
    expect(await page.textContent("#job-error")).toBe("16 jobs are in progress; retry in 5 s");
    expect(await page.textContent("#upload-status")).toBe("Upload failed.");
    expect(await page.isEnabled("#process")).toBe(true);
  });
});
