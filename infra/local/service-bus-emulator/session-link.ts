/**
 * A session receiver link (the client's receiver, the emulator's sender) on a queue:
 * the `com.microsoft:session-filter` names a session or (null) asks for the next free one.
 * The attach is answered only once a session is locked; when none frees up within the
 * client's `com.microsoft:timeout` the link is detached with `com.microsoft:timeout`, and a
 * session locked elsewhere detaches it with `com.microsoft:session-cannot-be-locked`.
 * Messages go out peek-locked as credit allows; settlements map to complete (accepted),
 * abandon (modified/released) and dead-letter (rejected). Each delivery's lock token is
 * also registered with the store, so `$management` update-disposition and renew-lock
 * requests can find it.
 */

import rhea from "rhea";
import { QueueError, type ReceivedMessage, type SessionReceiver } from "../../../engine/ports/queue.js";
import { guidBytes, ticksLong } from "./amqp-encoding.js";
import type { QueueStore, Settlement, TokenHolder } from "./queue-store.js";
import { answerDrain, creditCounted, type Delivery, type Sender } from "./rhea-types.js";
import { toWire } from "./wire.js";

type Outcome = (fields: object) => { described(): unknown };
const outcomes = rhea.message as unknown as { accepted: Outcome; released: Outcome; rejected: Outcome };

export const SESSION_FILTER = "com.microsoft:session-filter";
const DEFAULT_TIMEOUT_MS = 60_000;

interface Unsettled {
  readonly message: ReceivedMessage;
  readonly token: string;
}

export class SessionLink implements TokenHolder {
  private receiver: SessionReceiver | null = null;
  private pumping = false;
  private ended = false;
  private watch: ReturnType<typeof setInterval> | undefined;
  private readonly deliveries = new Map<Delivery, Unsettled>();
  private readonly byToken = new Map<string, Delivery>();

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
        // Drained: the credit is gone once rhea writes the answer; more credit pumps again.
        if (this.link._draining) {
          answerDrain(this.link);
          return;
        }
        continue;
      }
      for (const message of batch) this.deliver(message, receiver.lockedUntil);
      await creditCounted();
    }
    if (this.link._draining) answerDrain(this.link);
  }

  private deliver(message: ReceivedMessage, lockedUntil: number): void {
    const original = this.store.lookup(message);
    const token = crypto.randomUUID();
    // On the wire the delivery count is the deliveries before this one.
    const outgoing = toWire(original, message, { deliveryCount: message.deliveryCount - 1, lockedUntil });
    const delivery = this.link.send(outgoing, guidBytes(token));
    this.deliveries.set(delivery, { message, token });
    this.byToken.set(token, delivery);
    this.store.lockToken(token, this);
  }

  /** The session lock, which is every message's lock in a session. */
  get lockedUntil(): number {
    return this.receiver?.lockedUntil ?? 0;
  }

  /** A disposition from the client: settle in the queue, then answer with a settled one. */
  async settle(delivery: Delivery, outcome: Settlement, info?: Record<string, unknown>): Promise<void> {
    if (!this.deliveries.has(delivery)) return;
    try {
      await this.apply(delivery, outcome, info);
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

  /**
   * `$management` update-disposition: settles in the queue, then settles the delivery on the
   * wire too, so the client's own copy reports it settled instead of trying again.
   */
  async settleByToken(token: string, outcome: Settlement, info?: Record<string, unknown>): Promise<void> {
    const delivery = this.byToken.get(token);
    const receiver = this.receiver;
    if (delivery === undefined || receiver === null) {
      throw new QueueError(
        "QUEUE_LOCK_LOST",
        `lock token ${token} is no longer held: settled already, or its session lock was lost`,
      );
    }
    await this.apply(delivery, outcome, info);
    delivery.update(true, (outcome === "abandon" ? outcomes.released({}) : outcomes.accepted({})).described());
  }

  /** Settles a delivery's message in the queue; it is no longer this link's to settle either way. */
  private async apply(delivery: Delivery, outcome: Settlement, info?: Record<string, unknown>): Promise<void> {
    const unsettled = this.deliveries.get(delivery);
    const receiver = this.receiver;
    if (unsettled === undefined || receiver === null) throw new Error("the delivery is not held by this link");
    const { message, token } = unsettled;
    this.deliveries.delete(delivery);
    this.byToken.delete(token);
    this.store.unlockToken(token);
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
  }

  /** Ends the hold: closes the queue receiver (releasing the session) and the link if open. */
  end(error?: { condition: string; description: string }): void {
    if (this.ended && this.receiver === null) return;
    this.ended = true;
    clearInterval(this.watch);
    const receiver = this.receiver;
    this.receiver = null;
    // The unsettled messages go back to the queue with the session: their tokens are dead.
    for (const token of this.byToken.keys()) this.store.unlockToken(token);
    this.byToken.clear();
    this.deliveries.clear();
    if (receiver !== null) {
      this.store.release(receiver);
      void receiver.close();
    }
    if (error !== undefined && this.link.is_open()) this.link.close(error);
  }
}
