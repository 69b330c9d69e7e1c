/**
 * The emulator's queues: MemoryQueue (infra/memory) holds the session-queue semantics
 * (FIFO per session, session locks, lock expiry, deliveryCount, dead-lettering, session
 * state); this store only keeps the AMQP messages themselves, by reference, beside it, and
 * what `$management` requests look up: session holders and message lock tokens.
 */

import type { QueueConfig, ReceivedMessage, SessionReceiver } from "../../../engine/ports/queue.js";
import { MemoryQueue } from "../../../infra/memory/memory-queue.js";
import type { AmqpMessage } from "./rhea-types.js";

export type Settlement = "complete" | "abandon" | "deadLetter";

/** The link a lock token was delivered on, which settles by token for `$management`. */
export interface TokenHolder {
  /** The lock the message is held under (its session's). */
  readonly lockedUntil: number;
  /** Rejects with a QUEUE_LOCK_LOST QueueError when the token is no longer held. */
  settleByToken(token: string, outcome: Settlement, info?: Record<string, unknown>): Promise<void>;
}

export class QueueStore {
  readonly queue: MemoryQueue;
  private readonly messages = new Map<string, AmqpMessage>();
  /** The receiver holding each session, by `queue/sessionId`, for `$management` requests. */
  private readonly holders = new Map<string, SessionReceiver>();
  private readonly tokens = new Map<string, TokenHolder>();

  constructor(config: Record<string, QueueConfig>) {
    this.queue = new MemoryQueue(config);
  }

  has(queue: string): boolean {
    return Object.hasOwn(this.queue.config, queue);
  }

  async send(queue: string, messages: readonly AmqpMessage[]): Promise<void> {
    const outgoing = messages.map((message) => {
      const ref = crypto.randomUUID();
      // Service Bus gives a message sent without an id one of its own, kept on every
      // redelivery and in the dead-letter queue: the stored message carries it from now on.
      this.messages.set(ref, message.message_id == null ? { ...message, message_id: crypto.randomUUID() } : message);
      return { sessionId: String(message.group_id ?? ""), messageId: ref, body: ref };
    });
    try {
      await this.queue.send(queue, outgoing);
    } catch (error) {
      for (const m of outgoing) this.messages.delete(m.messageId);
      throw error;
    }
  }

  /** The AMQP message a received, peeked or dead-lettered queue message stands for. */
  lookup(message: ReceivedMessage): AmqpMessage {
    const found = this.messages.get(message.messageId);
    if (found === undefined) throw new Error(`emulator lost message ${message.messageId}`);
    return found;
  }

  forget(message: ReceivedMessage): void {
    this.messages.delete(message.messageId);
  }

  hold(receiver: SessionReceiver): void {
    this.holders.set(`${receiver.queue}/${receiver.sessionId}`, receiver);
  }

  release(receiver: SessionReceiver): void {
    const key = `${receiver.queue}/${receiver.sessionId}`;
    if (this.holders.get(key) === receiver) this.holders.delete(key);
  }

  holder(queue: string, sessionId: string): SessionReceiver | undefined {
    return this.holders.get(`${queue}/${sessionId}`);
  }

  lockToken(token: string, holder: TokenHolder): void {
    this.tokens.set(token, holder);
  }

  unlockToken(token: string): void {
    this.tokens.delete(token);
  }

  tokenHolder(token: string): TokenHolder | undefined {
    return this.tokens.get(token);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.messages.clear();
    this.holders.clear();
    this.tokens.clear();
  }
}
