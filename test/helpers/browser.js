// A real headless Chromium for the browser test and the preview benchmark: Debian's
// /usr/bin/chromium where installed, otherwise the build @sparticuz/chromium ships inside its
// npm package (so `npm ci` is enough). Plain JavaScript so bench scripts can import it too.

import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

/** Flags that keep Chromium off the network it cannot reach here. */
const QUIET = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/**
 * @sparticuz/chromium's flags that emulate a GPU in software (SwiftShader's GL, in-process).
 * Dropped, with --disable-gpu added, as for Debian's build: compositing then takes Chromium's
 * plain software path. The emulated GPU rasterises every frame on the same CPU cores the
 * preview workers need (on the 2-core machine it tripled their kernel time: 13–30 ms per band
 * against 5 ms alone), a cost no user with a real GPU pays.
 */
const EMULATED_GPU = new Set([
  "--use-gl",
  "--use-angle",
  "--enable-unsafe-swiftshader",
  "--in-process-gpu",
  "--ignore-gpu-blocklist",
]);

/** @returns {Promise<import("playwright-core").Browser>} */
export async function launchChromium() {
  if (existsSync("/usr/bin/chromium")) {
    return chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", ...QUIET] });
  }
  let packaged;
  try {
    packaged = (await import("@sparticuz/chromium")).default;
  } catch (err) {
    throw new Error(
      `no Chromium for the browser tests: run \`npm ci\` (it installs @sparticuz/chromium) or \`apt-get install chromium\` (${err.message})`,
    );
  }
  return chromium.launch({
    executablePath: await packaged.executablePath(),
    args: [...packaged.args.filter((arg) => !EMULATED_GPU.has(arg.split("=")[0] ?? "")), "--disable-gpu", ...QUIET],
  });
}
