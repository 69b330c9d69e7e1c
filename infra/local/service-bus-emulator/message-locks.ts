/**
 * `$management` requests by message lock token: `com.microsoft:renew-lock` and
 * `com.microsoft:update-disposition`. Both carry `lock-tokens`, an array of AMQP uuids.
 * Every message the emulator locks is in a session, and a session's messages are locked by
 * the session lock: renew-lock answers with that lock's expiry (`expirations`, one per
 * token) without extending it; renewing is renew-session-lock's job.
 */

import rhea from "rhea";
import { QueueError } from "../../../engine/ports/queue.js";
import type { QueueStore, Settlement, TokenHolder } from "./queue-store.js";

/** update-disposition's `disposition-status` values the emulator settles; `defered` is not one. */
const DISPOSITIONS = new Map<string, Settlement>([
  ["completed", "complete"],
  ["abandoned", "abandon"],
  ["suspended", "deadLetter"],
]);

const uuidToString = (rhea as unknown as { uuid_to_string(bytes: Buffer): string }).uuid_to_string;

function lockTokens(body: Record<string, unknown>): string[] {
  const tokens = body["lock-tokens"];
  if (!Array.isArray(tokens)) throw new RangeError("lock-tokens must be an array of uuids");
  return tokens.map((token: unknown) => {
    if (typeof token === "string") return token;
    if (Buffer.isBuffer(token) && token.length === 16) return uuidToString(token);
    throw new RangeError("lock-tokens must be an array of uuids");
  });
}

function holderOf(store: QueueStore, token: string): TokenHolder {
  const holder = store.tokenHolder(token);
  if (holder === undefined) {
    throw new QueueError("QUEUE_LOCK_LOST", `lock token ${token} is not held: settled already, or its session lock was lost`);
  }
  return holder;
}

export function renewLock(store: QueueStore, body: Record<string, unknown>): { expirations: Date[] } {
  return { expirations: lockTokens(body).map((token) => new Date(holderOf(store, token).lockedUntil)) };
}

export async function updateDisposition(store: QueueStore, body: Record<string, unknown>): Promise<void> {
  const status = String(body["disposition-status"] ?? "");
  const outcome = DISPOSITIONS.get(status);
  if (outcome === undefined) throw new RangeError(`disposition-status '${status}' is not supported by the emulator`);
  const info = {
    DeadLetterReason: body["deadletter-reason"] ?? "DeadLettered",
    DeadLetterErrorDescription: body["deadletter-description"] ?? "",
  };
  for (const token of lockTokens(body)) await holderOf(store, token).settleByToken(token, outcome, info);
}
