/**
 * Logs as pino JSON lines on stdout, one object per line with `time`, `level`, `msg` and the
 * fields (`jobId`, `tile`, `worker`, ...): what log collectors ingest. On a terminal the same
 * lines are pretty-printed instead. The level comes from TESSERA_LOG_LEVEL (default info).
 */

import { pino } from "pino";
import type { Logger } from "../../engine/ports/logger.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export function createLogger(service: string, level = process.env.TESSERA_LOG_LEVEL ?? "info"): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`TESSERA_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(level)}`);
  }
  const base = { service, pid: process.pid };
  if (process.stdout.isTTY) {
    return pino({ level, base, transport: { target: "pino-pretty", options: { colorize: true, ignore: "pid" } } });
  }
  // Synchronous writes: the last lines of a process that is stopping must not be lost.
  return pino({ level, base }, pino.destination({ dest: 1, sync: true }));
}
