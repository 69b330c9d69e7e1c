/**
 * Service Bus SDK errors as the Queue port's QueueErrors. The SDK names its failures by
 * `code` (ServiceBusError) or, for AMQP-level failures, by `name`/`condition`; everything a
 * caller cannot act on differently becomes QUEUE_UNAVAILABLE ("retry with backoff").
 */

import { QueueError, type QueueErrorCode } from "../../engine/ports/queue.js";

const BY_CODE: Record<string, QueueErrorCode> = {
  SessionLockLost: "QUEUE_LOCK_LOST",
  MessageLockLost: "QUEUE_LOCK_LOST",
  SessionCannotBeLocked: "QUEUE_SESSION_LOCKED",
  MessagingEntityNotFound: "QUEUE_NOT_FOUND",
  MessageSizeExceeded: "QUEUE_MESSAGE_TOO_LARGE",
};

/** The SDK's reason code of an error, whichever shape it came in. */
export function sdkCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === "string") return code;
  return typeof name === "string" ? name : undefined;
}

/** Wraps an SDK failure; `what` says which operation failed, for the message. */
export function translate(error: unknown, what: string): QueueError {
  if (error instanceof QueueError) return error;
  const code = sdkCode(error);
  const mapped: QueueErrorCode = (code !== undefined ? BY_CODE[code] : undefined) ?? "QUEUE_UNAVAILABLE";
  const detail = error instanceof Error ? error.message : String(error);
  const advice = mapped === "QUEUE_UNAVAILABLE" ? "; the broker could not be reached or failed, retry with backoff" : "";
  return new QueueError(mapped, `${what} failed (${code ?? "error"}): ${detail}${advice}`, { cause: error });
}
