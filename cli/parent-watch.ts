/**
 * Dying with the parent. A process that `tessera cluster` starts (the gateway, the workers,
 * and, preloaded with `node --import`, Azurite and the Service Bus emulator) must not outlive
 * it, however the cluster ends: SIGKILL included, which no handler in the parent can catch, and
 * Linux's PR_SET_PDEATHSIG is out of Node's reach. So the parent spawns the child with its stdin
 * a pipe (or an IPC channel) and TESSERA_EXIT_WITH_PARENT=1: the kernel closes the parent's end
 * when the parent dies, whatever killed it, and the child reads end-of-file.
 *
 * The child then raises SIGTERM on itself, so it stops the way Ctrl-C would stop it (a worker
 * drains, Azurite and the emulator close their servers), and exits outright if that takes
 * longer than a grace period: what it would drain into may be dying beside it.
 *
 * Importing this module installs the watch when the environment asks for it (so it works as a
 * `--import` preload, before any other code of the child runs); otherwise it does nothing.
 */

import { fstatSync, rmSync } from "node:fs";

/** Set to 1 by the parent: exit when the parent goes away. */
export const EXIT_WITH_PARENT_ENV = "TESSERA_EXIT_WITH_PARENT";
/** How long the graceful stop may take before the child exits outright (ms, default 5000). */
export const EXIT_GRACE_ENV = "TESSERA_EXIT_WITH_PARENT_GRACE_MS";
/** A folder of the child's own (Azurite's data) that the parent can no longer remove: removed on exit. */
export const EXIT_REMOVE_ENV = "TESSERA_EXIT_WITH_PARENT_REMOVE";

const DEFAULT_GRACE_MS = 5_000;
/** The exit code when the graceful stop ran out of time (128 + SIGTERM, as a shell reports it). */
const FORCED_EXIT_CODE = 143;

let watching = false;

/** Whether fd 0 is a pipe or a socket: a terminal or /dev/null never reaches end-of-file by the parent dying. */
function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false; // no fd 0 at all
  }
}

function parentGone(graceMs: number, removeOnExit: string | undefined): void {
  if (removeOnExit) process.once("exit", () => rmSync(removeOnExit, { recursive: true, force: true }));
  // Unref'd: a graceful stop that empties the event loop exits without waiting for it.
  setTimeout(() => process.exit(FORCED_EXIT_CODE), graceMs).unref();
  // With no SIGTERM handler installed (still starting), this is the default action: exit now.
  process.kill(process.pid, "SIGTERM");
}

/**
 * Installs the watch if TESSERA_EXIT_WITH_PARENT=1 and the parent gave this process a channel
 * to watch (an IPC channel or a piped stdin); returns whether it did. Idempotent.
 */
export function exitWithParent(env: NodeJS.ProcessEnv = process.env): boolean {
  if (watching || env[EXIT_WITH_PARENT_ENV] !== "1") return watching;
  const grace = Number(env[EXIT_GRACE_ENV]);
  const graceMs = Number.isFinite(grace) && grace >= 0 ? grace : DEFAULT_GRACE_MS;
  const removeOnExit = env[EXIT_REMOVE_ENV] || undefined;
  // This process's own children were not given the parent's channel: they must not inherit the ask.
  delete env[EXIT_WITH_PARENT_ENV];
  delete env[EXIT_GRACE_ENV];
  delete env[EXIT_REMOVE_ENV];
  let fired = false;
  const onGone = () => {
    if (fired) return;
    fired = true;
    parentGone(graceMs, removeOnExit);
  };
  if (process.channel) {
    process.once("disconnect", onGone);
    // The channel alone must not keep the process running.
    process.channel.unref();
    watching = true;
  } else if (stdinIsPipe()) {
    const stdin = process.stdin;
    stdin.on("data", () => undefined); // nothing is sent: reading only waits for end-of-file
    stdin.once("end", onGone);
    stdin.once("close", onGone);
    stdin.once("error", onGone);
    // Reading must not keep the process running either (`tessera worker --help` still exits).
    (stdin as unknown as { unref?: () => void }).unref?.();
    watching = true;
  }
  return watching;
}

exitWithParent();
