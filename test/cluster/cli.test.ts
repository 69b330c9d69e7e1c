// `tessera cluster` as a user runs it: one command starts the emulator, Azurite, the gateway
// and the workers; SIGTERM (what Ctrl-C's SIGINT also does) stops every one of them and leaves
// no temporary directory behind.

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { exited, isRunning, pidAlive, stopChild, waitForReady } from "../../infra/local/child-process.js";
import { tesseraBin } from "../../infra/local/tessera-process.js";
import { getCluster } from "../helpers/http-jobs.js";

// The cluster gets a temporary folder of its own (TMPDIR), so tests running beside it, which
// start Azurites of their own, cannot be mistaken for it.
const privateTmp = mkdtempSync(join(tmpdir(), "tessera-cli-test-"));
const azuriteDirs = () => readdirSync(privateTmp).filter((d) => d.startsWith("tessera-azurite-"));

const started: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  for (const child of started.splice(0)) if (isRunning(child)) await stopChild(child, 20_000);
});
afterAll(() => rmSync(privateTmp, { recursive: true, force: true }));

it("starts every part as its own process, with the options given, and stops them all on SIGTERM", async () => {
  expect(azuriteDirs()).toEqual([]);
  const child = spawn(process.execPath, [tesseraBin(), "cluster", "--workers", "2", "--loops", "5", "--port", "0", "--verbose"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TMPDIR: privateTmp },
  });
  started.push(child);
  // --verbose prints every part's lines on stderr, prefixed with its name.
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const announced = await waitForReady(child, {
    name: "tessera cluster",
    timeoutMs: 60_000,
    ready: (stdout) => {
      const line = stdout.split("\n").find((l) => l.includes('"cluster-started"'));
      return line === undefined
        ? undefined
        : (JSON.parse(line) as { url: string; gateway: number; workers: number[]; services: number[] });
    },
  });
  const view = await getCluster(announced.url);
  expect(view.workers.map((w) => w.pid).sort()).toEqual([...announced.workers].sort());
  expect(view.workers.every((w) => w.alive)).toBe(true);
  expect(Object.keys(view.queues).sort()).toEqual(["events", "tiles"]);
  const pids = [announced.gateway, ...announced.workers, ...announced.services];
  expect(announced.services).toHaveLength(2);
  expect(pids.every(pidAlive)).toBe(true);
  expect(azuriteDirs()).toHaveLength(1);
  // Each worker holds the bands --loops asked for (its default at one thread would be 3).
  const workerStarts = stderr
    .split("\n")
    .filter((l) => l.includes('"worker-started"'))
    .map((l) => JSON.parse(l.slice(l.indexOf("{"))) as { loops: number; threads: number });
  expect(workerStarts).toHaveLength(2);
  for (const w of workerStarts) expect(w).toMatchObject({ loops: 5, threads: 1 });

  child.kill("SIGTERM");
  await exited(child);
  expect(child.exitCode).toBe(0);
  expect(pids.filter(pidAlive)).toEqual([]);
  expect(azuriteDirs()).toEqual([]);
}, 120_000);
