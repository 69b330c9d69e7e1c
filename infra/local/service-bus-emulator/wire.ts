/**
 * How a queue message goes out on the wire (received, peeked or dead-lettered): the AMQP
 * message as sent, plus the broker's annotations the SDK reads (sequence number, enqueued
 * time, lock expiry) and, for a dead letter, its reason and description as the application
 * properties `DeadLetterReason` / `DeadLetterErrorDescription`, where Service Bus puts them.
 */

import type { DeadLetter, ReceivedMessage } from "../../../engine/ports/queue.js";
import type { AmqpMessage } from "./rhea-types.js";

export interface WireOptions {
  /**
   * The header's delivery-count, which the SDK reports as `deliveryCount`. Service Bus sends
   * the deliveries before this one on a receive (0 the first time), and all deliveries so
   * far on a peek (a peek is no delivery).
   */
  deliveryCount: number;
  /** The lock the message is held under (peek-lock receives only). */
  lockedUntil?: number;
}

function isDeadLetter(message: ReceivedMessage | DeadLetter): message is DeadLetter {
  return "deadLetterReason" in message;
}

export function toWire(original: AmqpMessage, message: ReceivedMessage | DeadLetter, options: WireOptions): AmqpMessage {
  const annotations: Record<string, unknown> = {
    ...(original.message_annotations ?? {}),
    "x-opt-sequence-number": message.sequenceNumber,
    "x-opt-enqueued-time": new Date(message.enqueuedAt),
  };
  if (options.lockedUntil !== undefined) annotations["x-opt-locked-until"] = new Date(options.lockedUntil);
  const outgoing: AmqpMessage = { ...original, delivery_count: options.deliveryCount, message_annotations: annotations };
  if (isDeadLetter(message)) {
    outgoing.application_properties = {
      ...(original.application_properties ?? {}),
      DeadLetterReason: message.deadLetterReason,
      DeadLetterErrorDescription: message.deadLetterDescription,
    };
  }
  return outgoing;
}
