// Ports that fail on demand, as a broker or a storage account that went away would: every call
// rejects with the port's "unavailable" error while `down()` holds, and goes through otherwise.

import { BlobError, type BlobStore } from "../../engine/ports/blob-store.js";
import { type Queue, QueueError, type SessionReceiver } from "../../engine/ports/queue.js";

/** Every method of `target` rejects with `error()` while `down()`; what it returns is passed to `wrap`. */
export function failing<T extends object>(
  target: T,
  down: () => boolean,
  error: (what: string) => Error,
  wrap = (v: unknown) => v,
): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object);
      if (typeof value !== "function" || property === "close") return value;
      return (...args: unknown[]) =>
        down()
          ? Promise.reject(error(String(property)))
          : Promise.resolve(value.apply(object, args)).then((result: unknown) => wrap(result));
    },
  });
}

/** The worker's view of the queue: a broker that refuses every call while `down()`, its held sessions included. */
export function brokerView(queue: Queue, down: () => boolean): Queue {
  const refused = (what: string) => new QueueError("QUEUE_UNAVAILABLE", `${what} failed: connect ECONNREFUSED (test outage)`);
  return failing(queue, down, refused, (result) =>
    result !== null && typeof result === "object" && "sessionId" in result
      ? failing(result as SessionReceiver, down, refused)
      : result,
  );
}

export function storageView(blobs: BlobStore, down: () => boolean): BlobStore {
  return failing(
    blobs,
    down,
    (what) => new BlobError("BLOB_UNAVAILABLE", `could not ${what}: connect ECONNREFUSED (test outage)`),
  );
}
