import { decode } from "../../engine/ports/message-codec.js";
import type { DeadLetter, ReceivedMessage } from "../../engine/ports/queue.js";
import type { MemorySessionReceiver } from "./memory-session-receiver.js";

/** One message in the embedded queue, from send until completed or dead-lettered. */
export interface StoredMessage {
  readonly messageId: string;
  readonly sessionId: string;
  readonly json: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly sequenceNumber: number;
  readonly enqueuedAt: number;
  /** Deliveries so far: 0 while never received, so the first delivery reports 1. */
  deliveryCount: number;
}

export interface StoredDeadLetter {
  readonly message: StoredMessage;
  readonly reason: string;
  readonly description: string;
}

/**
 * A session exists while it has messages, a holder or state. `available` stays sorted by
 * sequence number: returned messages are merged back in, so "back to the front, in order"
 * holds however abandons and lock losses interleave.
 */
export interface Session {
  readonly id: string;
  readonly available: StoredMessage[];
  /** Session state as JSON text; null when never set or cleared. */
  state: string | null;
  holder: MemorySessionReceiver | null;
}

/** Puts a returned message back in sequence order (scanning from the front, where it belongs). */
export function insertInOrder(available: StoredMessage[], message: StoredMessage): void {
  let at = 0;
  while (at < available.length && (available[at]?.sequenceNumber ?? 0) < message.sequenceNumber) at++;
  available.splice(at, 0, message);
}

/** A fresh, caller-owned view of a stored message. */
export function toReceived(message: StoredMessage): ReceivedMessage {
  return {
    messageId: message.messageId,
    sessionId: message.sessionId,
    body: decode(message.json),
    properties: { ...message.properties },
    deliveryCount: message.deliveryCount,
    sequenceNumber: message.sequenceNumber,
    enqueuedAt: message.enqueuedAt,
  };
}

export function toDeadLetter(entry: StoredDeadLetter): DeadLetter {
  return { ...toReceived(entry.message), deadLetterReason: entry.reason, deadLetterDescription: entry.description };
}
