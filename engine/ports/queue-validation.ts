import { type Clock, systemClock } from "./clock.js";
import { MAX_ID_LENGTH, type QueueConfig } from "./queue.js";

/** Service Bus's queue naming rule, so a config that runs embedded also deploys. */
const QUEUE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?$/;

const QUEUE_SETTINGS: readonly (keyof QueueConfig)[] = ["lockDurationMs", "maxDeliveryCount"];

/** Service Bus's default receive and accept wait. */
export const DEFAULT_TIMEOUT_MS = 60_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkPositiveInteger(value: unknown, path: string): number {
  if (typeof value !== "number") throw new TypeError(`${path} must be a positive integer`);
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${path} must be a positive integer`);
  return value;
}

/** Validates every queue's settings, naming the exact path of the first bad one; returns a frozen copy. */
export function validateQueueConfig(config: unknown): Readonly<Record<string, QueueConfig>> {
  if (!isRecord(config)) {
    throw new TypeError("config must be an object mapping queue names to { lockDurationMs, maxDeliveryCount }");
  }
  const names = Object.keys(config);
  if (names.length === 0) {
    throw new RangeError(
      "config must name at least one queue, for example { tiles: { lockDurationMs: 60000, maxDeliveryCount: 10 } }",
    );
  }
  const result: Record<string, QueueConfig> = {};
  for (const name of names) {
    if (!QUEUE_NAME.test(name)) {
      throw new RangeError(
        `config[${JSON.stringify(name)}] is not a valid queue name: use letters, digits, '.', '-', '_' or '/', starting and ending with a letter or digit, at most 260 characters`,
      );
    }
    const path = `config.${name}`;
    const entry = config[name];
    if (!isRecord(entry)) throw new TypeError(`${path} must be an object with lockDurationMs and maxDeliveryCount`);
    for (const key of Object.keys(entry)) {
      if (!(QUEUE_SETTINGS as readonly string[]).includes(key)) {
        throw new RangeError(`${path}.${key} is not a queue setting; expected lockDurationMs and maxDeliveryCount`);
      }
    }
    result[name] = Object.freeze({
      lockDurationMs: checkPositiveInteger(entry.lockDurationMs, `${path}.lockDurationMs`),
      maxDeliveryCount: checkPositiveInteger(entry.maxDeliveryCount, `${path}.maxDeliveryCount`),
    });
  }
  return Object.freeze(result);
}

export function validateClock(options: unknown): Clock {
  if (options === undefined) return systemClock;
  if (!isRecord(options)) throw new TypeError("options must be an object such as { clock }");
  const clock = options.clock;
  if (clock === undefined) return systemClock;
  if (!isRecord(clock) || typeof clock.now !== "function" || typeof clock.schedule !== "function") {
    throw new TypeError("options.clock must implement now() and schedule(ms, fn), like systemClock");
  }
  return clock as unknown as Clock;
}

/** A wait in ms: default when omitted, else a finite number ≥ 0. */
export function checkTimeout(value: unknown, path: string): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${path} must be a non-negative number of milliseconds, got ${String(value)}`);
  }
  return value;
}

export function checkMax(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`max must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** A sequence number to read from: an integer ≥ 0 (Service Bus numbers messages from 1). */
export function checkSequenceNumber(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`fromSequenceNumber must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** Session ids follow Service Bus: 1..128 characters. Returns the reason it is bad, or null. */
export function idProblem(value: unknown, path: string): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH) {
    return `${path} must be a string of 1 to ${MAX_ID_LENGTH} characters, got ${typeof value === "string" ? `${value.length} characters` : typeof value}`;
  }
  return null;
}
