// The result's format and the download settings, as a user meets them: a JPEG input is kept a
// JPEG ("Same as input" names it), and the quality set beside the download links reaches the
// file downloaded.

import { describe, expect, it } from "vitest";
import { PHOTO_DIR } from "../helpers/images.js";
import { typePipeline, waitForPreview } from "./page-helpers.ts";
import { servedUi } from "./served-ui.ts";

const ui = servedUi();

describe("result format and quality", () => {
  it("keeps a JPEG input a JPEG, and downloads at the quality and compression set", async () => {
    const page = await ui.page();
    await page.goto(ui.server.url);
    await page.setInputFiles("#file", `${PHOTO_DIR}rocket.jpg`);
    await typePipeline(page, "sepia");
    await waitForPreview(page, "sepia");
    expect(
      await page.$eval("#format", (s) => [(s as HTMLSelectElement).value, (s as HTMLSelectElement).options[0]?.textContent]),
    ).toEqual(["jpeg", "Same as input (JPEG)"]);
    await page.click("#process");
    await page.waitForFunction(() => document.querySelector("#job-status")?.textContent === "succeeded", undefined, {
      timeout: 30_000,
    });
    const id = (await page.textContent("#job-id")) ?? "";
    const job = (await (await fetch(`${ui.server.url}/v1/jobs/${id}`)).json()) as { format: string };
    expect(job.format).toBe("jpeg");

    const bytesOf = async (link: string) => {
      const href = await page.getAttribute(link, "href");
      const res = await fetch(new URL(href ?? "", ui.server.url));
      expect(res.status, href ?? "").toBe(200);
      return { href, size: (await res.arrayBuffer()).byteLength, type: res.headers.get("content-type") };
    };
    await page.fill("#download-quality", "30");
    const low = await bytesOf("#download-jpeg");
    await page.fill("#download-quality", "95");
    const high = await bytesOf("#download-jpeg");
    expect(low.href).toContain("quality=30");
    expect([low.type, high.type]).toEqual(["image/jpeg", "image/jpeg"]);
    expect(low.size).toBeLessThan(high.size);
    await page.fill("#download-compression", "0");
    const loose = await bytesOf("#download-png");
    await page.fill("#download-compression", "9");
    const tight = await bytesOf("#download-png");
    expect(loose.href).toContain("compression=0");
    expect(loose.size).toBeGreaterThan(tight.size);
  });
});
