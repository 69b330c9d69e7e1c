import { describe, expect, it } from "vitest";
import { MemoryQueue } from "../../infra/memory/memory-queue.js";
import { runQueueContract } from "../contract/queue.contract.js";
import { ManualClock } from "../helpers/manual-clock.js";

const LOCK_MS = 10_000;
const MAX_DELIVERIES = 3;

runQueueContract("MemoryQueue", async () => {
  const clock = new ManualClock();
  const settings = { lockDurationMs: LOCK_MS, maxDeliveryCount: MAX_DELIVERIES };
  const queue = new MemoryQueue({ tiles: settings, events: settings }, { clock });
  return {
    queue,
    advance: (ms) => clock.advance(ms),
    lockDurationMs: LOCK_MS,
    maxDeliveryCount: MAX_DELIVERIES,
    async close() {
      await queue.close();
      // Closing cancels every timer: nothing is left to keep a process alive.
      expect(clock.pending).toBe(0);
    },
  };
});

const valid = { lockDurationMs: 1000, maxDeliveryCount: 3 };

function configError(config: unknown, options?: unknown): unknown {
  try {
    new MemoryQueue(config as never, options as never);
  } catch (error) {
    return error;
  }
  throw new Error("expected the constructor to throw");
}

describe("MemoryQueue configuration", () => {
  it.each([
    [null, TypeError, "config must be an object mapping queue names to { lockDurationMs, maxDeliveryCount }"],
    [[], TypeError, "config must be an object mapping queue names to { lockDurationMs, maxDeliveryCount }"],
    [
      {},
      RangeError,
      "config must name at least one queue, for example { tiles: { lockDurationMs: 60000, maxDeliveryCount: 10 } }",
    ],
    [{ tiles: 5 }, TypeError, "config.tiles must be an object with lockDurationMs and maxDeliveryCount"],
    [{ tiles: { maxDeliveryCount: 3 } }, TypeError, "config.tiles.lockDurationMs must be a positive integer"],
    [{ tiles: { ...valid, lockDurationMs: "1000" } }, TypeError, "config.tiles.lockDurationMs must be a positive integer"],
    [{ tiles: { ...valid, lockDurationMs: 0 } }, RangeError, "config.tiles.lockDurationMs must be a positive integer"],
    [{ tiles: { ...valid, lockDurationMs: 1.5 } }, RangeError, "config.tiles.lockDurationMs must be a positive integer"],
    [{ tiles: { ...valid, maxDeliveryCount: -1 } }, RangeError, "config.tiles.maxDeliveryCount must be a positive integer"],
    [
      { tiles: valid, events: { ...valid, maxDeliveryCount: Number.NaN } },
      RangeError,
      "config.events.maxDeliveryCount must be a positive integer",
    ],
    [
      { tiles: { ...valid, lockDuration: 5 } },
      RangeError,
      "config.tiles.lockDuration is not a queue setting; expected lockDurationMs and maxDeliveryCount",
    ],
    [
      { "-tiles": valid },
      RangeError,
      `config["-tiles"] is not a valid queue name: use letters, digits, '.', '-', '_' or '/', starting and ending with a letter or digit, at most 260 characters`,
    ],
  ])("refuses %j", (config, type, message) => {
    const error = configError(config);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toBe(message);
  });

  it("refuses a clock without now() and schedule()", () => {
    const error = configError({ tiles: valid }, { clock: { now: () => 0 } });
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("options.clock must implement now() and schedule(ms, fn), like systemClock");
  });

  it("keeps a frozen copy of its configuration", () => {
    const config = { tiles: { ...valid } };
    const queue = new MemoryQueue(config);
    config.tiles.lockDurationMs = 5;
    expect(queue.config).toEqual({ tiles: valid });
    expect(Object.isFrozen(queue.config)).toBe(true);
    expect(Object.isFrozen(queue.config.tiles)).toBe(true);
  });
});

describe("MemoryQueue arguments", () => {
  const queue = new MemoryQueue({ tiles: valid }, { clock: new ManualClock() });

  it("rejects (never throws) with messages that name the argument", async () => {
    const pending = queue.acceptSession("tiles", "", {});
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toThrow(new RangeError("sessionId must be a string of 1 to 128 characters, got 0 characters"));
    await expect(queue.acceptSession("tiles", undefined, { timeoutMs: -1 })).rejects.toThrow(
      new RangeError("options.timeoutMs must be a non-negative number of milliseconds, got -1"),
    );
    await expect(queue.receiveDeadLetters("tiles", 0)).rejects.toThrow(new RangeError("max must be a positive integer, got 0"));
    const receiver = await queue.acceptSession("tiles", "s");
    await expect(receiver?.receive(1.5)).rejects.toThrow(new RangeError("max must be a positive integer, got 1.5"));
    await expect(receiver?.deadLetter({} as never, 1 as never, "x")).rejects.toThrow(TypeError);
    await receiver?.close();
  });

  it.each([
    [{ body: 1 }, "messages[0].sessionId must be a string of 1 to 128 characters, got undefined"],
    [
      { sessionId: "s".repeat(129), body: 1 },
      "messages[0].sessionId must be a string of 1 to 128 characters, got 129 characters",
    ],
    [
      { sessionId: "s", messageId: "", body: 1 },
      "messages[0].messageId must be a string of 1 to 128 characters, got 0 characters",
    ],
    [
      { sessionId: "s", body: undefined },
      "messages[0].body must be a JSON value (string, number, boolean, null, array or object), got undefined",
    ],
    [{ sessionId: "s", body: 1n }, "messages[0].body is not JSON-serialisable: Do not know how to serialize a BigInt"],
    [{ sessionId: "s", body: 1, properties: { tile: 3 } }, "messages[0].properties.tile must be a string, got number"],
  ])("refuses the message %o with QUEUE_INVALID_MESSAGE", async (message, text) => {
    await expect(queue.send("tiles", [message as never])).rejects.toMatchObject({ code: "QUEUE_INVALID_MESSAGE", message: text });
  });

  it("measures size as Service Bus does: ids, properties and the JSON body, in UTF-8 bytes", async () => {
    // "s" (1 byte) + JSON quotes (2) + the text: exactly 262 144 bytes fits, one more does not.
    await queue.send("tiles", [{ sessionId: "s", body: "a".repeat(262_141) }]);
    await expect(queue.send("tiles", [{ sessionId: "s", body: "é".repeat(131_071) }])).rejects.toMatchObject({
      code: "QUEUE_MESSAGE_TOO_LARGE",
      message:
        "messages[0] is 262145 bytes, over the 262144-byte (256 KB) limit of Service Bus Standard; store the data in the BlobStore and send its name",
    });
    await expect(
      queue.send("tiles", [{ sessionId: "s", body: "a".repeat(262_000), properties: { pad: "p".repeat(200) } }]),
    ).rejects.toMatchObject({ code: "QUEUE_MESSAGE_TOO_LARGE" });
  });

  it("names the configured queues when one is unknown", async () => {
    await expect(queue.depth("tile")).rejects.toMatchObject({
      code: "QUEUE_NOT_FOUND",
      message: `queue "tile" is not configured (configured: "tiles"); add it to the adapter's config`,
    });
  });
});

describe("MemoryQueue close", () => {
  it("rejects pending waits with QUEUE_CLOSED, then every call; receivers close quietly", async () => {
    const clock = new ManualClock();
    const queue = new MemoryQueue({ tiles: valid }, { clock });
    const acceptor = queue.acceptSession("tiles", undefined, { timeoutMs: 5000 });
    const receiver = await queue.acceptSession("tiles", "held");
    if (receiver === null) throw new Error("expected a receiver");
    const receiving = receiver.receive(1, { timeoutMs: 5000 });
    await queue.close();
    const closed = { name: "QueueError", code: "QUEUE_CLOSED", message: "the queue adapter was closed; create a new one" };
    await expect(acceptor).rejects.toMatchObject(closed);
    await expect(receiving).rejects.toMatchObject(closed);
    await expect(queue.send("tiles", [{ sessionId: "s", body: 1 }])).rejects.toMatchObject(closed);
    await expect(queue.acceptSession("tiles")).rejects.toMatchObject(closed);
    await expect(queue.depth("tiles")).rejects.toMatchObject(closed);
    await expect(queue.receiveDeadLetters("tiles", 1)).rejects.toMatchObject(closed);
    await expect(receiver.receive(1)).rejects.toMatchObject(closed);
    await expect(receiver.renewLock()).rejects.toMatchObject(closed);
    await expect(receiver.getState()).rejects.toMatchObject(closed);
    await expect(receiver.close()).resolves.toBeUndefined();
    await expect(queue.close()).resolves.toBeUndefined();
    expect(clock.pending).toBe(0);
  });
});
