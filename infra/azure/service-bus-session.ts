/**
 * A SessionReceiver over the SDK's ServiceBusSessionReceiver. The SDK's own lock renewal is
 * off (`maxAutoLockRenewalDurationInMs: 0`): the port's caller renews, as the worker loop
 * does while a tile runs, so a stalled or killed worker loses its sessions after one lock
 * duration instead of the SDK's default five minutes.
 */

import type { ServiceBusReceivedMessage, ServiceBusSessionReceiver } from "@azure/service-bus";
import { decode, encodeState } from "../../engine/ports/message-codec.js";
import type { MessageBody, ReceivedMessage, ReceiveOptions, SessionReceiver } from "../../engine/ports/queue.js";
import { queueErrors } from "../../engine/ports/queue-errors.js";
import { checkMax, checkTimeout } from "../../engine/ports/queue-validation.js";
import { translate } from "./service-bus-errors.js";

/**
 * The shortest wait a receive is given. A port caller may ask for 0 ("only what is there"),
 * but over a network nothing is "there" before a round trip: the broker needs this long to
 * hand over a message that is waiting.
 */
export const MIN_RECEIVE_WAIT_MS = 300;

/** A message as the port sees it, from the SDK's. Bodies travel as JSON text in a data section. */
export function toReceived(message: ServiceBusReceivedMessage): ReceivedMessage {
  const raw = message.body as unknown;
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : JSON.stringify(raw ?? null);
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.applicationProperties ?? {})) {
    // The broker's own dead-letter annotations are surfaced as fields, not properties.
    if (key !== "DeadLetterReason" && key !== "DeadLetterErrorDescription") properties[key] = String(value);
  }
  return {
    messageId: String(message.messageId ?? ""),
    sessionId: message.sessionId ?? "",
    body: decode(text),
    properties,
    // AMQP counts earlier deliveries (0 the first time); the port counts this one too.
    deliveryCount: (message.deliveryCount ?? 0) + 1,
    sequenceNumber: message.sequenceNumber?.toNumber() ?? 0,
    enqueuedAt: message.enqueuedTimeUtc?.getTime() ?? 0,
  };
}

export class AzureSessionReceiver implements SessionReceiver {
  private lockedUntilMs: number;
  /** Messages received and not settled yet, with the SDK message each settles through. */
  private readonly held = new Map<ReceivedMessage, ServiceBusReceivedMessage>();
  private released = false;
  private closed = false;

  constructor(
    readonly queue: string,
    private readonly sdk: ServiceBusSessionReceiver,
    /** Whether the adapter was closed (then everything rejects with QUEUE_CLOSED). */
    private readonly adapterClosed: () => boolean,
    private readonly onClose: (receiver: AzureSessionReceiver) => void,
  ) {
    this.lockedUntilMs = sdk.sessionLockedUntilUtc?.getTime() ?? Date.now();
  }

  get sessionId(): string {
    return this.sdk.sessionId;
  }

  get lockedUntil(): number {
    return this.lockedUntilMs;
  }

  async receive(max: number, options?: ReceiveOptions): Promise<ReceivedMessage[]> {
    checkMax(max);
    const timeoutMs = checkTimeout(options?.timeoutMs, "options.timeoutMs");
    this.check();
    // One message a call: asked for more, the SDK's batching receiver keeps waiting after the
    // first one arrives (up to a second, or to the end of the wait) in case more come, where the
    // port promises to resolve at the first. That wait held every band's event, and so the
    // job's end, for up to the coordinator's whole poll (a measured 0.7 s per job).
    const messages = await this.call("receive", () =>
      this.sdk.receiveMessages(1, { maxWaitTimeInMs: Math.max(timeoutMs, MIN_RECEIVE_WAIT_MS) }),
    );
    return messages.map((sdkMessage) => {
      const message = toReceived(sdkMessage);
      this.held.set(message, sdkMessage);
      return message;
    });
  }

  complete(message: ReceivedMessage): Promise<void> {
    return this.settle(message, "complete", (m) => this.sdk.completeMessage(m));
  }

  abandon(message: ReceivedMessage): Promise<void> {
    return this.settle(message, "abandon", (m) => this.sdk.abandonMessage(m));
  }

  deadLetter(message: ReceivedMessage, reason: string, description: string): Promise<void> {
    return this.settle(message, "dead-letter", (m) =>
      this.sdk.deadLetterMessage(m, { deadLetterReason: reason, deadLetterErrorDescription: description }),
    );
  }

  async renewLock(): Promise<number> {
    this.check();
    const until = await this.call("renew the session lock", () => this.sdk.renewSessionLock());
    this.lockedUntilMs = until.getTime();
    return this.lockedUntilMs;
  }

  async getState(): Promise<MessageBody | null> {
    this.check();
    const state: unknown = await this.call("get the session state", () => this.sdk.getSessionState());
    if (state === null || state === undefined) return null;
    const text = Buffer.isBuffer(state) ? state.toString("utf8") : JSON.stringify(state);
    return text === "" ? null : decode(text);
  }

  async setState(state: MessageBody | null): Promise<void> {
    const json = encodeState(state);
    this.check();
    await this.call("set the session state", () => this.sdk.setSessionState(json === null ? null : Buffer.from(json, "utf8")));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.released = true;
    this.held.clear();
    this.onClose(this);
    // Closing the link releases the session at once; its unsettled messages go back.
    await this.sdk.close().catch(() => undefined);
  }

  private async settle(
    message: ReceivedMessage,
    what: string,
    settle: (m: ServiceBusReceivedMessage) => Promise<void>,
  ): Promise<void> {
    this.check();
    const sdkMessage = this.held.get(message);
    if (sdkMessage === undefined) throw queueErrors.notHeld(this.queue, this.sessionId, message.sequenceNumber);
    this.held.delete(message);
    await this.call(`${what} message ${message.messageId}`, () => settle(sdkMessage));
  }

  /** The port's lock rules, checked here so they hold before any round trip. */
  private check(): void {
    if (this.adapterClosed()) throw queueErrors.closed();
    if (this.released) throw queueErrors.lockReleased(this.queue, this.sessionId);
    if (Date.now() >= this.lockedUntilMs) {
      this.released = true;
      this.held.clear();
      throw queueErrors.lockExpired(this.queue, this.sessionId);
    }
  }

  private async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (this.adapterClosed()) throw queueErrors.closed();
      const translated = translate(error, `${what} (session "${this.sessionId}" of queue "${this.queue}")`);
      if (translated.code === "QUEUE_LOCK_LOST") {
        this.released = true;
        this.held.clear();
      }
      throw translated;
    }
  }
}
