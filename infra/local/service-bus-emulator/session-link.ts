/**
 * A session receiver link (the client's receiver, the emulator's sender) on a queue:
 * the `com.microsoft:session-filter` names a session or (null) asks for the next free one.
 * The attach is answered only once a session is locked; when none frees up within the
 * client's `com.microsoft:timeout` the link is detached with `com.microsoft:timeout`, and a
 * session locked elsewhere detaches it with `com.microsoft:session-cannot-be-locked`.
 * Messages go out peek-locked as credit allows; settlements map to complete (accepted),
 * abandon (modified/released) and dead-letter (rejected).
 */

import rhea from "rhea";
import { QueueError, type ReceivedMessage, type SessionReceiver } from "../../../engine/ports/queue.js";
import { guidBytes, ticksLong } from "./amqp-encoding.js";
import type { QueueStore } from "./queue-store.js";
import type { AmqpMessage, Delivery, Sender } from "./rhea-types.js";

type Outcome = (fields: object) => { described(): unknown };
const outcomes = rhea.message as unknown as { accepted: Outcome; rejected: Outcome };

const SESSION_FILTER = "com.microsoft:session-filter";
const DEFAULT_TIMEOUT_MS = 60_000;

export class SessionLink {
  private receiver: SessionReceiver | null = null;
  private pumping = false;
  private ended = false;
  private watch: ReturnType<typeof setInterval> | undefined;
  private readonly deliveries = new WeakMap<Delivery, ReceivedMessage>();

  constructor(
    private readonly store: QueueStore,
    private readonly queue: string,
    private readonly link: Sender,
  ) {}

  /** Called synchronously from `sender_open`: holds rhea's automatic attach reply back. */
  start(): void {
    this.link.state.local_open = false;
    this.link.state.open_requests--;
    void this.accept();
  }

  private async accept(): Promise<void> {
    const attach = this.link.remote.attach;
    const filter = attach?.source?.filter ?? {};
    const named = filter[SESSION_FILTER];
    const rawTimeout = Number(attach?.properties?.["com.microsoft:timeout"] ?? DEFAULT_TIMEOUT_MS);
    const timeoutMs = Number.isFinite(rawTimeout) && rawTimeout >= 0 ? rawTimeout : DEFAULT_TIMEOUT_MS;
    try {
      const receiver =
        typeof named === "string"
          ? await this.store.queue.acceptSession(this.queue, named)
          : await this.store.queue.acceptSession(this.queue, undefined, { timeoutMs });
      if (this.ended || this.link.is_closed()) {
        await receiver?.close();
        return;
      }
      if (receiver === null) {
        this.refuse("com.microsoft:timeout", `No unlocked session was available within ${timeoutMs} ms.`);
        return;
      }
      this.receiver = receiver;
      this.store.hold(receiver);
      this.link.set_source({ address: this.queue, filter: { [SESSION_FILTER]: receiver.sessionId } });
      this.link.local.attach.properties = { "com.microsoft:locked-until-utc": ticksLong(receiver.lockedUntil) };
      this.link.open();
      this.watch = setInterval(() => this.checkLock(), 100);
      this.pump();
    } catch (error) {
      if (error instanceof QueueError && error.code === "QUEUE_SESSION_LOCKED") {
        this.refuse("com.microsoft:session-cannot-be-locked", error.message);
      } else {
        this.refuse("amqp:internal-error", (error as Error).message);
      }
    }
  }

  private refuse(condition: string, description: string): void {
    this.ended = true;
    this.link.set_source({ address: this.queue, filter: { [SESSION_FILTER]: null } });
    this.link.open();
    this.link.close({ condition, description });
  }

  private checkLock(): void {
    if (this.receiver !== null && this.receiver.lockedUntil <= Date.now()) {
      this.end({ condition: "com.microsoft:session-lock-lost", description: "The session lock has expired." });
    }
  }

  /** Sends as many messages as the client has given credit for; re-run on every `sendable`. */
  pump(): void {
    if (this.pumping || this.receiver === null || this.ended) return;
    this.pumping = true;
    void this.pumpLoop().finally(() => {
      this.pumping = false;
    });
  }

  private async pumpLoop(): Promise<void> {
    const receiver = this.receiver;
    if (receiver === null) return;
    while (!this.ended && this.link.is_open() && this.link.credit > 0) {
      let batch: ReceivedMessage[];
      try {
        batch = await receiver.receive(this.link.credit, { timeoutMs: 100 });
      } catch (error) {
        if (error instanceof QueueError && error.code === "QUEUE_LOCK_LOST") {
          this.end({ condition: "com.microsoft:session-lock-lost", description: error.message });
        }
        return;
      }
      if (batch.length === 0) {
        if (this.link._draining) this.link.set_drained(true);
        continue;
      }
      for (const message of batch) this.deliver(message, receiver.lockedUntil);
    }
    if (this.link._draining) this.link.set_drained(true);
  }

  private deliver(message: ReceivedMessage, lockedUntil: number): void {
    const original = this.store.lookup(message);
    const lockToken = crypto.randomUUID();
    const outgoing: AmqpMessage = {
      ...original,
      delivery_count: message.deliveryCount - 1,
      message_annotations: {
        ...(original.message_annotations ?? {}),
        "x-opt-sequence-number": message.sequenceNumber,
        "x-opt-enqueued-time": new Date(message.enqueuedAt),
        "x-opt-locked-until": new Date(lockedUntil),
      },
    };
    const delivery = this.link.send(outgoing, guidBytes(lockToken));
    this.deliveries.set(delivery, message);
  }

  /** A disposition from the client: settle in the queue, then answer with a settled one. */
  async settle(delivery: Delivery, outcome: "complete" | "abandon" | "deadLetter", info?: Record<string, unknown>) {
    const message = this.deliveries.get(delivery);
    const receiver = this.receiver;
    if (message === undefined || receiver === null) return;
    this.deliveries.delete(delivery);
    try {
      if (outcome === "complete") {
        await receiver.complete(message);
        this.store.forget(message);
      } else if (outcome === "abandon") {
        await receiver.abandon(message);
      } else {
        await receiver.deadLetter(
          message,
          String(info?.DeadLetterReason ?? "DeadLettered"),
          String(info?.DeadLetterErrorDescription ?? ""),
        );
      }
      // Echo the client's outcome, re-wrapped for the wire, as a settled disposition. Not for a
      // dead-letter: the SDK reads any error in the answer (the rejected outcome carries
      // `com.microsoft:dead-letter`) as a failed settlement, so that one is answered `accepted`.
      const state = delivery.remote_state as { described?: () => unknown } | undefined;
      delivery.update(true, outcome === "deadLetter" ? outcomes.accepted({}).described() : state?.described?.());
    } catch (error) {
      const rejected = outcomes.rejected({
        error: { condition: "com.microsoft:message-lock-lost", description: (error as Error).message },
      });
      delivery.update(true, rejected.described());
    }
  }

  /** Ends the hold: closes the queue receiver (releasing the session) and the link if open. */
  end(error?: { condition: string; description: string }): void {
    if (this.ended && this.receiver === null) return;
    this.ended = true;
    clearInterval(this.watch);
    const receiver = this.receiver;
    this.receiver = null;
    if (receiver !== null) {
      this.store.release(receiver);
      void receiver.close();
    }
    if (error !== undefined && this.link.is_open()) this.link.close(error);
  }
}
