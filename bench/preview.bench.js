// Preview speed in a real Chromium: the web UI's preview workers running the kernels on a 1 MP
// image (1000×1000) with "gaussian-blur(sigma=2) | sobel", as a user dragging a slider gets it.
// Reports the page's own timing (window.__tessera.previewMs: from sending the pipeline to the
// workers to the assembled result), median of 15 after 3 warm-ups, and how much of it the
// slowest worker's kernels took (previewKernelMs; the rest is messaging and assembly). The
// machine's load average is printed too: on a busy machine the figures mean little.
//
//   npm run bench:preview

import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

import { launchChromium } from "../test/helpers/browser.js";
import { startServe } from "../test/helpers/server.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-preview-"));
const image = join(dir, "1mp.png");
await sharp(fileURLToPath(new URL("../test/fixtures/images/astronaut.png", import.meta.url)))
  .resize(1000, 1000)
  .png()
  .toFile(image);

const server = await startServe();
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.setInputFiles("#file", image);
  const times = [];
  const kernels = [];
  for (let i = 0; i < 18; i++) {
    // Alternate two sigmas so every run is a real recomputation, like a slider moving.
    const pipeline = `gaussian-blur(sigma=${i % 2 ? "2.01" : "2"}) | sobel`;
    await page.fill("#pipeline-text", pipeline);
    await page.dispatchEvent("#pipeline-text", "change");
    await page.waitForFunction(
      (p) => window.__tessera?.previewPipeline === p && document.querySelector("#preview")?.dataset.state === "ready",
      pipeline,
    );
    if (i >= 3) {
      const t = await page.evaluate(() => ({ ms: window.__tessera.previewMs, kernelMs: window.__tessera.previewKernelMs }));
      times.push(t.ms);
      kernels.push(t.kernelMs);
    }
  }
  times.sort((a, b) => a - b);
  kernels.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const kernelMedian = kernels[Math.floor(kernels.length / 2)];
  const setup = await page.evaluate(() => ({
    workers: Math.min(4, navigator.hardwareConcurrency || 1),
    // The test the pool makes (canShareMemory in edge/web/src/preview-pool.ts).
    shared: (() => {
      try {
        new MessageChannel().port1.postMessage(new SharedArrayBuffer(4));
        return true;
      } catch {
        return false;
      }
    })(),
  }));
  console.log(`\nChromium ${browser.version()}: preview of a 1000×1000 image, "gaussian-blur(sigma=2) | sobel"`);
  console.log(
    `median ${median.toFixed(1)} ms, best ${times[0].toFixed(1)} ms, worst ${times[times.length - 1].toFixed(1)} ms (15 runs); ` +
      `kernels (slowest worker) median ${kernelMedian.toFixed(1)} ms`,
  );
  console.log(
    `${setup.workers} preview workers, ${setup.shared ? "memory shared with them" : "no shared memory (bands are copied)"}; ` +
      `${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
  );
} finally {
  await browser.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
