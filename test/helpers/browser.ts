// A real headless Chromium for the browser tests: Debian's /usr/bin/chromium where installed,
// otherwise the build @sparticuz/chromium ships inside its npm package (so `npm ci` is enough).

import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Flags that keep Chromium off the network it cannot reach here, and headless without a GPU. */
const QUIET = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export async function launchChromium(): Promise<Browser> {
  if (existsSync("/usr/bin/chromium")) {
    return chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", ...QUIET] });
  }
  let packaged: { executablePath(): Promise<string>; args: string[] };
  try {
    packaged = (await import("@sparticuz/chromium")).default;
  } catch (err) {
    throw new Error(
      `no Chromium for the browser tests: run \`npm ci\` (it installs @sparticuz/chromium) or \`apt-get install chromium\` (${(err as Error).message})`,
    );
  }
  return chromium.launch({ executablePath: await packaged.executablePath(), args: [...packaged.args, ...QUIET] });
}
