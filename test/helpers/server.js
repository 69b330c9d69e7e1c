// `tessera serve` as a real OS process on a free loopback port, for the browser test and the
// preview benchmark. Plain JavaScript so bench scripts can import it too.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/tessera.js", import.meta.url));

/**
 * @typedef {{ url: string, child: import("node:child_process").ChildProcess, dataDir: string, output(): string, stop(): Promise<void> }} ServerProcess
 * @param {Record<string, string>} [extraEnv]
 * @param {{ dataDir?: string }} [options]
 * @returns {Promise<ServerProcess>}
 */
export async function startServe(extraEnv = {}, options = {}) {
  // A caller that names the data folder owns it (a test restarts a server on it); else it is ours.
  const ownsData = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "tessera-serve-"));
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--threads", "2", "--data", dataDir], {
    env: { ...process.env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => {
    log += d;
  });
  child.stderr.on("data", (d) => {
    log += d;
  });
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tessera serve did not start within 30 s:\n${log}`)), 30_000);
    child.stdout.on("data", () => {
      const m = log.match(/running at (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace("localhost", "127.0.0.1"));
      }
    });
    child.once("exit", (code) => reject(new Error(`tessera serve exited with ${code}:\n${log}`)));
  });
  let url;
  try {
    url = await started;
  } catch (err) {
    // A server that failed to start must not leave its process or folder behind.
    child.kill("SIGKILL");
    if (ownsData) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    child,
    dataDir,
    output: () => log,
    async stop() {
      // Still running: a child killed by a signal has no exit code, only a signal code.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (ownsData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
