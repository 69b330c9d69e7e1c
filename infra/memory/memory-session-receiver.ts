import { decode, encodeState } from "../../engine/ports/message-codec.js";
import type { MessageBody, QueueError, ReceivedMessage, ReceiveOptions, SessionReceiver } from "../../engine/ports/queue.js";
import { queueErrors } from "../../engine/ports/queue-errors.js";
import { checkMax, checkTimeout } from "../../engine/ports/queue-validation.js";
import type { Session, StoredMessage } from "./memory-session.js";
import { toReceived } from "./memory-session.js";
import type { SessionQueue } from "./session-queue.js";

/** Why a receiver no longer holds its session. */
export type LostReason = "expired" | "released" | "closed";

interface ReceiveWaiter {
  readonly max: number;
  settled: boolean;
  resolve(messages: ReceivedMessage[]): void;
  reject(error: QueueError): void;
  cancelTimeout(): void;
}

/**
 * The embedded SessionReceiver. It owns the messages it has received and not settled; the
 * SessionQueue owns the session and decides when the hold ends (expiry, close, adapter close).
 */
export class MemorySessionReceiver implements SessionReceiver {
  readonly queue: string;
  readonly sessionId: string;
  /** Set once the hold ended; every later call but close() rejects because of it. */
  lost: LostReason | null = null;
  /** Cancels the pending expiry timer; replaced by SessionQueue.armExpiry. */
  cancelExpiry: () => void = () => {};
  private lockDeadline: number;
  /** Received, unsettled messages by sequence number (unique in a queue). */
  private readonly inFlight = new Map<number, StoredMessage>();
  private readonly waiters: ReceiveWaiter[] = [];

  constructor(
    private readonly owner: SessionQueue,
    readonly session: Session,
    lockedUntil: number,
  ) {
    this.queue = owner.name;
    this.sessionId = session.id;
    this.lockDeadline = lockedUntil;
  }

  get lockedUntil(): number {
    return this.lockDeadline;
  }

  async receive(max: number, options?: ReceiveOptions): Promise<ReceivedMessage[]> {
    const count = checkMax(max);
    const timeoutMs = checkTimeout(options?.timeoutMs, "options.timeoutMs");
    this.check();
    const messages = this.take(count);
    if (messages.length > 0 || timeoutMs === 0) return messages;
    return new Promise((resolve, reject) => {
      const waiter: ReceiveWaiter = { max: count, settled: false, resolve, reject, cancelTimeout: () => {} };
      this.waiters.push(waiter);
      waiter.cancelTimeout = this.owner.clock.schedule(timeoutMs, () => {
        // If the lock expired by now, the sweep rejects this waiter with QUEUE_LOCK_LOST.
        this.owner.sweep();
        if (waiter.settled) return;
        waiter.settled = true;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve([]);
      });
    });
  }

  async complete(message: ReceivedMessage): Promise<void> {
    this.claim(message);
    this.owner.completed();
  }

  async abandon(message: ReceivedMessage): Promise<void> {
    const stored = this.claim(message);
    this.owner.giveBack(this.session, stored);
    this.owner.changed(this.session);
  }

  async deadLetter(message: ReceivedMessage, reason: string, description: string): Promise<void> {
    if (typeof reason !== "string" || typeof description !== "string") {
      throw new TypeError("deadLetter(message, reason, description) needs a string reason and description");
    }
    const stored = this.claim(message);
    this.owner.deadLetter(stored, reason, description);
  }

  async renewLock(): Promise<number> {
    this.check();
    this.lockDeadline = this.owner.clock.now() + this.owner.config.lockDurationMs;
    this.owner.armExpiry(this);
    return this.lockDeadline;
  }

  async getState(): Promise<MessageBody | null> {
    this.check();
    return this.session.state === null ? null : decode(this.session.state);
  }

  async setState(state: MessageBody | null): Promise<void> {
    this.check();
    this.session.state = encodeState(state);
  }

  async close(): Promise<void> {
    if (this.lost !== null) return;
    // An expiry that is due wins over the close, so later calls report what really happened.
    this.owner.sweep();
    if (this.lost === null) this.owner.release(this, "released");
  }

  /** The messages received and not settled yet, for peeking; the caller must not change them. */
  unsettled(): IterableIterator<StoredMessage> {
    return this.inFlight.values();
  }

  /** Hands waiting receives the messages that became available, oldest waiter first. */
  deliverWaiting(): void {
    while (this.waiters.length > 0 && this.session.available.length > 0) {
      const waiter = this.waiters.shift();
      if (waiter === undefined) return;
      waiter.settled = true;
      waiter.cancelTimeout();
      waiter.resolve(this.take(waiter.max));
    }
  }

  /** Ends the hold: rejects waiting receives, returns the unsettled messages in sequence order. */
  end(reason: LostReason): StoredMessage[] {
    this.lost = reason;
    this.cancelExpiry();
    for (const waiter of this.waiters.splice(0)) {
      waiter.settled = true;
      waiter.cancelTimeout();
      waiter.reject(this.lostError(reason));
    }
    const unsettled = [...this.inFlight.values()].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
    this.inFlight.clear();
    return unsettled;
  }

  private check(): void {
    this.owner.sweep();
    if (this.lost !== null) throw this.lostError(this.lost);
  }

  private lostError(reason: LostReason): QueueError {
    if (reason === "closed") return queueErrors.closed();
    if (reason === "expired") return queueErrors.lockExpired(this.queue, this.sessionId);
    return queueErrors.lockReleased(this.queue, this.sessionId);
  }

  private take(max: number): ReceivedMessage[] {
    const messages: ReceivedMessage[] = [];
    while (messages.length < max) {
      const message = this.session.available.shift();
      if (message === undefined) break;
      message.deliveryCount++;
      this.inFlight.set(message.sequenceNumber, message);
      messages.push(toReceived(message));
    }
    return messages;
  }

  /** Takes a message out of this receiver's hands for settling, or rejects with QUEUE_LOCK_LOST. */
  private claim(message: ReceivedMessage): StoredMessage {
    this.check();
    const sequenceNumber: unknown = (message as Partial<ReceivedMessage> | null)?.sequenceNumber;
    const stored = typeof sequenceNumber === "number" ? this.inFlight.get(sequenceNumber) : undefined;
    // A redelivery is a new delivery (Service Bus gives it a new lock token), so a copy
    // from an earlier delivery cannot settle it.
    if (stored === undefined || stored.deliveryCount !== message.deliveryCount) {
      throw queueErrors.notHeld(this.queue, this.sessionId, sequenceNumber);
    }
    this.inFlight.delete(stored.sequenceNumber);
    return stored;
  }
}
