// Helpers for bench/scale.bench.js: child processes that cannot outlive the bench, small
// statistics and HTTP helpers, and the worker-thread side of the "kernels alone" row.
//
// Every child is spawned `detached`, so it leads its own process group: `tessera cluster`
// starts the Service Bus emulator, Azurite, a gateway and workers under it, and /usr/bin/time
// starts node under it; signalling the group (-pid) reaches all of them even when the leader
// is already gone, without ever naming a process we did not start.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, workerData } from "node:worker_threads";

export const KERNEL_WORKER_ROLE = "scale-bench-kernels";

/** The `tessera` command. */
export const BIN = fileURLToPath(new URL("../bin/tessera.js", import.meta.url));

/**
 * How to start `argv` (a script and its arguments), as [command, args]: the `tessera` command
 * as a user's shell runs it, through its shebang (which sets glibc's malloc: bin/tessera.js),
 * anything else with this node.
 */
export const commandFor = (argv) => (argv[0] === BIN ? [BIN, argv.slice(1)] : [process.execPath, argv]);

// ---------------------------------------------------------------------------------------------
// The kernels-alone worker. bench/scale.bench.js starts this very module as a worker thread
// with `workerData.role` set; imported normally (main thread) this block does nothing.
if (!isMainThread && workerData?.role === KERNEL_WORKER_ROLE) {
  const { loadKernels } = await import("@tessera/kernels");
  // One Kernels instance per thread, as kernels/README.md asks: each owns its wasm memory.
  const k = await loadKernels();
  const { width, height, buffer, pipeline } = workerData;
  const band = { width, height, data: new Uint8ClampedArray(buffer) };
  // Untimed first run: compiles the code paths and grows this instance's memory to the band's
  // size, so the timed rounds measure the kernels, not the first-call costs.
  k.run(band, pipeline);
  parentPort.postMessage({ ready: true });
  parentPort.on("message", (round) => {
    const started = performance.now();
    k.run(band, pipeline);
    parentPort.postMessage({ round, ms: performance.now() - started });
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting.

export function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fixed decimals, or "–" for a figure that was not measured. */
export const fmt = (value, digits = 2) =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
export const round = (value, digits = 3) => (value === null || value === undefined ? null : Number(value.toFixed(digits)));

/** The last lines of a child's output, for error messages. */
export function lastLines(text, n = 15) {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

/** The last line of `text` that parses as a JSON object (tessera's `--profile` line), or null. */
export function lastJsonLine(text) {
  const lines = text.trimEnd().split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith("{")) continue;
    try {
      return JSON.parse(line);
    } catch {
      // not JSON after all; keep looking
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Child processes.

/** Every process group we started and have not yet seen empty: leader pid → label. */
const groups = new Map();
/** Set once stopAll began: nothing new is started while everything is being stopped. */
let stopping = false;
const TAIL_BYTES = 64 * 1024;

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group
  }
}

/** Whether any process of the group still exists (signal 0 only checks). */
export const groupAlive = (pid) => signalGroup(pid, 0);

/** SIGKILL whatever is left of the group and wait (bounded) until it is empty. */
async function killGroup(pid, waitMs = 5_000) {
  signalGroup(pid, "SIGKILL");
  const deadline = Date.now() + waitMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
  const gone = !groupAlive(pid);
  if (gone) groups.delete(pid);
  return gone;
}

/** Synchronous last resort (process 'exit', a second Ctrl-C): SIGKILL every group we started. */
export function killAllSync() {
  for (const pid of groups.keys()) signalGroup(pid, "SIGKILL");
}

/** Leaders already sent SIGTERM. */
const terminated = new Set();

/**
 * SIGTERM to a group's leader, once: `tessera cluster` and `tessera serve` stop gracefully on the
 * first one and fall to the default handler (exit at once, orphaning their children) on a second.
 */
function terminate(pid) {
  if (terminated.has(pid)) return;
  terminated.add(pid);
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // the leader is gone; whatever is left of its group is killed with the group
  }
}

/** SIGTERM every group leader, give them `graceMs` to stop their own children, then SIGKILL. */
export async function stopAll(graceMs) {
  stopping = true;
  for (const pid of groups.keys()) terminate(pid);
  const deadline = Date.now() + graceMs;
  while ([...groups.keys()].some(groupAlive) && Date.now() < deadline) await sleep(100);
  await Promise.all([...groups.keys()].map((pid) => killGroup(pid)));
}

export const liveGroups = () => [...groups.entries()].filter(([pid]) => groupAlive(pid));

function spawnGroup(command, args, { env, cwd, label }) {
  if (stopping) throw new Error(`${label}: not started, the bench is stopping`);
  const child = spawn(command, args, {
    cwd,
    env: env ? { ...process.env, ...env } : process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid !== undefined) groups.set(child.pid, label);
  let stdout = "";
  let stderr = "";
  // Keep only the tail: a server logs a line per request and must never block on a full pipe.
  child.stdout.on("data", (chunk) => {
    stdout = (stdout + chunk).slice(-TAIL_BYTES);
  });
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-TAIL_BYTES);
  });
  return { child, out: () => stdout, err: () => stderr };
}

/**
 * Runs a command to its end and resolves with its wall time (spawn to exit) and output; rejects
 * on a non-zero exit, a spawn error or the timeout. Whatever way it ends, nothing of its
 * process group is left running.
 */
export function run(command, args, { env, cwd, timeoutMs = 600_000, label = args.join(" ").slice(0, 80) } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const { child, out, err } = spawnGroup(command, args, { env, cwd, label });
    let exitedAt;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      if (child.pid !== undefined) void killGroup(child.pid);
      reject(new Error(`${label}: could not start: ${error.message}`));
    });
    child.once("exit", () => {
      exitedAt = performance.now();
      // Anything it started and left behind would hold our pipes open (and the CPU): kill it now.
      signalGroup(child.pid, "SIGKILL");
    });
    child.once("close", async (code, signal) => {
      clearTimeout(timer);
      await killGroup(child.pid);
      const ms = (exitedAt ?? performance.now()) - started;
      if (timedOut) reject(new Error(`${label}: did not finish within ${timeoutMs / 1000} s (killed)`));
      else if (code !== 0) reject(new Error(`${label}: exited with ${signal ?? `code ${code}`}:\n${lastLines(err() || out())}`));
      else resolve({ ms, stdout: out(), stderr: err() });
    });
  });
}

/** Starts a long-running command (a server); stop it with stopService, in a `finally`. */
export function startService(command, args, { env, cwd, label }) {
  const { child, out, err } = spawnGroup(command, args, { env, cwd, label });
  let spawnError;
  child.once("error", (error) => {
    spawnError = error;
  });
  const exited = new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    child,
    label,
    exited,
    get running() {
      return spawnError === undefined && child.exitCode === null && child.signalCode === null;
    },
    /** What it printed last (stderr, then stdout), and how it ended if it did. */
    output() {
      const how = spawnError
        ? `could not start: ${spawnError.message}`
        : child.exitCode !== null || child.signalCode !== null
          ? `exited with ${child.signalCode ?? `code ${child.exitCode}`}`
          : "still running";
      return `${label} ${how}; its last output:\n${lastLines(`${err()}\n${out()}`)}`;
    },
  };
}

/**
 * SIGTERM to the leader (so it stops its own children in order and removes its temporary
 * directories), SIGKILL to the whole group after `graceMs`, then SIGKILL to anything it left.
 * Resolves with what happened; never leaves the group running.
 */
export async function stopService(service, graceMs) {
  const pid = service.child.pid;
  if (pid === undefined) return { graceful: true, leftovers: false };
  let graceful = true;
  if (service.running) {
    terminate(pid);
    let timer;
    const late = await Promise.race([
      service.exited.then(() => false),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (late) {
      graceful = false;
      signalGroup(pid, "SIGKILL");
      await Promise.race([service.exited, sleep(10_000)]);
    }
  }
  const leftovers = groupAlive(pid);
  const gone = await killGroup(pid);
  return { graceful, leftovers, gone };
}

/** A port that was free a moment ago (the OS picks it; we close it again at once). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
