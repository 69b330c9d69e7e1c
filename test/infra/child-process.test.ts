import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { exited, isRunning, stopChild, waitForReady } from "../../infra/local/child-process.js";

const node = (script: string) => spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });

describe("child processes of the local tooling", () => {
  it("stops a child that ignores SIGTERM with SIGKILL after the grace period", async () => {
    const child = node(`process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000);`);
    await waitForReady(child, { name: "stubborn", timeoutMs: 10_000, ready: (out) => (out.includes("up") ? true : undefined) });
    const started = Date.now();
    await stopChild(child, 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(child.signalCode).toBe("SIGKILL");
    expect(isRunning(child)).toBe(false);
    await stopChild(child, 300); // already gone: nothing to do
  });

  it("stops a child that exits on SIGTERM without waiting out the grace period", async () => {
    const child = node(`console.log("up"); setInterval(() => {}, 1000);`);
    await waitForReady(child, { name: "polite", timeoutMs: 10_000, ready: (out) => (out.includes("up") ? true : undefined) });
    const started = Date.now();
    await stopChild(child, 10_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(child.signalCode).toBe("SIGTERM");
  });

  it("rejects with stderr when the child exits first, and kills it after a timeout", async () => {
    const failing = node(`console.error("cannot bind"); process.exit(3);`);
    await expect(waitForReady(failing, { name: "failing", timeoutMs: 10_000, ready: () => undefined })).rejects.toThrow(
      "failing exited (code 3) before it was ready:\ncannot bind",
    );
    const silent = node(`setInterval(() => {}, 1000);`);
    await expect(waitForReady(silent, { name: "silent", timeoutMs: 200, ready: () => undefined })).rejects.toThrow(
      "silent was not ready within 200 ms:\n(no output)",
    );
    await exited(silent);
    expect(silent.signalCode).toBe("SIGKILL");
  });
});
