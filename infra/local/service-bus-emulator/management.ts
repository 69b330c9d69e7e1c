/**
 * `<queue>/$management` and `<queue>/$DeadLetterQueue/$management` requests: peek-message
 * (both; see peek.ts), the session receiver's renew-session-lock, get-session-state and
 * set-session-state, and by lock token renew-lock and update-disposition (message-locks.ts).
 * Replies carry `statusCode` 2xx on success, else a status and an `errorCondition` the SDK
 * maps to its error codes. Session state is binary in AMQP; MemoryQueue keeps it as base64.
 */

import { QueueError } from "../../../engine/ports/queue.js";
import type { SubQueue } from "./addresses.js";
import { renewLock, updateDisposition } from "./message-locks.js";
import { peek } from "./peek.js";
import type { QueueStore } from "./queue-store.js";
import type { ReplyLinks } from "./replies.js";
import type { AmqpMessage } from "./rhea-types.js";

/** The entity a `$management` link belongs to. */
export interface ManagementTarget {
  queue: string;
  subQueue: SubQueue;
}

const SESSION_OPERATIONS = new Set([
  "com.microsoft:renew-session-lock",
  "com.microsoft:get-session-state",
  "com.microsoft:set-session-state",
]);
/** Operations that fail with a message lock (not a session lock) when their token is gone. */
const MESSAGE_LOCK_OPERATIONS = new Set(["com.microsoft:renew-lock", "com.microsoft:update-disposition"]);

function status(code: number, description: string, body?: unknown): AmqpMessage {
  const reply: AmqpMessage = {
    application_properties: { statusCode: code, statusDescription: description },
  };
  if (body !== undefined) reply.body = body;
  return reply;
}

function failure(code: number, condition: string, description: string): AmqpMessage {
  return { application_properties: { statusCode: code, statusDescription: description, errorCondition: condition } };
}

async function handleSession(
  store: QueueStore,
  queue: string,
  operation: string,
  body: Record<string, unknown>,
): Promise<AmqpMessage> {
  const sessionId = String(body["session-id"] ?? "");
  const receiver = store.holder(queue, sessionId);
  if (receiver === undefined) {
    return failure(410, "com.microsoft:session-lock-lost", `The session lock for '${sessionId}' is not held.`);
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
    default: {
      const state = body["session-state"];
      await receiver.setState(Buffer.isBuffer(state) ? state.toString("base64") : null);
      return status(200, "OK", {});
    }
  }
}

async function handle(store: QueueStore, target: ManagementTarget, request: AmqpMessage): Promise<AmqpMessage> {
  const operation = String(request.application_properties?.operation ?? "");
  const body = (request.body ?? {}) as Record<string, unknown>;
  if (operation === "com.microsoft:peek-message") {
    const result = await peek(store, target.queue, target.subQueue, body);
    return result.status === 204 ? status(204, "No Content") : status(200, "OK", result.body);
  }
  // Everything else is about locks, and nothing in the dead-letter queue is ever locked here.
  const active = target.subQueue === "active";
  if (active && SESSION_OPERATIONS.has(operation)) return handleSession(store, target.queue, operation, body);
  if (active && operation === "com.microsoft:renew-lock") return status(200, "OK", renewLock(store, body));
  if (active && operation === "com.microsoft:update-disposition") {
    await updateDisposition(store, body);
    return status(200, "OK", {});
  }
  return failure(501, "amqp:not-implemented", `operation ${operation} is not implemented by the emulator`);
}

export async function answerManagement(
  store: QueueStore,
  replies: ReplyLinks,
  connection: object,
  target: ManagementTarget,
  request: AmqpMessage,
): Promise<void> {
  let reply: AmqpMessage;
  try {
    reply = await handle(store, target, request);
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof QueueError && error.code === "QUEUE_LOCK_LOST") {
      const operation = String(request.application_properties?.operation ?? "");
      const condition = MESSAGE_LOCK_OPERATIONS.has(operation)
        ? "com.microsoft:message-lock-lost"
        : "com.microsoft:session-lock-lost";
      reply = failure(410, condition, message);
    } else if (error instanceof QueueError && error.code === "QUEUE_NOT_FOUND") {
      reply = failure(404, "amqp:not-found", message);
    } else if (error instanceof RangeError || error instanceof TypeError) {
      reply = failure(400, "com.microsoft:argument-out-of-range", message);
    } else {
      reply = failure(500, "amqp:internal-error", message);
    }
  }
  replies.reply(connection, request, reply);
}
