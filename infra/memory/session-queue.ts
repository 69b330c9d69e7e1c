import type { Clock } from "../../engine/ports/clock.js";
import type { EncodedMessage } from "../../engine/ports/message-codec.js";
import type { DeadLetter, QueueConfig, QueueError, ReceivedMessage } from "../../engine/ports/queue.js";
import { queueErrors } from "../../engine/ports/queue-errors.js";
import {
  insertInOrder,
  type Session,
  type StoredDeadLetter,
  type StoredMessage,
  toDeadLetter,
  toReceived,
} from "./memory-session.js";
import { type LostReason, MemorySessionReceiver } from "./memory-session-receiver.js";

/** Service Bus's own reason and description for a message that ran out of deliveries. */
export const MAX_DELIVERY_REASON = "MaxDeliveryCountExceeded";
const maxDeliveryDescription = (count: number) => `Message could not be consumed after ${count} delivery attempts.`;

interface AcceptWaiter {
  settled: boolean;
  resolve(receiver: MemorySessionReceiver | null): void;
  reject(error: QueueError): void;
  cancelTimeout(): void;
}

/**
 * One configured queue of the embedded adapter: its sessions, the line of free sessions,
 * waiting acceptors, held locks and dead letters. Everything runs on one thread, so each
 * method leaves the structures consistent before it returns or resolves anything.
 */
export class SessionQueue {
  private readonly sessions = new Map<string, Session>();
  /**
   * Free sessions with messages, in the order they became so. A Map keeps insertion order,
   * so a session released with messages left re-enters at the back: accept-next takes the
   * oldest first and rotates through every session instead of returning to the same one.
   */
  private readonly ready = new Map<string, Session>();
  private readonly acceptWaiters: AcceptWaiter[] = [];
  private readonly held = new Set<MemorySessionReceiver>();
  private readonly deadLetters: StoredDeadLetter[] = [];
  private nextSequenceNumber = 1;
  /** Messages sent and not yet completed or dead-lettered (waiting or received). */
  private active = 0;
  private closed = false;

  constructor(
    readonly name: string,
    readonly config: QueueConfig,
    readonly clock: Clock,
    private readonly newMessageId: () => string,
  ) {}

  enqueue(messages: readonly EncodedMessage[]): void {
    const now = this.clock.now();
    const touched = new Set<Session>();
    for (const message of messages) {
      const session = this.session(message.sessionId);
      session.available.push({
        messageId: message.messageId ?? this.newMessageId(),
        sessionId: message.sessionId,
        json: message.json,
        properties: message.properties,
        sequenceNumber: this.nextSequenceNumber++,
        enqueuedAt: now,
        deliveryCount: 0,
      });
      touched.add(session);
    }
    this.active += messages.length;
    for (const session of touched) this.changed(session);
  }

  acceptNext(timeoutMs: number): Promise<MemorySessionReceiver | null> {
    const first = this.firstReady();
    if (first !== undefined) return Promise.resolve(this.lock(first));
    if (timeoutMs === 0) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const waiter: AcceptWaiter = { settled: false, resolve, reject, cancelTimeout: () => {} };
      this.acceptWaiters.push(waiter);
      waiter.cancelTimeout = this.clock.schedule(timeoutMs, () => {
        // A lock that expires at this very instant frees its session for this waiter first.
        this.sweep();
        if (waiter.settled) return;
        waiter.settled = true;
        this.acceptWaiters.splice(this.acceptWaiters.indexOf(waiter), 1);
        resolve(null);
      });
    });
  }

  /** Locks a named session, creating it (without messages) when it does not exist yet. */
  acceptNamed(sessionId: string): MemorySessionReceiver {
    const session = this.session(sessionId);
    if (session.holder !== null) throw queueErrors.sessionLocked(this.name, sessionId);
    return this.lock(session);
  }

  /** Expires every lock whose time has come; called by every operation and by the expiry timers. */
  sweep(): void {
    if (this.closed || this.held.size === 0) return;
    const now = this.clock.now();
    for (const receiver of [...this.held]) {
      if (now >= receiver.lockedUntil) this.release(receiver, "expired");
    }
  }

  /** (Re)starts the timer that expires `receiver`'s lock even when nothing else happens. */
  armExpiry(receiver: MemorySessionReceiver): void {
    receiver.cancelExpiry();
    receiver.cancelExpiry = this.clock.schedule(receiver.lockedUntil - this.clock.now(), () => {
      this.sweep();
      // A real timer may fire a moment before the clock reaches the deadline: wait the rest.
      if (this.held.has(receiver)) this.armExpiry(receiver);
    });
  }

  /** Ends a receiver's hold: its unsettled messages go back (or to the dead letters). */
  release(receiver: MemorySessionReceiver, reason: Exclude<LostReason, "closed">): void {
    if (!this.held.delete(receiver)) return;
    const session = receiver.session;
    const unsettled = receiver.end(reason);
    session.holder = null;
    for (const message of unsettled) this.giveBack(session, message);
    this.changed(session);
  }

  /**
   * A message comes back unsettled: to the front of its session in sequence order, or to
   * the dead letters once it has had `maxDeliveryCount` deliveries. Callers then call changed().
   */
  giveBack(session: Session, message: StoredMessage): void {
    if (message.deliveryCount >= this.config.maxDeliveryCount) {
      this.deadLetter(message, MAX_DELIVERY_REASON, maxDeliveryDescription(this.config.maxDeliveryCount));
    } else {
      insertInOrder(session.available, message);
    }
  }

  completed(): void {
    this.active--;
  }

  deadLetter(message: StoredMessage, reason: string, description: string): void {
    this.active--;
    this.deadLetters.push({ message, reason, description });
  }

  /** Keeps the line of free sessions, waiting receives and acceptors in step with `session`. */
  changed(session: Session): void {
    if (session.holder !== null) {
      session.holder.deliverWaiting();
      return;
    }
    if (session.available.length > 0) {
      if (!this.ready.has(session.id)) this.ready.set(session.id, session);
    } else {
      this.ready.delete(session.id);
      // Nothing left to remember: forget the session so finished jobs cost no memory.
      if (session.state === null) this.sessions.delete(session.id);
    }
    this.serveAcceptors();
  }

  takeDeadLetters(max: number): DeadLetter[] {
    return this.deadLetters.splice(0, max).map(toDeadLetter);
  }

  /**
   * Active messages (waiting, and received but not settled) with a sequence number of at
   * least `from`, in sequence order: what `active` counts. Reads only. Every active message
   * is in exactly one place: a session's `available`, or its holder's unsettled messages.
   */
  peek(from: number, max: number, sessionId?: string): ReceivedMessage[] {
    const session = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    const sessions = sessionId === undefined ? this.sessions.values() : session === undefined ? [] : [session];
    const found: StoredMessage[] = [];
    for (const { available, holder } of sessions) {
      for (const message of available) if (message.sequenceNumber >= from) found.push(message);
      for (const message of holder?.unsettled() ?? []) if (message.sequenceNumber >= from) found.push(message);
    }
    return found
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
      .slice(0, max)
      .map(toReceived);
  }

  /** Dead letters with a sequence number of at least `from`, in sequence order (not dead-letter order). Reads only. */
  peekDeadLetters(from: number, max: number): DeadLetter[] {
    return this.deadLetters
      .filter((entry) => entry.message.sequenceNumber >= from)
      .sort((a, b) => a.message.sequenceNumber - b.message.sequenceNumber)
      .slice(0, max)
      .map(toDeadLetter);
  }

  depth(): { active: number; deadLetter: number } {
    return { active: this.active, deadLetter: this.deadLetters.length };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.acceptWaiters.splice(0)) {
      waiter.settled = true;
      waiter.cancelTimeout();
      waiter.reject(queueErrors.closed());
    }
    for (const receiver of this.held) receiver.end("closed");
    this.held.clear();
  }

  private session(id: string): Session {
    let session = this.sessions.get(id);
    if (session === undefined) {
      session = { id, available: [], state: null, holder: null };
      this.sessions.set(id, session);
    }
    return session;
  }

  private firstReady(): Session | undefined {
    return this.ready.values().next().value;
  }

  private lock(session: Session): MemorySessionReceiver {
    this.ready.delete(session.id);
    const receiver = new MemorySessionReceiver(this, session, this.clock.now() + this.config.lockDurationMs);
    session.holder = receiver;
    this.held.add(receiver);
    this.armExpiry(receiver);
    return receiver;
  }

  private serveAcceptors(): void {
    for (;;) {
      const session = this.firstReady();
      const waiter = session === undefined ? undefined : this.acceptWaiters.shift();
      if (session === undefined || waiter === undefined) return;
      waiter.settled = true;
      waiter.cancelTimeout();
      waiter.resolve(this.lock(session));
    }
  }
}
