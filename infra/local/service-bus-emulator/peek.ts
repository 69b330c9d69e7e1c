/**
 * `$management` `com.microsoft:peek-message`: the SDK's peekMessages(). The request body
 * holds `from-sequence-number` (a long), `message-count` (an int), optionally `session-id`
 * and `omit-message-body`; the reply is 200 with `{ messages: [{ message: <encoded> }] }`,
 * or 204 without a body when nothing is at or after the sequence number (the SDK reads
 * `messages` only when the status is not 204).
 */

import rhea from "rhea";
import type { DeadLetter, ReceivedMessage } from "../../../engine/ports/queue.js";
import type { SubQueue } from "./addresses.js";
import type { QueueStore } from "./queue-store.js";
import type { AmqpMessage } from "./rhea-types.js";
import { toWire } from "./wire.js";

/** A long as rhea decodes it: a number while it is a safe integer, its 8 bytes beyond. */
function sequenceNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (Buffer.isBuffer(value) && value.length === 8) {
    const big = value.readBigInt64BE();
    // Beyond any sequence number this emulator hands out: nothing can be at or after it.
    return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
  }
  throw new RangeError(`from-sequence-number must be a long, got ${typeof value}`);
}

function encode(original: AmqpMessage, message: ReceivedMessage | DeadLetter, omitBody: boolean): Buffer {
  // A peek is no delivery: the count on the wire is all deliveries so far.
  const wire = toWire(original, message, { deliveryCount: message.deliveryCount });
  if (omitBody) delete wire.body;
  return rhea.message.encode(wire);
}

export async function peek(
  store: QueueStore,
  queue: string,
  subQueue: SubQueue,
  body: Record<string, unknown>,
): Promise<{ status: number; body?: unknown }> {
  const from = Math.max(0, sequenceNumber(body["from-sequence-number"] ?? 0));
  const count = Number(body["message-count"] ?? 1);
  const sessionId = body["session-id"];
  const found =
    subQueue === "deadLetter"
      ? await store.queue.peekDeadLetters(queue, from, count)
      : await store.queue.peek(queue, from, count, typeof sessionId === "string" ? { sessionId } : undefined);
  if (found.length === 0) return { status: 204 };
  const omitBody = body["omit-message-body"] === true;
  return {
    status: 200,
    body: { messages: found.map((message) => ({ message: encode(store.lookup(message), message, omitBody) })) },
  };
}
