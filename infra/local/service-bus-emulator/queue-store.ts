/**
 * The emulator's queues: MemoryQueue (engine/embedded) holds the session-queue semantics
 * (FIFO per session, session locks, lock expiry, deliveryCount, dead-lettering, session
 * state); this store only keeps the AMQP messages themselves, by reference, beside it.
 */

import { MemoryQueue } from "../../../engine/embedded/memory-queue.js";
import type { QueueConfig, ReceivedMessage, SessionReceiver } from "../../../engine/ports/queue.js";
import type { AmqpMessage } from "./rhea-types.js";

export class QueueStore {
  readonly queue: MemoryQueue;
  private readonly messages = new Map<string, AmqpMessage>();
  /** The receiver holding each session, by `queue/sessionId`, for `$management` requests. */
  private readonly holders = new Map<string, SessionReceiver>();

  constructor(config: Record<string, QueueConfig>) {
    this.queue = new MemoryQueue(config);
  }

  has(queue: string): boolean {
    return Object.hasOwn(this.queue.config, queue);
  }

  async send(queue: string, messages: readonly AmqpMessage[]): Promise<void> {
    const outgoing = messages.map((message) => {
      const ref = crypto.randomUUID();
      this.messages.set(ref, message);
      return { sessionId: String(message.group_id ?? ""), messageId: ref, body: ref };
    });
    try {
      await this.queue.send(queue, outgoing);
    } catch (error) {
      for (const m of outgoing) this.messages.delete(m.messageId);
      throw error;
    }
  }

  /** The AMQP message a received queue message stands for. */
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

  async close(): Promise<void> {
    await this.queue.close();
    this.messages.clear();
    this.holders.clear();
  }
}
