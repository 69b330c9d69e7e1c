/**
 * `tessera <command>` as a child process: the CLI from bin/tessera.js (which runs the built
 * dist/), ready once it prints the JSON line its command announces itself with
 * (`{"event":"worker-started",...}`). It dies with this process, however this one ends (the
 * CLI watches its stdin: cli/parent-watch.ts).
 */

import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { exited, spawnNodeChild, stopChild, waitForReady } from "./child-process.js";

/** bin/tessera.js from the source tree (infra/local/) or from the build (dist/infra/local/). */
export function tesseraBin(): string {
  const candidates = ["../../bin/tessera.js", "../../../bin/tessera.js"].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`bin/tessera.js not found (looked at ${candidates.join(", ")})`);
  if (!existsSync(fileURLToPath(new URL("../dist/bundle/tessera.js", `file://${found}`)))) {
    throw new Error("Tessera is not built: run `npm run build` (bin/tessera.js runs dist/bundle/)");
  }
  return found;
}

export interface TesseraProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The JSON line the command announced itself with. */
  readonly started: Record<string, unknown>;
  /** Resolves once the process is gone. */
  readonly exited: Promise<void>;
  /** SIGTERM (a worker drains first), then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** The first JSON line of `stdout` whose `event` is `event`. */
function announcement(stdout: string, event: string): Record<string, unknown> | undefined {
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{") || !line.includes(event)) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.event === event) return parsed;
    } catch {
      // a line still being written
    }
  }
  return undefined;
}

export async function startTessera(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; readyEvent: string; timeoutMs?: number; onLine?: (line: string) => void },
): Promise<TesseraProcess> {
  // cli/main.ts loads the watch itself: no preload needed.
  const child = spawnNodeChild(tesseraBin(), args, { ...(options.env && { env: options.env }), preloadWatch: false });
  if (options.onLine) {
    const forward = (chunk: Buffer) => {
      for (const line of String(chunk).split("\n")) if (line) options.onLine?.(line);
    };
    child.stdout?.on("data", forward);
    child.stderr?.on("data", forward);
  }
  const started = await waitForReady(child, {
    name: `tessera ${args[0]}`,
    timeoutMs: options.timeoutMs ?? 30_000,
    ready: (stdout) => announcement(stdout, options.readyEvent),
  });
  return {
    child,
    pid: child.pid as number,
    started,
    exited: exited(child),
    stop: (graceMs = 15_000) => stopChild(child, graceMs),
  };
}
