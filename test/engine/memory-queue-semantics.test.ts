import { describe, expect, it } from "vitest";
import type { Clock } from "../../engine/ports/clock.js";
import type { ReceivedMessage, SessionReceiver } from "../../engine/ports/queue.js";
import { MemoryQueue } from "../../infra/memory/memory-queue.js";
import { ManualClock } from "../helpers/manual-clock.js";

const LOCK_MS = 1000;
const START = 1_700_000_000_000;

function setup(maxDeliveryCount = 3) {
  const clock = new ManualClock(START);
  const queue = new MemoryQueue(
    { tiles: { lockDurationMs: LOCK_MS, maxDeliveryCount }, events: { lockDurationMs: LOCK_MS, maxDeliveryCount } },
    { clock },
  );
  const send = (sessionId: string, ...values: string[]) =>
    queue.send(
      "tiles",
      values.map((body) => ({ sessionId, body })),
    );
  const accept = async (sessionId?: string): Promise<SessionReceiver> => {
    const receiver = await queue.acceptSession("tiles", sessionId, { timeoutMs: 0 });
    if (receiver === null) throw new Error("no free session");
    return receiver;
  };
  return { clock, queue, send, accept };
}

const bodies = (messages: readonly ReceivedMessage[]) => messages.map((m) => m.body);

/** Whether a promise has settled, after letting pending callbacks run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  const mark = () => {
    settled = true;
  };
  promise.then(mark, mark);
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe("MemoryQueue lock timing", () => {
  it("locks for exactly lockDurationMs from accept, and from each renewal", async () => {
    const { clock, queue, accept } = setup();
    const receiver = await accept("s");
    expect(receiver.lockedUntil).toBe(START + LOCK_MS);
    await clock.advance(LOCK_MS - 1);
    await expect(queue.acceptSession("tiles", "s")).rejects.toMatchObject({ code: "QUEUE_SESSION_LOCKED" });
    await expect(receiver.renewLock()).resolves.toBe(START + 2 * LOCK_MS - 1);
    await clock.advance(LOCK_MS - 1);
    await expect(queue.acceptSession("tiles", "s")).rejects.toMatchObject({ code: "QUEUE_SESSION_LOCKED" });
    await clock.advance(1);
    await expect(receiver.getState()).rejects.toMatchObject({
      code: "QUEUE_LOCK_LOST",
      message: `the lock on session "s" of queue "tiles" expired; drop the work in hand (its unsettled messages will be redelivered) and accept a session again`,
    });
    await queue.close();
  });

  it("hands an expired session to a waiting acceptor from the expiry timer alone", async () => {
    const { clock, queue, send, accept } = setup();
    await send("s", "a");
    const holder = await accept();
    await holder.receive(1);
    const waiting = queue.acceptSession("tiles", undefined, { timeoutMs: 5 * LOCK_MS });
    await clock.advance(LOCK_MS - 1);
    expect(await isSettled(waiting)).toBe(false);
    await clock.advance(1);
    expect(await isSettled(waiting)).toBe(true);
    const rescuer = await waiting;
    expect(rescuer?.sessionId).toBe("s");
    expect(bodies((await rescuer?.receive(5)) ?? [])).toEqual(["a"]);
    await queue.close();
  });

  it("detects an expired lock on the next call even when the clock never fires timers", async () => {
    let now = START;
    const lazyClock: Clock = { now: () => now, schedule: () => () => {} };
    const queue = new MemoryQueue({ tiles: { lockDurationMs: LOCK_MS, maxDeliveryCount: 3 } }, { clock: lazyClock });
    await queue.send("tiles", [{ sessionId: "s", body: "a" }]);
    const holder = await queue.acceptSession("tiles");
    const [message] = (await holder?.receive(1)) ?? [];
    now += LOCK_MS;
    await expect(queue.depth("tiles")).resolves.toEqual({ active: 1, deadLetter: 0 });
    const rescuer = await queue.acceptSession("tiles", undefined, { timeoutMs: 0 });
    expect(rescuer?.sessionId).toBe("s");
    await expect(holder?.complete(message as ReceivedMessage)).rejects.toMatchObject({ code: "QUEUE_LOCK_LOST" });
    await expect(rescuer?.receive(1, { timeoutMs: 0 })).resolves.toMatchObject([{ body: "a", deliveryCount: 2 }]);
    await queue.close();
  });

  it("does not hand a message sent after the expiry to the expired receiver's waiting receive", async () => {
    let now = START;
    const lazyClock: Clock = { now: () => now, schedule: () => () => {} };
    const queue = new MemoryQueue({ tiles: { lockDurationMs: LOCK_MS, maxDeliveryCount: 3 } }, { clock: lazyClock });
    const stale = await queue.acceptSession("tiles", "s");
    const waiting = stale?.receive(1, { timeoutMs: 10 * LOCK_MS });
    now += LOCK_MS;
    await queue.send("tiles", [{ sessionId: "s", body: "late" }]);
    await expect(waiting).rejects.toMatchObject({ code: "QUEUE_LOCK_LOST" });
    const fresh = await queue.acceptSession("tiles", undefined, { timeoutMs: 0 });
    await expect(fresh?.receive(1, { timeoutMs: 0 })).resolves.toMatchObject([{ body: "late", deliveryCount: 1 }]);
    await queue.close();
  });

  it("rejects a receive that is waiting when the lock expires", async () => {
    const { clock, queue, accept } = setup();
    const receiver = await accept("s");
    const waiting = expect(receiver.receive(1, { timeoutMs: 10 * LOCK_MS })).rejects.toMatchObject({ code: "QUEUE_LOCK_LOST" });
    await clock.advance(LOCK_MS);
    await waiting;
    await queue.close();
  });

  it("answers timeoutMs 0 at once", async () => {
    const { queue, accept } = setup();
    await expect(queue.acceptSession("tiles", undefined, { timeoutMs: 0 })).resolves.toBeNull();
    const receiver = await accept("s");
    await expect(receiver.receive(3, { timeoutMs: 0 })).resolves.toEqual([]);
    await queue.close();
  });
});

describe("MemoryQueue fairness", () => {
  it("accepts the oldest waiting session first and sends a released one to the back", async () => {
    const { queue, send, accept } = setup();
    await send("s1", "a");
    await send("s2", "b");
    await send("s1", "c");
    await send("s3", "d");
    const first = await accept();
    expect(first.sessionId).toBe("s1");
    await first.close();
    const order: string[] = [];
    for (let i = 0; i < 3; i++) order.push((await accept()).sessionId);
    expect(order).toEqual(["s2", "s3", "s1"]);
    await queue.close();
  });

  it("serves waiting acceptors in the order they came", async () => {
    const { queue, send } = setup();
    const first = queue.acceptSession("tiles", undefined, { timeoutMs: LOCK_MS });
    const second = queue.acceptSession("tiles", undefined, { timeoutMs: LOCK_MS });
    await send("a", "1");
    expect(await isSettled(second)).toBe(false);
    expect((await first)?.sessionId).toBe("a");
    await send("b", "2");
    expect((await second)?.sessionId).toBe("b");
    await queue.close();
  });

  it("returns at most max messages and does not wait to fill max", async () => {
    const { queue, send, accept } = setup();
    await send("s", "a", "b", "c");
    const receiver = await accept();
    expect(bodies(await receiver.receive(2))).toEqual(["a", "b"]);
    expect(bodies(await receiver.receive(10))).toEqual(["c"]);
    await queue.close();
  });
});

describe("MemoryQueue redelivery", () => {
  it("merges returned messages back in sequence order", async () => {
    const { clock, queue, send, accept } = setup();
    await send("s", "a", "b", "c");
    const holder = await accept();
    const [, b] = await holder.receive(2);
    await holder.abandon(b as ReceivedMessage);
    await clock.advance(LOCK_MS);
    const rescuer = await accept();
    expect((await rescuer.receive(5)).map((m) => [m.body, m.deliveryCount])).toEqual([
      ["a", 2],
      ["b", 2],
      ["c", 1],
    ]);
    await queue.close();
  });

  it("dead-letters on expiry and on close too once deliveries run out, with Service Bus's description", async () => {
    const { clock, queue, send, accept } = setup(1);
    await send("s", "expired", "closed");
    const holder = await accept();
    await holder.receive(1);
    await clock.advance(LOCK_MS);
    const next = await accept();
    await next.receive(1);
    await next.close();
    const letters = await queue.receiveDeadLetters("tiles", 1);
    expect(letters).toMatchObject([
      {
        body: "expired",
        deliveryCount: 1,
        deadLetterReason: "MaxDeliveryCountExceeded",
        deadLetterDescription: "Message could not be consumed after 1 delivery attempts.",
      },
    ]);
    await expect(queue.receiveDeadLetters("tiles", 5)).resolves.toMatchObject([{ body: "closed" }]);
    await expect(queue.depth("tiles")).resolves.toEqual({ active: 0, deadLetter: 0 });
    await queue.close();
  });

  it("settles only the current delivery held by this receiver", async () => {
    const { queue, send, accept } = setup();
    await send("s", "a");
    await send("t", "b");
    const s = await accept("s");
    const t = await accept("t");
    const [a] = await s.receive(1);
    const [b] = await t.receive(1);
    if (!a || !b) throw new Error("expected messages");
    await expect(s.complete(b)).rejects.toMatchObject({
      code: "QUEUE_LOCK_LOST",
      message: `message ${b.sequenceNumber} is not held by this receiver of session "s" of queue "tiles": it was already settled, or received under a lock since lost; drop it`,
    });
    await s.abandon(a);
    const [again] = await s.receive(1);
    await expect(s.complete(a)).rejects.toMatchObject({ code: "QUEUE_LOCK_LOST" });
    // A copy of the current delivery settles it: identity is the delivery, not the object.
    await expect(s.complete({ ...(again as ReceivedMessage) })).resolves.toBeUndefined();
    await queue.close();
  });
});

describe("MemoryQueue messages and state", () => {
  it("assigns ids, per-queue sequence numbers and the clock's enqueue time", async () => {
    const { clock, queue, send, accept } = setup();
    await clock.advance(5);
    await send("s", "a", "b");
    await queue.send("events", [{ sessionId: "s", body: "e", messageId: "mine" }]);
    const got = await (await accept("s")).receive(2);
    expect(got.map((m) => m.sequenceNumber)).toEqual([1, 2]);
    expect(got[0]?.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(got[0]?.messageId).not.toBe(got[1]?.messageId);
    expect(got[0]?.enqueuedAt).toBe(START + 5);
    const events = await queue.acceptSession("events", "s");
    expect(await events?.receive(1)).toMatchObject([{ body: "e", messageId: "mine", sequenceNumber: 1 }]);
    await queue.close();
  });

  it("refuses session state over 256 KB and keeps the old state", async () => {
    const { queue, accept } = setup();
    const receiver = await accept("s");
    await receiver.setState({ ok: true });
    await expect(receiver.setState("x".repeat(256 * 1024))).rejects.toMatchObject({ code: "QUEUE_MESSAGE_TOO_LARGE" });
    await expect(receiver.getState()).resolves.toEqual({ ok: true });
    await queue.close();
  });

  it("cancels every timer once work is settled and receivers closed", async () => {
    const { clock, queue, send, accept } = setup();
    await send("s", "a");
    const receiver = await accept();
    const waiting = receiver.receive(1, { timeoutMs: 100 });
    const [a] = await waiting;
    await receiver.complete(a as ReceivedMessage);
    await receiver.close();
    expect(clock.pending).toBe(0);
    await queue.close();
  });
});
