/**
 * `<queue>/$management` requests the SDK's session receiver sends: renew-session-lock,
 * get-session-state and set-session-state. Replies carry `statusCode` 200 on success.
 * Session state is binary in AMQP; MemoryQueue keeps it as a base64 string.
 */

import { QueueError } from "../../../engine/ports/queue.js";
import type { QueueStore } from "./queue-store.js";
import type { ReplyLinks } from "./replies.js";
import type { AmqpMessage } from "./rhea-types.js";

function status(code: number, description: string, body?: unknown): AmqpMessage {
  const reply: AmqpMessage = {
    application_properties: { statusCode: code, statusDescription: description },
  };
  if (body !== undefined) reply.body = body;
  return reply;
}

async function handle(store: QueueStore, queue: string, request: AmqpMessage): Promise<AmqpMessage> {
  const operation = String(request.application_properties?.operation ?? "");
  const body = (request.body ?? {}) as Record<string, unknown>;
  const sessionId = String(body["session-id"] ?? "");
  const receiver = store.holder(queue, sessionId);
  if (receiver === undefined) {
    return {
      application_properties: {
        statusCode: 410,
        statusDescription: `The session lock for '${sessionId}' is not held.`,
        errorCondition: "com.microsoft:session-lock-lost",
      },
    };
  }
  switch (operation) {
    case "com.microsoft:renew-session-lock": {
      const until = await receiver.renewLock();
      return status(200, "OK", { expiration: new Date(until) });
    }
    case "com.microsoft:get-session-state": {
      const state = await receiver.getState();
      const bytes = typeof state === "string" ? Buffer.from(state, "base64") : null;
      return status(200, "OK", { "session-state": bytes });
    }
    case "com.microsoft:set-session-state": {
      const state = body["session-state"];
      await receiver.setState(Buffer.isBuffer(state) ? state.toString("base64") : null);
      return status(200, "OK", {});
    }
    default:
      return status(501, `operation ${operation} is not implemented by the emulator`);
  }
}

export async function answerManagement(
  store: QueueStore,
  replies: ReplyLinks,
  connection: object,
  queue: string,
  request: AmqpMessage,
): Promise<void> {
  let reply: AmqpMessage;
  try {
    reply = await handle(store, queue, request);
  } catch (error) {
    const lost = error instanceof QueueError && error.code === "QUEUE_LOCK_LOST";
    reply = {
      application_properties: {
        statusCode: lost ? 410 : 500,
        statusDescription: (error as Error).message,
        errorCondition: lost ? "com.microsoft:session-lock-lost" : "amqp:internal-error",
      },
    };
  }
  replies.reply(connection, request, reply);
}
