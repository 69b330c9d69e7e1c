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
 *   under the lost lock fails with QUEUE_LOCK_LOST.
 * - A message delivered `maxDeliveryCount` times that comes back once more is dead-lettered
 *   instead, with reason `MaxDeliveryCountExceeded`.
 * - Each session has a state blob (a small JSON value) that survives receivers: a checkpoint.
 */

/** Error codes a Queue adapter reports, each with the caller's next step. */
export type QueueErrorCode =
  /** The session is held by another receiver. Try another session or later. */
  | "QUEUE_SESSION_LOCKED"
  /** The session lock expired or was released; the message will be redelivered. Drop the work in hand. */
  | "QUEUE_LOCK_LOST"
  /** The queue name is not configured. Fix the configuration. */
  | "QUEUE_NOT_FOUND"
  /** The adapter was closed. Create a new one. */
  | "QUEUE_CLOSED"
  /** A message body is larger than the transport allows (Service Bus Standard: 256 KB). Send references, not data. */
  | "QUEUE_MESSAGE_TOO_LARGE"
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
  sessionId: string;
  body: MessageBody;
  /** Optional id; adapters assign one when missing. */
  messageId?: string;
  /** Free-form string properties (for example a tile id for logs). */
  properties?: Record<string, string>;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly sessionId: string;
  readonly body: MessageBody;
  readonly properties: Readonly<Record<string, string>>;
  /** 1 on the first delivery, then +1 for every abandon or lock expiry. */
  readonly deliveryCount: number;
  /** Monotonic per queue, assigned by the broker. */
  readonly sequenceNumber: number;
  readonly enqueuedAt: number;
}

export interface DeadLetter extends ReceivedMessage {
  readonly deadLetterReason: string;
  readonly deadLetterDescription: string;
}

export interface AcceptOptions {
  /** How long to wait for a free session before resolving to null. Default 60 000 ms. */
  timeoutMs?: number;
}

export interface ReceiveOptions {
  /** How long to wait for the first message before resolving to []. Default 60 000 ms. */
  timeoutMs?: number;
}

/** A locked session: the only place its messages can be received and settled. */
export interface SessionReceiver {
  readonly queue: string;
  readonly sessionId: string;
  /** When the session lock expires unless renewed (ms since the epoch, on the adapter's clock). */
  readonly lockedUntil: number;
  /** Up to `max` messages in session order; [] when none arrives within the timeout. */
  receive(max: number, options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  complete(message: ReceivedMessage): Promise<void>;
  /** Back to the front of the session, deliveryCount + 1 (or dead-lettered past maxDeliveryCount). */
  abandon(message: ReceivedMessage): Promise<void>;
  deadLetter(message: ReceivedMessage, reason: string, description: string): Promise<void>;
  /** Extends the session lock by the lock duration; returns the new lockedUntil. */
  renewLock(): Promise<number>;
  getState(): Promise<MessageBody | null>;
  setState(state: MessageBody | null): Promise<void>;
  /** Releases the session lock; unsettled messages become available again (deliveryCount + 1). */
  close(): Promise<void>;
}

export interface QueueConfig {
  /** Session lock duration. Service Bus default 60 s (range 5 s..5 min). */
  lockDurationMs: number;
  /** Deliveries before a message is dead-lettered. Service Bus default 10. */
  maxDeliveryCount: number;
}

export interface Queue {
  /** The queues this adapter serves and their settings. */
  readonly config: Readonly<Record<string, QueueConfig>>;
  send(queue: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /** Locks the next free session with messages (sessionId omitted) or the named one. */
  acceptSession(queue: string, sessionId?: string, options?: AcceptOptions): Promise<SessionReceiver | null>;
  /** Removes and returns up to `max` dead letters of `queue`, oldest first. */
  receiveDeadLetters(queue: string, max: number): Promise<DeadLetter[]>;
  /** Active (not dead-lettered) and dead-lettered message counts, for monitoring and autoscaling. */
  depth(queue: string): Promise<{ active: number; deadLetter: number }>;
  close(): Promise<void>;
}
