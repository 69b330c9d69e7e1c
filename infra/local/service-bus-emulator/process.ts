/**
 * The Service Bus emulator as a real OS process (main.ts, run from the build with this
 * Node): for `tessera cluster` and tests that kill and restart parts of a cluster, where an
 * in-process emulator would share the fate of the process under test. It dies with the process
 * that started it (child-process.ts, spawnNodeChild).
 */

import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { QueueConfig } from "../../../engine/ports/queue.js";
import { spawnNodeChild, stopChild, waitForReady } from "../child-process.js";

export interface ServiceBusEmulatorProcessOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Every queue and its settings; default `tiles` and `events`, with the two settings below. */
  queues?: Record<string, QueueConfig>;
  /** Lock duration of the default queues (ignored with `queues`); default 60 s. */
  lockMs?: number;
  /** Max delivery count of the default queues (ignored with `queues`); default 10. */
  maxDeliveryCount?: number;
  /** How long the emulator may take to listen; default 30 s. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL; default 5 s. */
  stopGraceMs?: number;
  /** Extra environment for the process. */
  env?: NodeJS.ProcessEnv;
}

export interface ServiceBusEmulatorProcess {
  readonly port: number;
  readonly connectionString: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** main.js beside this file in the build (dist/infra/local/...), or in dist/ from the source tree or the bundle. */
export function emulatorMainScript(): string {
  const candidates = [
    "./main.js",
    "../../../dist/infra/local/service-bus-emulator/main.js",
    "../infra/local/service-bus-emulator/main.js", // from dist/bundle/
  ].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(`The Service Bus emulator is not built: run \`npm run build\` (looked for ${candidates.join(", ")})`);
  }
  return found;
}

/** `--flag=value`, so a value such as `-5` reaches main.ts's checks instead of reading as a flag. */
function argumentsFor(options: ServiceBusEmulatorProcessOptions): string[] {
  const args = [`--port=${options.port ?? 0}`];
  if (options.queues !== undefined) return [...args, `--queues=${JSON.stringify(options.queues)}`];
  if (options.lockMs !== undefined) args.push(`--lock-ms=${options.lockMs}`);
  if (options.maxDeliveryCount !== undefined) args.push(`--max-delivery-count=${options.maxDeliveryCount}`);
  return args;
}

/** The `{"port":P,"connectionString":"..."}` line main.js prints once listening, when complete. */
function readyLine(stdout: string): { port: number; connectionString: string } | undefined {
  const newline = stdout.indexOf("\n");
  if (newline < 0) return undefined;
  const line = stdout.slice(0, newline);
  let parsed: { port?: unknown; connectionString?: unknown };
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    throw new Error(`the Service Bus emulator printed '${line}' instead of its JSON line`);
  }
  if (typeof parsed.port !== "number" || typeof parsed.connectionString !== "string") {
    throw new Error(`the Service Bus emulator's JSON line lacks port or connectionString: ${line}`);
  }
  return { port: parsed.port, connectionString: parsed.connectionString };
}

export async function startServiceBusEmulatorProcess(
  options: ServiceBusEmulatorProcessOptions = {},
): Promise<ServiceBusEmulatorProcess> {
  const child = spawnNodeChild(emulatorMainScript(), argumentsFor(options), {
    ...(options.env && { env: options.env }),
  });
  let badLine: Error | undefined;
  const ready = await waitForReady(child, {
    name: "the Service Bus emulator",
    timeoutMs: options.startTimeoutMs ?? 30_000,
    ready: (stdout) => {
      try {
        return readyLine(stdout);
      } catch (error) {
        // Not the line expected: report it (and stop the child) rather than wait out the timeout.
        badLine = error as Error;
        return null;
      }
    },
  });
  if (ready === null) {
    await stopChild(child, 0);
    throw badLine ?? new Error("the Service Bus emulator did not print its JSON line");
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error("the Service Bus emulator has no process id");
  return {
    port: ready.port,
    connectionString: ready.connectionString,
    pid,
    child,
    stop: () => stopChild(child, options.stopGraceMs ?? 5_000),
  };
}
