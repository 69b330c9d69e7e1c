import { describe, expect, it } from "vitest";
import type { ReceivedMessage, SessionReceiver } from "../../engine/ports/queue.js";
import { MemoryQueue } from "../../infra/memory/memory-queue.js";
import { ManualClock } from "../helpers/manual-clock.js";

const LOCK_MS = 1000;

function setup(maxDeliveryCount = 3) {
  const clock = new ManualClock();
  const queue = new MemoryQueue({ tiles: { lockDurationMs: LOCK_MS, maxDeliveryCount } }, { clock });
  const send = (sessionId: string, ...bodies: string[]) =>
    queue.send(
      "tiles",
      bodies.map((body) => ({ sessionId, body })),
    );
  const accept = async (sessionId: string): Promise<SessionReceiver> => {
    const receiver = await queue.acceptSession("tiles", sessionId);
    if (receiver === null) throw new Error("no session");
    return receiver;
  };
  /** peek() and peekDeadLetters() counts, from the start: what depth() must report. */
  const peekedDepth = async () => ({
    active: (await queue.peek("tiles", 0, 1_000)).length,
    deadLetter: (await queue.peekDeadLetters("tiles", 0, 1_000)).length,
  });
  return { clock, queue, send, accept, peekedDepth };
}

const view = (messages: readonly ReceivedMessage[]) => messages.map((m) => [m.body, m.sequenceNumber, m.deliveryCount]);

describe("MemoryQueue.peek", () => {
  it("shows waiting and received-unsettled messages of every session in sequence order, not completed or dead-lettered ones", async () => {
    const { queue, send, accept } = setup();
    await send("a", "a1", "a2");
    await send("b", "b1");
    await send("a", "a3");
    await send("c", "c1");
    const a = await accept("a");
    const [a1, a2] = await a.receive(2);
    if (a1 === undefined || a2 === undefined) throw new Error("no messages");
    await a.complete(a1);
    const c = await accept("c");
    const [c1] = await c.receive(1);
    if (c1 === undefined) throw new Error("no message");
    await c.deadLetter(c1, "Bad", "bad tile");
    // a2 is received and unsettled (one delivery so far); the others were never received.
    expect(view(await queue.peek("tiles", 0, 10))).toEqual([
      ["a2", 2, 1],
      ["b1", 3, 0],
      ["a3", 4, 0],
    ]);
    await queue.close();
  });

  it("starts at fromSequenceNumber, returns at most max, and filters by session", async () => {
    const { queue, send } = setup();
    await send("a", "a1", "a2", "a3");
    await send("b", "b1", "b2");
    expect(view(await queue.peek("tiles", 3, 2))).toEqual([
      ["a3", 3, 0],
      ["b1", 4, 0],
    ]);
    expect(await queue.peek("tiles", 6, 10)).toEqual([]);
    expect((await queue.peek("tiles", 2, 10, { sessionId: "b" })).map((m) => m.body)).toEqual(["b1", "b2"]);
    expect(await queue.peek("tiles", 0, 10, { sessionId: "nobody" })).toEqual([]);
    await queue.close();
  });

  it("changes nothing: no delivery, no lock, and the peeked copy is the caller's", async () => {
    const { queue, send, accept } = setup();
    await send("a", "a1");
    const [peeked] = await queue.peek("tiles", 0, 1);
    expect(peeked).toMatchObject({ sessionId: "a", body: "a1", deliveryCount: 0 });
    (peeked?.properties as Record<string, string>).changed = "yes";
    await expect(queue.depth("tiles")).resolves.toEqual({ active: 1, deadLetter: 0 });
    const a = await accept("a");
    const [received] = await a.receive(1);
    expect(received).toMatchObject({ body: "a1", deliveryCount: 1, properties: {}, messageId: peeked?.messageId });
    await queue.close();
  });

  it("adds up to depth() however messages move", async () => {
    const { clock, queue, send, accept, peekedDepth } = setup(2);
    const check = async () => expect(await peekedDepth()).toEqual(await queue.depth("tiles"));
    await send("a", "a1", "a2");
    await send("b", "b1");
    await check();
    const a = await accept("a");
    const [a1] = await a.receive(1);
    if (a1 === undefined) throw new Error("no message");
    await check();
    await a.abandon(a1);
    await check();
    await a.receive(2);
    await check();
    // The lock expires with both messages in hand: a1 has had its 2 deliveries and goes to
    // the dead letters, a2 comes back.
    await clock.advance(LOCK_MS);
    expect(await peekedDepth()).toEqual({ active: 2, deadLetter: 1 });
    await check();
    await queue.receiveDeadLetters("tiles", 1);
    await check();
    await queue.close();
  });
});

describe("MemoryQueue.peekDeadLetters", () => {
  it("shows dead letters in sequence order from fromSequenceNumber, without taking them", async () => {
    const { queue, send, accept } = setup();
    await send("a", "a1", "a2");
    await send("b", "b1");
    const b = await accept("b");
    const [b1] = await b.receive(1);
    if (b1 === undefined) throw new Error("no message");
    await b.deadLetter(b1, "First", "dead-lettered first");
    const a = await accept("a");
    const [a1] = await a.receive(1);
    if (a1 === undefined) throw new Error("no message");
    await a.deadLetter(a1, "Second", "dead-lettered second");
    const peeked = await queue.peekDeadLetters("tiles", 0, 10);
    expect(peeked.map((d) => [d.body, d.sequenceNumber, d.deliveryCount, d.deadLetterReason])).toEqual([
      ["a1", 1, 1, "Second"],
      ["b1", 3, 1, "First"],
    ]);
    expect((await queue.peekDeadLetters("tiles", 2, 10)).map((d) => d.body)).toEqual(["b1"]);
    expect((await queue.peekDeadLetters("tiles", 0, 1)).map((d) => d.body)).toEqual(["a1"]);
    await expect(queue.depth("tiles")).resolves.toEqual({ active: 1, deadLetter: 2 });
    // Taking is still oldest dead letter first.
    expect((await queue.receiveDeadLetters("tiles", 10)).map((d) => d.body)).toEqual(["b1", "a1"]);
    await queue.close();
  });
});

describe("MemoryQueue peek arguments", () => {
  it("rejects bad arguments, unknown queues and a closed queue", async () => {
    const { queue } = setup();
    await expect(queue.peek("tiles", -1, 1)).rejects.toThrow(RangeError);
    await expect(queue.peek("tiles", 1.5, 1)).rejects.toThrow(/fromSequenceNumber must be a non-negative integer/);
    await expect(queue.peek("tiles", 0, 0)).rejects.toThrow(/max must be a positive integer/);
    await expect(queue.peek("tiles", 0, 1, { sessionId: "" })).rejects.toThrow(/options.sessionId/);
    await expect(queue.peekDeadLetters("tiles", Number.NaN, 1)).rejects.toThrow(RangeError);
    await expect(queue.peek("tile", 0, 1)).rejects.toMatchObject({ code: "QUEUE_NOT_FOUND" });
    await expect(queue.peekDeadLetters("tile", 0, 1)).rejects.toMatchObject({ code: "QUEUE_NOT_FOUND" });
    await queue.close();
    await expect(queue.peek("tiles", 0, 1)).rejects.toMatchObject({ code: "QUEUE_CLOSED" });
    await expect(queue.peekDeadLetters("tiles", 0, 1)).rejects.toMatchObject({ code: "QUEUE_CLOSED" });
  });
});
