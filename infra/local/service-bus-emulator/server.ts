/**
 * A local Azure Service Bus emulator for the real `@azure/service-bus` SDK: AMQP 1.0 on
 * loopback (no TLS, SASL ANONYMOUS), `UseDevelopmentEmulator=true`. A protocol front-end
 * over the embedded session-queue semantics (MemoryQueue). Every queue is session-enabled.
 * Supported:
 * - send, single messages and batches; a message without a message id gets a GUID one;
 * - session receivers (peek-lock), settlement on the link, and `$management`
 *   renew-session-lock, get/set-session-state, and by lock token renew-lock (answers the
 *   session lock's expiry) and update-disposition (session-link.ts, management.ts);
 * - dead-letter queue receivers (`<queue>/$DeadLetterQueue`), receiveAndDelete only
 *   (dead-letter-link.ts);
 * - `$management` peek-message on the queue and on its dead-letter queue, across sessions
 *   or of one session (peek.ts).
 * Not supported: non-session receivers on a queue, peek-lock on the dead-letter queue,
 * deferral, scheduling, topics, transactions.
 * In this process use startServiceBusEmulator(); as its own OS process, main.ts (run from the
 * build) and startServiceBusEmulatorProcess() in process.ts.
 */

import { createServer, type Server, type Socket } from "node:net";
import rhea from "rhea";
import { DEFAULTS } from "../../../engine/defaults.js";
import { type QueueConfig, QueueError } from "../../../engine/ports/queue.js";
import { parseAddress } from "./addresses.js";
import { answerCbs } from "./cbs.js";
import { DeadLetterLink } from "./dead-letter-link.js";
import { answerManagement } from "./management.js";
import { QueueStore } from "./queue-store.js";
import { ReplyLinks } from "./replies.js";
import type { AmqpMessage, EventContext, Link, Sender } from "./rhea-types.js";
import { SESSION_FILTER, SessionLink } from "./session-link.js";

const BATCH_FORMAT = 0x80013700;
const MAX_MESSAGE_SIZE = 256 * 1024;

export const DEFAULT_EMULATOR_QUEUES: Record<string, QueueConfig> = {
  tiles: DEFAULTS.queue,
  events: DEFAULTS.queue,
};

export interface ServiceBusEmulatorOptions {
  /** Queues (all session-enabled). Default: `tiles` and `events`. */
  queues?: Record<string, QueueConfig>;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface ServiceBusEmulator {
  readonly port: number;
  readonly connectionString: string;
  readonly store: QueueStore;
  stop(): Promise<void>;
}

/**
 * The messages of one transfer. rhea hands a non-zero message format over raw; a batch's
 * data sections each hold one encoded message.
 */
function unbatch(message: AmqpMessage | Buffer, format: number | undefined): AmqpMessage[] {
  if (!Buffer.isBuffer(message)) return [message];
  if (format !== BATCH_FORMAT) throw new Error(`unsupported message format ${format}`);
  const outer = rhea.message.decode(message) as unknown as AmqpMessage;
  const body = outer.body as { content?: Buffer | Buffer[] } | undefined;
  const content = body?.content;
  const parts = Array.isArray(content) ? content : content === undefined ? [] : [content];
  return parts.map((part) => rhea.message.decode(part) as unknown as AmqpMessage);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

export async function startServiceBusEmulator(options: ServiceBusEmulatorOptions = {}): Promise<ServiceBusEmulator> {
  const store = new QueueStore(options.queues ?? DEFAULT_EMULATOR_QUEUES);
  const replies = new ReplyLinks();
  /** The emulator's sender links serving the client's receivers, by rhea link. */
  const served = new WeakMap<object, SessionLink | DeadLetterLink>();
  const linksByConnection = new Map<object, Set<SessionLink | DeadLetterLink>>();
  // No auto-accept: a send is accepted only once the queue took it, and rejected otherwise.
  const container = rhea.create_container({ id: "tessera-service-bus-emulator", autoaccept: false });
  container.sasl_server_mechanisms.enable_anonymous();

  const track = (connection: object, sender: Sender, link: SessionLink | DeadLetterLink) => {
    served.set(sender, link);
    let set = linksByConnection.get(connection);
    if (set === undefined) {
      set = new Set();
      linksByConnection.set(connection, set);
    }
    set.add(link);
  };
  const dropConnection = (connection: object) => {
    for (const link of linksByConnection.get(connection) ?? []) link.end();
    linksByConnection.delete(connection);
  };
  const notFound = (link: Link, address: string) =>
    link.close({ condition: "amqp:not-found", description: `The messaging entity '${address}' could not be found.` });

  // The client's senders: to a queue, to `$cbs` or to a `$management` node.
  container.on("receiver_open", (raw: unknown) => {
    const context = raw as EventContext;
    const receiver = context.receiver;
    if (receiver === undefined) return;
    receiver.local.attach.max_message_size = MAX_MESSAGE_SIZE;
    const address = receiver.remote.attach?.target?.address ?? "";
    const parsed = parseAddress(address);
    if (parsed.kind === "cbs") return;
    if (parsed.kind === "unknown" || !store.has(parsed.queue)) {
      notFound(receiver, address);
    } else if (!parsed.management && parsed.subQueue === "deadLetter") {
      receiver.close({ condition: "amqp:not-allowed", description: "A dead-letter queue cannot be sent to." });
    }
  });

  // The client's receivers: from a queue (a session), a dead-letter queue, or reply links.
  container.on("sender_open", (raw: unknown) => {
    const context = raw as EventContext;
    const sender = context.sender as Sender | undefined;
    if (sender === undefined) return;
    const address = sender.remote.attach?.source?.address ?? "";
    const parsed = parseAddress(address);
    if (parsed.kind === "cbs" || (parsed.kind === "entity" && parsed.management)) {
      replies.add(context.connection, sender);
      return;
    }
    if (parsed.kind === "unknown" || !store.has(parsed.queue)) {
      notFound(sender, address);
      return;
    }
    if (parsed.subQueue === "deadLetter") {
      const link = new DeadLetterLink(store, parsed.queue, sender);
      track(context.connection, sender, link);
      link.start();
      return;
    }
    // A session receiver always sends the session filter (null for "the next free session").
    if (!Object.hasOwn(sender.remote.attach?.source?.filter ?? {}, SESSION_FILTER)) {
      sender.close({
        condition: "amqp:not-allowed",
        description: `It is not possible for an entity that requires sessions to create a non-sessionful message receiver: accept a session of '${address}' instead.`,
      });
      return;
    }
    const link = new SessionLink(store, parsed.queue, sender);
    track(context.connection, sender, link);
    link.start();
  });

  const pump = (raw: unknown) => {
    const sender = (raw as EventContext).sender;
    if (sender !== undefined) served.get(sender)?.pump();
  };
  container.on("sendable", pump);
  container.on("sender_draining", pump);
  container.on("sender_close", (raw: unknown) => {
    const sender = (raw as EventContext).sender;
    if (sender !== undefined) served.get(sender)?.end();
  });

  // Settlements of peek-locked deliveries (dead letters go out pre-settled: none come back).
  const sessionLink = (sender: object | undefined) => {
    const link = sender === undefined ? undefined : served.get(sender);
    return link instanceof SessionLink ? link : undefined;
  };
  container.on("accepted", (raw: unknown) => {
    const { sender, delivery } = raw as EventContext;
    if (delivery) void sessionLink(sender)?.settle(delivery, "complete");
  });
  container.on("released", (raw: unknown) => {
    const { sender, delivery } = raw as EventContext;
    if (delivery) void sessionLink(sender)?.settle(delivery, "abandon");
  });
  container.on("rejected", (raw: unknown) => {
    const { sender, delivery } = raw as EventContext;
    if (!delivery) return;
    const state = delivery.remote_state as { error?: { condition?: string; info?: Record<string, unknown> } } | undefined;
    const deadLetter = state?.error?.condition === "com.microsoft:dead-letter";
    void sessionLink(sender)?.settle(delivery, deadLetter ? "deadLetter" : "abandon", state?.error?.info);
  });

  container.on("message", (raw: unknown) => {
    const context = raw as EventContext;
    const { receiver, message, delivery } = context;
    if (receiver === undefined || message === undefined) return;
    const parsed = parseAddress(receiver.remote.attach?.target?.address ?? "");
    if (parsed.kind === "cbs") {
      delivery?.accept();
      answerCbs(replies, context.connection, message);
    } else if (parsed.kind === "entity" && parsed.management) {
      delivery?.accept();
      void answerManagement(store, replies, context.connection, parsed, message);
    } else if (parsed.kind === "entity") {
      Promise.resolve()
        .then(() => store.send(parsed.queue, unbatch(message, delivery?.format)))
        .then(
          () => delivery?.accept(),
          (error: Error) =>
            delivery?.reject({
              condition: error instanceof QueueError ? "amqp:invalid-field" : "amqp:internal-error",
              description: error.message,
            }),
        );
    }
  });

  container.on("disconnected", (raw: unknown) => dropConnection((raw as EventContext).connection));
  container.on("connection_close", (raw: unknown) => dropConnection((raw as EventContext).connection));
  container.on("error", () => {
    /* a client went away mid-frame: its connection is dropped above */
  });

  // One port on both loopback addresses: `localhost` may resolve to ::1 or 127.0.0.1.
  const sockets = new Set<Socket>();
  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    (container as unknown as { create_connection(o: object): { accept(s: Socket): void } }).create_connection({}).accept(socket);
  };
  const v4 = createServer(accept);
  const port = await listen(v4, options.port ?? 0, "127.0.0.1");
  const v6 = createServer(accept);
  let v6Up = true;
  await listen(v6, port, "::1").catch(() => {
    v6Up = false;
  });

  return {
    port,
    store,
    connectionString: `Endpoint=sb://localhost:${port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true`,
    async stop() {
      for (const connection of [...linksByConnection.keys()]) dropConnection(connection);
      for (const socket of sockets) socket.destroy();
      const closing = [new Promise<void>((r) => v4.close(() => r()))];
      if (v6Up) closing.push(new Promise<void>((r) => v6.close(() => r())));
      await Promise.all(closing);
      await store.close();
    },
  };
}
