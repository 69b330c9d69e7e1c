// The setup every journey test file shares: one `tessera serve` for the file, a fresh Chromium
// for each test (so each starts with empty storage: closing a context instead would do, but the
// packaged Chromium runs as a single process, which a context's close brings down, and its
// contexts share localStorage), and no console error left at the end of a test.

import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { type ServerProcess, startServe } from "../helpers/server.js";
import { watchedPage } from "./page-helpers.ts";

export interface ServedUi {
  readonly server: ServerProcess;
  /** This test's browser. */
  readonly browser: Browser;
  /** Console errors and uncaught exceptions of every page opened through this object. */
  readonly errors: string[];
  /** A page in this test's browser, 1400×1000 unless told otherwise, its errors recorded. */
  page(options?: Parameters<Browser["newContext"]>[0]): Promise<Page>;
  /** A page in another browser of this test, with a profile of its own (someone else). */
  otherPage(): Promise<Page>;
}

/** Registers the hooks; `allowed` matches console errors a file's tests cause on purpose. */
export function servedUi(options: { allowed?: RegExp; after?: () => void } = {}): ServedUi {
  let server: ServerProcess | undefined;
  const browsers: Browser[] = [];
  const errors: string[] = [];
  beforeAll(async () => {
    server = await startServe();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    options.after?.();
  });
  beforeEach(async () => {
    browsers.push(await launchChromium());
  }, 60_000);
  afterEach(async () => {
    for (const b of browsers.splice(0)) await b.close();
    expect(errors.splice(0).filter((e) => !options.allowed?.test(e))).toEqual([]);
  });
  const ui: ServedUi = {
    get server() {
      if (!server) throw new Error("tessera serve has not started (servedUi's beforeAll failed)");
      return server;
    },
    get browser() {
      const browser = browsers[0];
      if (!browser) throw new Error("no browser for this test (servedUi's beforeEach failed)");
      return browser;
    },
    errors,
    async page(context = {}) {
      return watchedPage(await ui.browser.newContext({ viewport: { width: 1400, height: 1000 }, ...context }), errors);
    },
    async otherPage() {
      const other = await launchChromium();
      browsers.push(other);
      return watchedPage(await other.newContext({ viewport: { width: 1400, height: 1000 } }), errors);
    },
  };
  return ui;
}
