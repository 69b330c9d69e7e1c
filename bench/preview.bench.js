// Preview speed in a real Chromium: the web UI's Web Worker running the kernels on a 1 MP
// image (1000×1000) with "gaussian-blur(sigma=2) | sobel", as a user dragging a slider gets it.
// Reports the worker's own timing (window.__tessera.previewMs), median of 15 after 3 warm-ups.
//
//   npm run bench:preview

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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
  for (let i = 0; i < 18; i++) {
    // Alternate two sigmas so every run is a real recomputation, like a slider moving.
    const pipeline = `gaussian-blur(sigma=${i % 2 ? "2.01" : "2"}) | sobel`;
    await page.fill("#pipeline-text", pipeline);
    await page.dispatchEvent("#pipeline-text", "change");
    await page.waitForFunction(
      (p) => window.__tessera?.previewPipeline === p && document.querySelector("#preview")?.dataset.state === "ready",
      pipeline,
    );
    if (i >= 3) times.push(await page.evaluate(() => window.__tessera.previewMs));
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`\nChromium ${browser.version()}: preview of a 1000×1000 image, "gaussian-blur(sigma=2) | sobel"`);
  console.log(
    `median ${median.toFixed(1)} ms, best ${times[0].toFixed(1)} ms, worst ${times[times.length - 1].toFixed(1)} ms (15 runs)`,
  );
} finally {
  await browser.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
