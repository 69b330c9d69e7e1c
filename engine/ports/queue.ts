/**
 * The Queue port: Azure Service Bus session queues, as Tessera uses them. The embedded
 * in-memory adapter and the Azure adapter both implement exactly these semantics, and one
 * contract suite (test/contract/queue.contract.ts) holds every adapter to them:
 *
 * - Messages are sent to a named queue with a session id. Within a session, messages are
 *   delivered in the order they were sent.
 * - A receiver accepts a session (the next free one, or a named one) and holds its lock for
 *   `lockDurationMs`, renewable. One receiver holds a session at a time; accepting a session
 *   locked elsewhere fails with QUEUE_SESSION_LOCKED, and when no session is free the accept
 *   resolves to null after the timeout.
 * - Received messages are peek-locked under the session lock: complete (gone), abandon (back
 *   to the front of its session with deliveryCount + 1), or dead-letter (moved to the queue's
 *   dead-letter queue with a reason).
 * - If the session lock expires (its receiver died or stalled), the session becomes free
 *   again and its unsettled messages come back with deliveryCount + 1. Settling anything
 *   under the lost lock fails with QUEUE_LOCK_LOST. Closing a receiver releases the lock the
 *   same way, at once.
 * - A message delivered `maxDeliveryCount` times that comes back once more is dead-lettered
 *   instead, with reason `MaxDeliveryCountExceeded` (Service Bus's own reason string).
 * - Each session has a state blob (a small JSON value) that survives receivers: a checkpoint.
 *
 * Every method reports failure by rejecting, never by throwing synchronously. Argument misuse
 * (a `max` of 0, a negative timeout) rejects with a TypeError or RangeError; everything a
 * caller must handle at run time rejects with a QueueError and one of the codes below.
 */

/** Service Bus Standard's message size limit; session state is held to the same limit. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** Service Bus caps SessionId and MessageId at 128 characters. */
export const MAX_ID_LENGTH = 128;

/** Error codes a Queue adapter reports, each with the caller's next step. */
export type QueueErrorCode =
  /** The session is held by another receiver. Try another session or later. */
  | "QUEUE_SESSION_LOCKED"
  /**
   * The session lock expired or was released (or the message was already settled); the
   * message will be redelivered. Drop the work in hand and accept a session again.
   */
  | "QUEUE_LOCK_LOST"
  /** The queue name is not configured. Fix the configuration. */
  | "QUEUE_NOT_FOUND"
  /** The adapter was closed. Create a new one. */
  | "QUEUE_CLOSED"
  /**
   * A message (body, properties and ids together) or a session state is larger than the
   * transport allows (Service Bus Standard: 256 KB). Send references, not data.
   */
  | "QUEUE_MESSAGE_TOO_LARGE"
  /** A message breaks the rules: sessionId or messageId empty or over 128 characters, body not JSON. Fix the sender. */
  | "QUEUE_INVALID_MESSAGE"
  /** The broker could not be reached or failed; retry with backoff. */
  | "QUEUE_UNAVAILABLE";

export class QueueError extends Error {
  readonly code: QueueErrorCode;
  constructor(code: QueueErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "QueueError";
    this.code = code;
  }
}

/** JSON-serialisable message content. */
export type MessageBody = string | number | boolean | null | MessageBody[] | { [key: string]: MessageBody };

export interface OutgoingMessage {
  /** 1..128 characters. */
  sessionId: string;
  body: MessageBody;
  /** Optional id (1..128 characters); adapters assign one when missing. */
  messageId?: string;
  /** Free-form string properties (for example a tile id for logs). */
  properties?: Record<string, string>;
}

/**
 * A delivered message. Bodies are copies: changing one changes neither the queued message
 * nor a later redelivery.
 */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly sessionId: string;
  readonly body: MessageBody;
  readonly properties: Readonly<Record<string, string>>;
  /** 1 on the first delivery, then +1 for every abandon, lock expiry or receiver close. */
  readonly deliveryCount: number;
  /** Monotonic per queue, assigned by the broker. */
  readonly sequenceNumber: number;
  readonly enqueuedAt: number;
}

/** A dead-lettered message; `deliveryCount` is the number of deliveries it had. */
export interface DeadLetter extends ReceivedMessage {
  /** `MaxDeliveryCountExceeded`, or the reason given to `deadLetter()`. */
  readonly deadLetterReason: string;
  readonly deadLetterDescription: string;
}

export interface AcceptOptions {
  /**
   * How long accept-next waits for a free session with messages before resolving to null.
   * Default 60 000 ms. A named accept never waits: it locks the session or fails at once.
   */
  timeoutMs?: number;
}

export interface ReceiveOptions {
  /** How long to wait for the first message before resolving to []. Default 60 000 ms. */
  timeoutMs?: number;
}

/**
 * A locked session: the only place its messages can be received and settled.
 *
 * Once the lock is lost (expired, or released by `close()`), every method but `close()`
 * rejects with QUEUE_LOCK_LOST, including a `receive` that was waiting; after the queue
 * adapter is closed they reject with QUEUE_CLOSED.
 */
export interface SessionReceiver {
  readonly queue: string;
  readonly sessionId: string;
  /** When the session lock expires unless renewed (ms since the epoch, on the adapter's clock). */
  readonly lockedUntil: number;
  /**
   * Up to `max` messages in session order, skipping those already received and unsettled.
   * Resolves as soon as at least one message is available (it does not wait to fill `max`);
   * [] when none arrives within the timeout. A real broker may return fewer than are queued.
   */
  receive(max: number, options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /**
   * Settle a message this receiver received and has not settled yet. Settling one it does
   * not hold (already settled, or received under a lock since lost) fails with QUEUE_LOCK_LOST.
   */
  complete(message: ReceivedMessage): Promise<void>;
  /** Back to the front of the session, deliveryCount + 1 (or dead-lettered past maxDeliveryCount). */
  abandon(message: ReceivedMessage): Promise<void>;
  deadLetter(message: ReceivedMessage, reason: string, description: string): Promise<void>;
  /** Extends the session lock to now + the lock duration; returns the new lockedUntil. */
  renewLock(): Promise<number>;
  /** The session's state, null when never set or cleared. Works on sessions without messages. */
  getState(): Promise<MessageBody | null>;
  /** Stores a copy of `state` (at most 256 KB as JSON); null clears it. */
  setState(state: MessageBody | null): Promise<void>;
  /**
   * Releases the session lock; unsettled messages become available again (deliveryCount + 1).
   * Idempotent, and never rejects because the lock was already lost.
   */
  close(): Promise<void>;
}

export interface QueueConfig {
  /**
   * Session lock duration. Service Bus default 60 s (range 5 s..5 min); the embedded adapter
   * accepts any positive integer so tests can run on short locks.
   */
  lockDurationMs: number;
  /** Deliveries before a message is dead-lettered. Service Bus default 10. */
  maxDeliveryCount: number;
}

export interface Queue {
  /** The queues this adapter serves and their settings. */
  readonly config: Readonly<Record<string, QueueConfig>>;
  /**
   * Enqueues `messages`, in order. Every message is checked first: if one is invalid or too
   * large, none is sent. An unknown queue fails with QUEUE_NOT_FOUND.
   */
  send(queue: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Locks the next free session with messages (sessionId omitted) or the named one (which
   * may have no messages yet). Accept-next is fair: every session with messages is accepted
   * eventually, however many others keep receiving messages.
   */
  acceptSession(queue: string, sessionId?: string, options?: AcceptOptions): Promise<SessionReceiver | null>;
  /** Removes and returns up to `max` dead letters of `queue`, oldest first. */
  receiveDeadLetters(queue: string, max: number): Promise<DeadLetter[]>;
  /**
   * Active (not dead-lettered; received-but-unsettled messages included, like Service Bus's
   * activeMessageCount) and dead-lettered message counts, for monitoring and autoscaling.
   * A real broker reports these with some lag.
   */
  depth(queue: string): Promise<{ active: number; deadLetter: number }>;
  /** Rejects pending accepts and receives with QUEUE_CLOSED and ends every receiver. Idempotent. */
  close(): Promise<void>;
}
