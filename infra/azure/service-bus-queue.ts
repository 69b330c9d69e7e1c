/**
 * The Queue port on Azure Service Bus (`@azure/service-bus`): session-enabled queues, one
 * AMQP connection per adapter. The same code talks to Azure (a connection string, or a
 * namespace and an Entra ID credential such as DefaultAzureCredential) and to the local
 * emulator (infra/local/service-bus-emulator, `UseDevelopmentEmulator=true`).
 *
 * The queues' settings (`config`) must match what the namespace declares (infra/azure Bicep):
 * the broker enforces them, and callers read them to pace lock renewals and retries.
 */

import type { TokenCredential } from "@azure/core-auth";
import {
  type ServiceBusClient as Client,
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
  type ServiceBusSessionReceiver,
  type ServiceBusSessionReceiverOptions,
} from "@azure/service-bus";
import Long from "long";
import { encodeMessage } from "../../engine/ports/message-codec.js";
import {
  type AcceptOptions,
  type DeadLetter,
  type OutgoingMessage,
  type Queue,
  type QueueConfig,
  QueueError,
  type SessionReceiver,
} from "../../engine/ports/queue.js";
import { queueErrors } from "../../engine/ports/queue-errors.js";
import {
  checkMax,
  checkTimeout,
  DEFAULT_TIMEOUT_MS,
  idProblem,
  validateQueueConfig,
} from "../../engine/ports/queue-validation.js";
import { sdkCode, translate } from "./service-bus-errors.js";
import { AzureSessionReceiver, MIN_RECEIVE_WAIT_MS, toReceived } from "./service-bus-session.js";

export type ServiceBusConnection =
  /** A namespace connection string (Azure portal, or the emulator's). */
  | { connectionString: string }
  /** `<name>.servicebus.windows.net` (or just `<name>`) and a credential: no keys anywhere. */
  | { namespace: string; credential: TokenCredential };

export interface AzureQueueOptions {
  connection: ServiceBusConnection;
  /** The queues this adapter serves, with the settings the namespace gives them. */
  queues: Record<string, QueueConfig>;
  /**
   * How long one broker operation may take before it is retried or fails. The accept-next
   * wait is cut short by the port's `timeoutMs` as well. Default 60 s.
   */
  operationTimeoutMs?: number;
}

/**
 * Between the SDK's own retries of a failed call (its default is 30 s). A call that fails
 * should fail soon: the caller has its own way through an outage (a worker loop backs off and
 * reports the dependency down, the coordinator waits it out), and a worker whose bands were all
 * mid-send when the broker died stayed silent about it for the SDK's 30 s (a flaky chaos test).
 */
const RETRY_DELAY_MS = 1_000;

/** Messages per peek while counting a queue (the broker caps a peek's size anyway). */
const PEEK_PAGE = 250;

function createClient(
  connection: ServiceBusConnection,
  retryOptions: { timeoutInMs: number; maxRetries: number; retryDelayInMs: number },
): Client {
  const options = { retryOptions };
  if ("connectionString" in connection) return new ServiceBusClient(connection.connectionString, options);
  const host = connection.namespace.includes(".") ? connection.namespace : `${connection.namespace}.servicebus.windows.net`;
  return new ServiceBusClient(host, connection.credential, options);
}

export class AzureServiceBusQueue implements Queue {
  readonly config: Readonly<Record<string, QueueConfig>>;
  private readonly client: Client;
  private readonly senders = new Map<string, ServiceBusSender>();
  private readonly deadLetterReceivers = new Map<string, ServiceBusReceiver>();
  private readonly receivers = new Set<AzureSessionReceiver>();
  private deadLetterTurn: Promise<void> = Promise.resolve();
  /** The client's retry options, by reference: see acceptNext(). */
  private readonly retry: { timeoutInMs: number; maxRetries: number; retryDelayInMs: number };
  private closed = false;

  constructor(options: AzureQueueOptions) {
    this.config = validateQueueConfig(options.queues);
    this.retry = { timeoutInMs: options.operationTimeoutMs ?? DEFAULT_TIMEOUT_MS, maxRetries: 3, retryDelayInMs: RETRY_DELAY_MS };
    this.client = createClient(options.connection, this.retry);
  }

  async send(queue: string, messages: readonly OutgoingMessage[]): Promise<void> {
    this.open(queue);
    if (!Array.isArray(messages)) throw new TypeError("messages must be an array of { sessionId, body }");
    // Checked here, all before any is sent, with the same rules and messages as the embedded queue.
    const encoded = messages.map((message: OutgoingMessage, index) => encodeMessage(message, index));
    if (encoded.length === 0) return;
    const sender = this.sender(queue);
    const outgoing = encoded.map((m) => ({
      sessionId: m.sessionId,
      ...(m.messageId !== undefined && { messageId: m.messageId }),
      body: Buffer.from(m.json, "utf8"),
      contentType: "application/json",
      applicationProperties: { ...m.properties },
    }));
    // As few batches as fit. Each batch is one transfer that the broker takes whole or not at
    // all, in order; a send that needs several is not atomic across them. The coordinator's
    // sends (one band of tile messages, a few KB) always fit in one.
    const tooLarge = (index: number, limit: number) =>
      new QueueError(
        "QUEUE_MESSAGE_TOO_LARGE",
        `messages[${index}] does not fit in one Service Bus message (${limit} bytes with its AMQP headers); store the data in the BlobStore and send its name`,
      );
    await this.call(`send ${encoded.length} message(s) to "${queue}"`, async () => {
      let batch = await sender.createMessageBatch();
      for (const [index, message] of outgoing.entries()) {
        if (batch.tryAddMessage(message)) continue;
        if (batch.count === 0) throw tooLarge(index, batch.maxSizeInBytes);
        await sender.sendMessages(batch);
        batch = await sender.createMessageBatch();
        if (!batch.tryAddMessage(message)) throw tooLarge(index, batch.maxSizeInBytes);
      }
      if (batch.count > 0) await sender.sendMessages(batch);
    });
  }

  async acceptSession(queue: string, sessionId?: string, options?: AcceptOptions): Promise<SessionReceiver | null> {
    this.open(queue);
    const timeoutMs = checkTimeout(options?.timeoutMs, "options.timeoutMs");
    if (sessionId !== undefined) {
      const problem = idProblem(sessionId, "sessionId");
      if (problem !== null) throw new RangeError(problem);
    }
    const receiveOptions: ServiceBusSessionReceiverOptions = {
      receiveMode: "peekLock",
      maxAutoLockRenewalDurationInMs: 0,
      skipParsingBodyAsJson: true,
    };
    if (sessionId !== undefined) {
      const sdk = await this.call(`accept session "${sessionId}" of "${queue}"`, () =>
        this.client.acceptSession(queue, sessionId, receiveOptions),
      );
      return this.wrap(queue, sdk);
    }
    try {
      const sdk = await this.acceptNext(queue, receiveOptions, timeoutMs);
      return this.wrap(queue, sdk);
    } catch (error) {
      if (this.closed) throw queueErrors.closed();
      // The wait ran out, or another receiver won the session it was offered: none free.
      const code = sdkCode(error);
      if (code === "ServiceTimeout" || code === "SessionCannotBeLocked") return null;
      throw translate(error, `accept the next session of "${queue}"`);
    }
  }

  async receiveDeadLetters(queue: string, max: number): Promise<DeadLetter[]> {
    this.open(queue);
    const count = checkMax(max);
    let receiver = this.deadLetterReceivers.get(queue);
    if (receiver === undefined) {
      // Receive-and-delete: a dead letter is the gateway's to act on once; it is not worked on.
      receiver = this.client.createReceiver(queue, {
        subQueueType: "deadLetter",
        receiveMode: "receiveAndDelete",
        skipParsingBodyAsJson: true,
      });
      this.deadLetterReceivers.set(queue, receiver);
    }
    const dlq = receiver;
    // The SDK refuses (or worse, strands) a second receive on a receiver that is receiving:
    // callers that check dead letters concurrently take turns.
    const turn = this.deadLetterTurn.then(() =>
      this.call(`receive dead letters of "${queue}"`, () => dlq.receiveMessages(count, { maxWaitTimeInMs: MIN_RECEIVE_WAIT_MS })),
    );
    this.deadLetterTurn = turn.then(
      () => undefined,
      () => undefined,
    );
    const letters = await turn;
    return letters.map((m) => ({
      ...toReceived(m),
      // Unlike a session receive, a dead letter's count already includes every delivery.
      deliveryCount: m.deliveryCount ?? 0,
      deadLetterReason: m.deadLetterReason ?? "",
      deadLetterDescription: m.deadLetterErrorDescription ?? "",
    }));
  }

  /**
   * Counts by peeking (which sees locked messages too, as activeMessageCount does). Exact, and
   * it needs only the AMQP rights a worker has; for very deep queues prefer Azure Monitor's
   * ActiveMessages metric, which the autoscaler uses.
   */
  async depth(queue: string): Promise<{ active: number; deadLetter: number }> {
    this.open(queue);
    const [active, deadLetter] = await Promise.all([this.count(queue, false), this.count(queue, true)]);
    return { active, deadLetter };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([
      ...[...this.receivers].map((r) => r.close()),
      ...[...this.senders.values()].map((s) => s.close()),
      ...[...this.deadLetterReceivers.values()].map((r) => r.close()),
    ]);
    await this.client.close().catch(() => undefined);
  }

  /**
   * Accept-next, waiting at most `waitMs` for a session. The broker holds the request for the
   * wait the client names, and the SDK names its operation timeout (there is no per-call
   * wait, and an abort signal does not cut a pending attach short). The SDK reads that timeout
   * synchronously when the call starts and keeps a reference to the options for later calls,
   * so it is lowered for exactly this call and restored before anything else can run.
   */
  private acceptNext(queue: string, options: ServiceBusSessionReceiverOptions, waitMs: number) {
    const saved = this.retry.timeoutInMs;
    this.retry.timeoutInMs = Math.max(waitMs, MIN_RECEIVE_WAIT_MS);
    try {
      return this.client.acceptNextSession(queue, options);
    } finally {
      this.retry.timeoutInMs = saved;
    }
  }

  private async count(queue: string, deadLetter: boolean): Promise<number> {
    const peeker = this.client.createReceiver(queue, deadLetter ? { subQueueType: "deadLetter" } : {});
    try {
      let total = 0;
      // Always from an explicit sequence number: without one the SDK goes on from wherever the
      // last peek of this entity on this connection ended, which would skip what was counted.
      let from = Long.fromNumber(1);
      for (;;) {
        const page: ServiceBusReceivedMessage[] = await this.call(`count the messages of "${queue}"`, () =>
          peeker.peekMessages(PEEK_PAGE, { fromSequenceNumber: from }),
        );
        const last = page.at(-1);
        if (last?.sequenceNumber === undefined) return total;
        total += page.length;
        from = last.sequenceNumber.add(1);
      }
    } finally {
      await peeker.close().catch(() => undefined);
    }
  }

  private wrap(queue: string, sdk: ServiceBusSessionReceiver): AzureSessionReceiver {
    const receiver = new AzureSessionReceiver(
      queue,
      sdk,
      () => this.closed,
      (r) => this.receivers.delete(r),
    );
    this.receivers.add(receiver);
    return receiver;
  }

  private sender(queue: string): ServiceBusSender {
    let sender = this.senders.get(queue);
    if (sender === undefined) {
      sender = this.client.createSender(queue);
      this.senders.set(queue, sender);
    }
    return sender;
  }

  private open(queue: string): void {
    if (this.closed) throw queueErrors.closed();
    if (!Object.hasOwn(this.config, queue)) throw queueErrors.notFound(queue, Object.keys(this.config));
  }

  private async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (this.closed) throw queueErrors.closed();
      throw translate(error, what);
    }
  }
}
