import type { Clock } from "../../engine/ports/clock.js";
import { encodeMessage } from "../../engine/ports/message-codec.js";
import type {
  AcceptOptions,
  DeadLetter,
  OutgoingMessage,
  Queue,
  QueueConfig,
  ReceivedMessage,
  SessionReceiver,
} from "../../engine/ports/queue.js";
import { queueErrors } from "../../engine/ports/queue-errors.js";
import {
  checkMax,
  checkSequenceNumber,
  checkTimeout,
  idProblem,
  validateClock,
  validateQueueConfig,
} from "../../engine/ports/queue-validation.js";
import { SessionQueue } from "./session-queue.js";

export interface MemoryQueueOptions {
  /** Time for lock expiry and waits; `systemClock` by default, a manual clock in tests. */
  clock?: Clock;
}

/**
 * The embedded Queue: Service Bus session-queue semantics in one process (see
 * engine/ports/queue.ts). Lock expiry is checked lazily at the start of every operation and
 * proactively by a timer on the injected clock, so a waiting acceptor gets an expired
 * session without any other activity.
 */
export class MemoryQueue implements Queue {
  readonly config: Readonly<Record<string, QueueConfig>>;
  private readonly queues = new Map<string, SessionQueue>();
  private closed = false;

  /** Throws TypeError or RangeError naming the bad setting, e.g. 'config.tiles.lockDurationMs must be a positive integer'. */
  constructor(config: Record<string, QueueConfig>, options?: MemoryQueueOptions) {
    this.config = validateQueueConfig(config);
    const clock = validateClock(options);
    const newMessageId = () => crypto.randomUUID();
    for (const [name, settings] of Object.entries(this.config)) {
      this.queues.set(name, new SessionQueue(name, settings, clock, newMessageId));
    }
  }

  async send(queue: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const target = this.open(queue);
    if (!Array.isArray(messages)) throw new TypeError("messages must be an array of { sessionId, body }");
    // Every message is checked before any is enqueued: a send is all or nothing.
    const encoded = messages.map((message: OutgoingMessage, index) => encodeMessage(message, index));
    target.sweep();
    target.enqueue(encoded);
  }

  async acceptSession(queue: string, sessionId?: string, options?: AcceptOptions): Promise<SessionReceiver | null> {
    const target = this.open(queue);
    const timeoutMs = checkTimeout(options?.timeoutMs, "options.timeoutMs");
    if (sessionId !== undefined) {
      const problem = idProblem(sessionId, "sessionId");
      if (problem !== null) throw new RangeError(problem);
    }
    target.sweep();
    return sessionId === undefined ? target.acceptNext(timeoutMs) : target.acceptNamed(sessionId);
  }

  async receiveDeadLetters(queue: string, max: number): Promise<DeadLetter[]> {
    const target = this.open(queue);
    const count = checkMax(max);
    target.sweep();
    return target.takeDeadLetters(count);
  }

  /**
   * Up to `max` active messages of `queue` (waiting, and received but not settled: what
   * depth().active counts) with a sequence number of at least `fromSequenceNumber`, in
   * sequence order, optionally of one session only. Like Service Bus's peek it changes
   * nothing: no lock, no delivery. `deliveryCount` is the deliveries so far (0 for a message
   * never received). For emulators and tools; not part of the Queue port.
   */
  async peek(
    queue: string,
    fromSequenceNumber: number,
    max: number,
    options?: { sessionId?: string },
  ): Promise<ReceivedMessage[]> {
    const target = this.open(queue);
    const from = checkSequenceNumber(fromSequenceNumber);
    const count = checkMax(max);
    const sessionId = options?.sessionId;
    if (sessionId !== undefined) {
      const problem = idProblem(sessionId, "options.sessionId");
      if (problem !== null) throw new RangeError(problem);
    }
    // A sweep only applies lock expiries that are already due (as depth() does), so what
    // peek shows always adds up to depth().
    target.sweep();
    return target.peek(from, count, sessionId);
  }

  /**
   * Up to `max` dead letters of `queue` with a sequence number of at least
   * `fromSequenceNumber`, in sequence order (receiveDeadLetters takes them oldest dead
   * letter first instead), without taking them.
   */
  async peekDeadLetters(queue: string, fromSequenceNumber: number, max: number): Promise<DeadLetter[]> {
    const target = this.open(queue);
    const from = checkSequenceNumber(fromSequenceNumber);
    const count = checkMax(max);
    target.sweep();
    return target.peekDeadLetters(from, count);
  }

  async depth(queue: string): Promise<{ active: number; deadLetter: number }> {
    const target = this.open(queue);
    target.sweep();
    return target.depth();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const target of this.queues.values()) target.close();
  }

  private open(queue: string): SessionQueue {
    if (this.closed) throw queueErrors.closed();
    const target = this.queues.get(queue);
    if (target === undefined) throw queueErrors.notFound(queue, [...this.queues.keys()]);
    return target;
  }
}
