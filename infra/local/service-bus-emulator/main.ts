/**
 * The Service Bus emulator as its own process, run from the build:
 *
 *   node dist/infra/local/service-bus-emulator/main.js [--port P] [--queues JSON]
 *        [--lock-ms N] [--max-delivery-count N]
 *
 * `--port 0` (the default) picks a free port. `--queues` gives every queue and its settings
 * (`{"tiles":{"lockDurationMs":60000,"maxDeliveryCount":10}}`); otherwise the queues are
 * `tiles` and `events`, with `--lock-ms` and `--max-delivery-count` applied to both. Listens
 * on loopback only. Once listening it prints exactly one line on stdout,
 * `{"port":P,"connectionString":"..."}`, and nothing else there; SIGTERM or SIGINT stops it
 * (exit 0). Bad arguments exit 2, a failure to start exits 1, with the reason on stderr.
 */

import { parseArgs } from "node:util";
import type { QueueConfig } from "../../../engine/ports/queue.js";
import { validateQueueConfig } from "../../../engine/ports/queue-validation.js";
import { DEFAULT_EMULATOR_QUEUES, type ServiceBusEmulatorOptions, startServiceBusEmulator } from "./server.js";

class UsageError extends Error {}

function integer(value: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

function parse(argv: string[]): ServiceBusEmulatorOptions {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        queues: { type: "string" },
        "lock-ms": { type: "string" },
        "max-delivery-count": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const port = integer(values.port, "--port", 0, 65_535) ?? 0;
  const lockDurationMs = integer(values["lock-ms"], "--lock-ms", 1);
  const maxDeliveryCount = integer(values["max-delivery-count"], "--max-delivery-count", 1);
  if (values.queues !== undefined) {
    if (lockDurationMs !== undefined || maxDeliveryCount !== undefined) {
      throw new UsageError("--queues gives every queue's settings: use it without --lock-ms and --max-delivery-count");
    }
    let queues: unknown;
    try {
      queues = JSON.parse(values.queues);
    } catch (error) {
      throw new UsageError(`--queues must be JSON: ${(error as Error).message}`);
    }
    try {
      // The same check MemoryQueue makes, here so that a bad setting is a usage error.
      return { port, queues: { ...validateQueueConfig(queues) } };
    } catch (error) {
      throw new UsageError(`--queues: ${(error as Error).message}`);
    }
  }
  const queues: Record<string, QueueConfig> = {};
  for (const [name, defaults] of Object.entries(DEFAULT_EMULATOR_QUEUES)) {
    queues[name] = {
      lockDurationMs: lockDurationMs ?? defaults.lockDurationMs,
      maxDeliveryCount: maxDeliveryCount ?? defaults.maxDeliveryCount,
    };
  }
  return { port, queues };
}

async function main(): Promise<void> {
  let options: ServiceBusEmulatorOptions;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`service-bus-emulator: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const emulator = await startServiceBusEmulator(options);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal while stopping means "now".
    if (stopping) process.exit(signal === "SIGINT" ? 130 : 143);
    stopping = true;
    emulator.stop().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`service-bus-emulator: stopping failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdout.write(`${JSON.stringify({ port: emulator.port, connectionString: emulator.connectionString })}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`service-bus-emulator: ${error.message}\n`);
  process.exit(1);
});
