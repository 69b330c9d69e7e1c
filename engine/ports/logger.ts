/**
 * The Logger port: structured logs with fields, so every line about a job or a tile carries
 * `jobId` and `tile`. pino's logger has this shape (infra/adapters/pino-logger.ts); the
 * engine's default is silent, so embedding Tessera logs nothing unless asked.
 */

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  /** A logger whose lines all carry `fields` (a job's id, a worker's id). */
  child(fields: LogFields): Logger;
}

const ignore = (): void => undefined;

export const silentLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => silentLogger,
};
