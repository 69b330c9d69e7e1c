import { MAX_MESSAGE_BYTES, QueueError } from "./queue.js";

const q = (name: string) => JSON.stringify(name);

/**
 * Every QueueError the embedded adapter raises, in one table (as piscina's src/errors.ts),
 * so the sentences stay consistent and each names the caller's next step.
 */
export const queueErrors = {
  notFound: (queue: string, known: readonly string[]) =>
    new QueueError(
      "QUEUE_NOT_FOUND",
      `queue ${q(queue)} is not configured (configured: ${known.map(q).join(", ")}); add it to the adapter's config`,
    ),
  closed: () => new QueueError("QUEUE_CLOSED", "the queue adapter was closed; create a new one"),
  sessionLocked: (queue: string, sessionId: string) =>
    new QueueError(
      "QUEUE_SESSION_LOCKED",
      `session ${q(sessionId)} of queue ${q(queue)} is locked by another receiver; accept another session or try again later`,
    ),
  lockExpired: (queue: string, sessionId: string) =>
    new QueueError(
      "QUEUE_LOCK_LOST",
      `the lock on session ${q(sessionId)} of queue ${q(queue)} expired; drop the work in hand (its unsettled messages will be redelivered) and accept a session again`,
    ),
  lockReleased: (queue: string, sessionId: string) =>
    new QueueError(
      "QUEUE_LOCK_LOST",
      `session ${q(sessionId)} of queue ${q(queue)} was released by close(); accept it again to go on`,
    ),
  notHeld: (queue: string, sessionId: string, sequenceNumber: unknown) =>
    new QueueError(
      "QUEUE_LOCK_LOST",
      `message ${String(sequenceNumber)} is not held by this receiver of session ${q(sessionId)} of queue ${q(queue)}: it was already settled, or received under a lock since lost; drop it`,
    ),
  messageTooLarge: (where: string, bytes: number) =>
    new QueueError(
      "QUEUE_MESSAGE_TOO_LARGE",
      `${where} is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte (256 KB) limit of Service Bus Standard; store the data in the BlobStore and send its name`,
    ),
  stateTooLarge: (bytes: number) =>
    new QueueError(
      "QUEUE_MESSAGE_TOO_LARGE",
      `session state is ${bytes} bytes as JSON, over the ${MAX_MESSAGE_BYTES}-byte (256 KB) limit; keep a checkpoint small and store bulk data in the BlobStore`,
    ),
  invalidMessage: (why: string) => new QueueError("QUEUE_INVALID_MESSAGE", why),
};
