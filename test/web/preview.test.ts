import { readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadKernels } from "@tessera/kernels";
import { build } from "vite";
import { describe, expect, it } from "vitest";
import { createPreviewHandler } from "../../edge/web/src/preview-core.ts";
import type { FromWorker } from "../../edge/web/src/preview-protocol.ts";
import { gradient } from "../helpers/images.js";

describe("preview worker logic", () => {
  it("runs the kernels on the kept image and reports the time; errors are messages", async () => {
    const replies: FromWorker[] = [];
    const kernels = loadKernels();
    const handle = createPreviewHandler(kernels, (m) => replies.push(m));
    const image = gradient(37, 23);
    await handle({ type: "image", ...image, data: image.data.slice() });
    await handle({ type: "run", id: 1, pipeline: "gaussian-blur(sigma=2) | invert" });
    await handle({ type: "run", id: 2, pipeline: "gaussian-blur(sigma=1000)" });
    await handle({ type: "run", id: 3, pipeline: "" });
    const k = await kernels;
    const result = replies.find((r) => r.type === "result" && r.id === 1);
    expect(result).toMatchObject({ width: 37, height: 23, pipeline: "gaussian-blur(sigma=2) | invert" });
    if (result?.type !== "result") throw new Error("no result");
    expect([...result.data]).toEqual([...k.run(image, "gaussian-blur(sigma=2) | invert").data]);
    expect(result.ms).toBeGreaterThanOrEqual(0);
    expect(replies.find((r) => r.type === "error")).toMatchObject({ id: 2, code: "INVALID_PIPELINE" });
    const same = replies.find((r) => r.type === "result" && r.id === 3);
    if (same?.type !== "result") throw new Error("no identity result");
    expect([...same.data]).toEqual([...image.data]);
    expect(replies.some((r) => r.type === "ready")).toBe(true);
  });
});

describe("web bundle", () => {
  it("ships tessera.wasm as an asset and its bundled worker runs the kernels", async () => {
    const outDir = join(tmpdir(), `tessera-web-${process.pid}-${Date.now()}`);
    await build({ configFile: "edge/web/vite.config.ts", logLevel: "silent", build: { outDir } });
    const assets = await readdir(join(outDir, "assets"));
    const wasm = assets.find((f) => f.endsWith(".wasm"));
    const workerChunk = assets.find((f) => f.startsWith("preview-worker") && f.endsWith(".js"));
    expect(wasm).toBeDefined();
    expect(workerChunk).toBeDefined();
    const index = await readFile(join(outDir, "index.html"), "utf8");
    expect(index).toMatch(/src="\.\/assets\/index-[\w-]+\.js"/);
    const main = assets.find((f) => f.startsWith("index-") && f.endsWith(".js")) ?? "";
    expect(await readFile(join(outDir, "assets", main), "utf8")).toContain(workerChunk);
    expect(await readFile(join(outDir, "assets", workerChunk ?? ""), "utf8")).toContain(wasm);

    // Run the bundled worker as a worker would: `self` with postMessage/onmessage.
    const replies: FromWorker[] = [];
    let resolveReady: () => void = () => {};
    const ready = new Promise<void>((r) => {
      resolveReady = r;
    });
    const scope: { onmessage: ((e: { data: unknown }) => void) | null; postMessage(m: FromWorker): void } = {
      onmessage: null,
      postMessage(m) {
        replies.push(m);
        if (m.type === "ready" || m.type === "result" || m.type === "error") resolveReady();
      },
    };
    (globalThis as { self?: unknown }).self = scope;
    try {
      await import(/* @vite-ignore */ pathToFileURL(join(outDir, "assets", workerChunk ?? "")).href);
      await ready;
      expect(replies[0]).toEqual({ type: "ready" });
      const image = gradient(16, 16);
      scope.onmessage?.({ data: { type: "image", ...image } });
      const done = new Promise<void>((r) => {
        const check = setInterval(() => {
          if (replies.length > 1) {
            clearInterval(check);
            r();
          }
        }, 5);
      });
      scope.onmessage?.({ data: { type: "run", id: 7, pipeline: "invert" } });
      await done;
      const out = replies[1];
      if (out?.type !== "result") throw new Error(`expected a result, got ${JSON.stringify(out)}`);
      expect(out.data[0]).toBe(255 - (image.data[0] ?? 0));
    } finally {
      delete (globalThis as { self?: unknown }).self;
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
