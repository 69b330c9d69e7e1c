/**
 * A local Azure Service Bus emulator for the real `@azure/service-bus` SDK: AMQP 1.0 on
 * loopback (no TLS, SASL ANONYMOUS), `UseDevelopmentEmulator=true`. A protocol front-end
 * over the embedded session-queue semantics (MemoryQueue). Supports session queues only:
 * send (single messages and batches), session receivers, settlement and the session
 * `$management` operations; see session-link.ts and management.ts.
 */

import { createServer, type Server, type Socket } from "node:net";
import rhea from "rhea";
import { type QueueConfig, QueueError } from "../../../engine/ports/queue.js";
import { answerCbs } from "./cbs.js";
import { answerManagement } from "./management.js";
import { QueueStore } from "./queue-store.js";
import { ReplyLinks } from "./replies.js";
import type { AmqpMessage, EventContext, Sender } from "./rhea-types.js";
import { SessionLink } from "./session-link.js";

const BATCH_FORMAT = 0x80013700;
const MAX_MESSAGE_SIZE = 256 * 1024;

export const DEFAULT_EMULATOR_QUEUES: Record<string, QueueConfig> = {
  tiles: { lockDurationMs: 60_000, maxDeliveryCount: 10 },
  events: { lockDurationMs: 60_000, maxDeliveryCount: 10 },
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
  const sessionLinks = new WeakMap<object, SessionLink>();
  const linksByConnection = new Map<object, Set<SessionLink>>();
  // No auto-accept: a send is accepted only once the queue took it, and rejected otherwise.
  const container = rhea.create_container({ id: "tessera-service-bus-emulator", autoaccept: false });
  container.sasl_server_mechanisms.enable_anonymous();

  const track = (connection: object, link: SessionLink) => {
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

  container.on("receiver_open", (raw: unknown) => {
    const context = raw as EventContext;
    const receiver = context.receiver;
    if (receiver === undefined) return;
    receiver.local.attach.max_message_size = MAX_MESSAGE_SIZE;
    const address = receiver.remote.attach?.target?.address ?? "";
    if (address !== "$cbs" && !address.endsWith("/$management") && !store.has(address)) {
      receiver.close({ condition: "amqp:not-found", description: `The messaging entity '${address}' could not be found.` });
    }
  });

  container.on("sender_open", (raw: unknown) => {
    const context = raw as EventContext;
    const sender = context.sender as Sender | undefined;
    if (sender === undefined) return;
    const address = sender.remote.attach?.source?.address ?? "";
    if (address === "$cbs" || address.endsWith("/$management")) {
      replies.add(context.connection, sender);
      return;
    }
    if (!store.has(address)) {
      sender.close({ condition: "amqp:not-found", description: `The messaging entity '${address}' could not be found.` });
      return;
    }
    const link = new SessionLink(store, address, sender);
    sessionLinks.set(sender, link);
    track(context.connection, link);
    link.start();
  });

  container.on("sendable", (raw: unknown) => {
    const sender = (raw as EventContext).sender;
    if (sender !== undefined) sessionLinks.get(sender)?.pump();
  });
  container.on("sender_draining", (raw: unknown) => {
    const sender = (raw as EventContext).sender;
    if (sender !== undefined) sessionLinks.get(sender)?.pump();
  });
  container.on("sender_close", (raw: unknown) => {
    const sender = (raw as EventContext).sender;
    if (sender !== undefined) sessionLinks.get(sender)?.end();
  });

  container.on("accepted", (raw: unknown) => {
    const { sender, delivery } = raw as EventContext;
    if (sender && delivery) void sessionLinks.get(sender)?.settle(delivery, "complete");
  });
  container.on("released", (raw: unknown) => {
    const { sender, delivery } = raw as EventContext;
    if (sender && delivery) void sessionLinks.get(sender)?.settle(delivery, "abandon");
  });
  container.on("rejected", (raw: unknown) => {
    const { sender, delivery } = raw as EventContext;
    if (!sender || !delivery) return;
    const state = delivery.remote_state as { error?: { condition?: string; info?: Record<string, unknown> } } | undefined;
    const deadLetter = state?.error?.condition === "com.microsoft:dead-letter";
    void sessionLinks.get(sender)?.settle(delivery, deadLetter ? "deadLetter" : "abandon", state?.error?.info);
  });

  container.on("message", (raw: unknown) => {
    const context = raw as EventContext;
    const { receiver, message, delivery } = context;
    if (receiver === undefined || message === undefined) return;
    const address = receiver.remote.attach?.target?.address ?? "";
    if (address === "$cbs") {
      delivery?.accept();
      answerCbs(replies, context.connection, message);
    } else if (address.endsWith("/$management")) {
      delivery?.accept();
      void answerManagement(store, replies, context.connection, address.slice(0, -"/$management".length), message);
    } else {
      Promise.resolve()
        .then(() => store.send(address, unbatch(message, delivery?.format)))
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
