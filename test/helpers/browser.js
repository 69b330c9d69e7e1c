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
  return chromium.launch({ executablePath: await packaged.executablePath(), args: [...packaged.args, ...QUIET] });
}
