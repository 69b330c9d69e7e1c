/**
 * The child processes the local tooling runs (Azurite, the Service Bus emulator, `tessera`
 * roles): starting one so that it dies with this process, waiting for it to say it is ready,
 * and stopping it, the same way for each.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

// The environment cli/parent-watch.ts reads (named there; not imported, since importing that
// module installs its watch in this process).
const EXIT_WITH_PARENT_ENV = "TESSERA_EXIT_WITH_PARENT";
const EXIT_REMOVE_ENV = "TESSERA_EXIT_WITH_PARENT_REMOVE";

/** The built cli/parent-watch.js, from the build (dist/infra/local/) or the source tree (infra/local/). */
function parentWatchModule(): string | undefined {
  return ["../../cli/parent-watch.js", "../../dist/cli/parent-watch.js"]
    .map((p) => fileURLToPath(new URL(p, import.meta.url)))
    .find((p) => existsSync(p));
}

export interface NodeChildOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Preload cli/parent-watch.js with `--import` (for scripts that are not `tessera`, whose
   * cli/main.ts loads it itself). Default true.
   */
  preloadWatch?: boolean;
  /** A folder the child removes when it exits because this process died (it can no longer). */
  removeIfOrphaned?: string;
}

/**
 * glibc's malloc settings of the `tessera` command, as bin/tessera.js's shebang sets them (which
 * says why each); the VMs' units in infra/azure/cloud-init.yaml set the same (a test keeps the
 * three alike).
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: "2",
  MALLOC_MMAP_THRESHOLD_: "33554432",
  MALLOC_TRIM_THRESHOLD_: "4294967295",
  GLIBC_TUNABLES: "glibc.malloc.hugetlb=1",
};

/**
 * `node script ...args` as a child that dies with this process, however this process ends
 * (SIGKILL included; see cli/parent-watch.ts): its stdin is a pipe whose other end only this
 * process holds, so it reads end-of-file once this process is gone. stdout and stderr are piped.
 */
export function spawnNodeChild(script: string, args: readonly string[], options: NodeChildOptions = {}): ChildProcess {
  const watch = options.preloadWatch === false ? undefined : parentWatchModule();
  // Only a build older than parent-watch.ts lacks it (`npm run build` adds it); the child then
  // starts as before, without the watch, rather than not at all.
  const preload = watch === undefined ? [] : ["--import", pathToFileURL(watch).href];
  return spawn(process.execPath, [...preload, script, ...args], {
    env: {
      // glibc's malloc as the `tessera` command sets it; a caller's own wins.
      ...MALLOC_ENV,
      ...process.env,
      ...options.env,
      [EXIT_WITH_PARENT_ENV]: "1",
      ...(options.removeIfOrphaned !== undefined && { [EXIT_REMOVE_ENV]: options.removeIfOrphaned }),
    },
    // Nothing is ever written to stdin: it is only there to be closed by this process's death.
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Still running: neither exited with a code nor ended by a signal. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Whether any process with this id exists (signal 0 only checks). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the child is gone (at once if it already is). */
export function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * SIGTERM, then SIGKILL if the child is still running after `graceMs`; resolves once it is
 * gone, so its port and files are free when this returns.
 */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (!isRunning(child)) return;
  const gone = exited(child);
  child.kill("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceOver = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), graceMs);
  });
  const late = (await Promise.race([gone, graceOver])) === "late";
  clearTimeout(timer);
  if (late && isRunning(child)) {
    child.kill("SIGKILL");
    await gone;
  }
}

export interface ReadyOptions<T> {
  /** For messages: "Azurite", "the Service Bus emulator". */
  name: string;
  timeoutMs: number;
  /** Called with all of stdout so far on each chunk: a value once the child is ready. */
  ready(stdout: string): T | undefined;
}

/**
 * Waits until `ready` finds what the child prints once it is ready. When the child exits,
 * fails to spawn or takes longer than `timeoutMs` first, rejects with what it wrote to
 * stderr (else stdout), and kills it: a failed start leaves no process behind.
 * The child must have been spawned with stdout and stderr piped.
 */
export function waitForReady<T>(child: ChildProcess, options: ReadyOptions<T>): Promise<T> {
  let stdout = "";
  let stderr = "";
  return new Promise<T>((resolve, reject) => {
    const output = () => stderr.trim() || stdout.trim() || "(no output)";
    let done = false;
    const finish = (error: Error | null, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout?.off("data", onStdout);
      child.stderr?.off("data", onStderr);
      child.off("close", onExit);
      child.off("error", onError);
      // Keep draining the pipes: a child blocked on a full pipe would hang.
      child.stdout?.resume();
      child.stderr?.resume();
      if (error === null) {
        resolve(value as T);
      } else {
        if (isRunning(child)) child.kill("SIGKILL");
        reject(error);
      }
    };
    const onStdout = (chunk: Buffer) => {
      stdout += chunk;
      const value = options.ready(stdout);
      if (value !== undefined) finish(null, value);
    };
    const onStderr = (chunk: Buffer) => {
      stderr += chunk;
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(new Error(`${options.name} exited (${signal ?? `code ${code}`}) before it was ready:\n${output()}`));
    const onError = (error: Error) => finish(new Error(`${options.name} could not be started: ${error.message}`));
    const timer = setTimeout(
      () => finish(new Error(`${options.name} was not ready within ${options.timeoutMs} ms:\n${output()}`)),
      options.timeoutMs,
    );
    child.stdout?.on("data", onStdout);
    child.stderr?.on("data", onStderr);
    // `close`, not `exit`: it comes once the pipes are read to the end, so the error has all of stderr.
    child.once("close", onExit);
    child.once("error", onError);
  });
}
