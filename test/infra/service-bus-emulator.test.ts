import { ServiceBusClient, type ServiceBusSessionReceiver } from "@azure/service-bus";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServiceBusEmulator, startServiceBusEmulator } from "../../infra/local/service-bus-emulator/server.js";

const LOCK_MS = 1_500;

describe("Service Bus emulator with the real @azure/service-bus SDK", () => {
  let emulator: ServiceBusEmulator;
  let client: ServiceBusClient;

  beforeAll(async () => {
    emulator = await startServiceBusEmulator({
      queues: {
        tiles: { lockDurationMs: 60_000, maxDeliveryCount: 10 },
        events: { lockDurationMs: 60_000, maxDeliveryCount: 10 },
        short: { lockDurationMs: LOCK_MS, maxDeliveryCount: 10 },
      },
    });
    client = new ServiceBusClient(emulator.connectionString, {
      retryOptions: { maxRetries: 0, timeoutInMs: 5_000 },
    });
  });

  afterAll(async () => {
    await client?.close();
    await emulator?.stop();
  });

  async function closing<T>(receiver: ServiceBusSessionReceiver, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      await receiver.close();
    }
  }

  it("sends a batch and receives it in order from the next free session, then completes", async () => {
    const sender = client.createSender("tiles");
    await sender.sendMessages([
      { sessionId: "job-1", messageId: "m1", body: { tile: 1 }, applicationProperties: { kind: "tile" } },
      { sessionId: "job-1", body: { tile: 2 } },
      { sessionId: "job-1", body: { tile: 3 } },
    ]);
    await sender.close();
    const receiver = await client.acceptNextSession("tiles");
    await closing(receiver, async () => {
      expect(receiver.sessionId).toBe("job-1");
      expect(receiver.sessionLockedUntilUtc?.getTime()).toBeGreaterThan(Date.now());
      const got = [];
      while (got.length < 3) {
        const batch = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2_000 });
        if (batch.length === 0) break;
        got.push(...batch);
      }
      expect(got.map((m) => m.body)).toEqual([{ tile: 1 }, { tile: 2 }, { tile: 3 }]);
      expect(got[0]?.applicationProperties).toEqual({ kind: "tile" });
      expect(got[0]?.messageId).toBe("m1");
      expect(got.every((m) => m.sessionId === "job-1")).toBe(true);
      expect(got[0]?.lockToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(got[0]?.enqueuedTimeUtc?.getTime()).toBeLessThanOrEqual(Date.now());
      expect(got.map((m) => m.deliveryCount)).toEqual([0, 0, 0]);
      const seq = got.map((m) => Number(m.sequenceNumber?.toString()));
      expect(seq[0]).toBeLessThan(seq[1] as number);
      for (const m of got) await receiver.completeMessage(m);
      expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
    });
  });

  it("accepts a named session, abandons and gets the message again with deliveryCount + 1", async () => {
    const sender = client.createSender("tiles");
    await sender.sendMessages({ sessionId: "named", body: "hello" });
    await sender.close();
    const receiver = await client.acceptSession("tiles", "named");
    await closing(receiver, async () => {
      expect(receiver.sessionId).toBe("named");
      const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      expect(first?.body).toBe("hello");
      expect(first?.deliveryCount).toBe(0);
      if (first === undefined) throw new Error("no message");
      await receiver.abandonMessage(first);
      const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      expect(again?.body).toBe("hello");
      expect(again?.deliveryCount).toBe(1);
      if (again === undefined) throw new Error("no redelivery");
      await receiver.completeMessage(again);
    });
  });

  it("delivers no more than the client's credit: an abandoned message comes back before the next one", async () => {
    const sender = client.createSender("tiles");
    await sender.sendMessages([
      { sessionId: "credit", body: "first" },
      { sessionId: "credit", body: "second" },
    ]);
    await sender.close();
    const receiver = await client.acceptSession("tiles", "credit");
    await closing(receiver, async () => {
      const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      if (first === undefined) throw new Error("no message");
      await receiver.abandonMessage(first);
      const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      expect([again?.body, again?.deliveryCount]).toEqual(["first", 1]);
      // The second message was never sent ahead of its credit: it has had no delivery yet.
      const peeked = await receiver.peekMessages(10);
      expect(peeked.map((m) => [m.body, m.deliveryCount])).toEqual([
        ["first", 2],
        ["second", 0],
      ]);
      if (again) await receiver.completeMessage(again);
      const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      expect([second?.body, second?.deliveryCount]).toEqual(["second", 0]);
      if (second) await receiver.completeMessage(second);
    });
  });

  it("rejects a send the queue refuses (no session id), and sends nothing of it", async () => {
    const sender = client.createSender("tiles");
    try {
      await expect(sender.sendMessages({ body: "sessionless" })).rejects.toThrow(/sessionId/);
    } finally {
      await sender.close();
    }
    expect(await emulator.store.queue.depth("tiles")).toEqual({ active: 0, deadLetter: 0 });
  });

  it("dead-letters a message with the reason the SDK sends", async () => {
    const sender = client.createSender("tiles");
    await sender.sendMessages({ sessionId: "poison", body: { bad: true } });
    await sender.close();
    const receiver = await client.acceptSession("tiles", "poison");
    await closing(receiver, async () => {
      const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      if (message === undefined) throw new Error("no message");
      await receiver.deadLetterMessage(message, { deadLetterReason: "BadTile", deadLetterErrorDescription: "cannot decode" });
      expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
    });
    const dead = await emulator.store.queue.receiveDeadLetters("tiles", 10);
    expect(dead.map((d) => [d.sessionId, d.deadLetterReason, d.deadLetterDescription])).toEqual([
      ["poison", "BadTile", "cannot decode"],
    ]);
  });

  it("gets and sets session state through $management", async () => {
    const receiver = await client.acceptSession("events", "stateful");
    await closing(receiver, async () => {
      expect(await receiver.getSessionState()).toBeNull();
      await receiver.setSessionState({ done: 3 });
      expect(await receiver.getSessionState()).toEqual({ done: 3 });
      const before = receiver.sessionLockedUntilUtc?.getTime() ?? 0;
      await new Promise((r) => setTimeout(r, 20));
      const renewed = await receiver.renewSessionLock();
      expect(renewed.getTime()).toBeGreaterThan(before);
    });
    // The state outlives the receiver that set it.
    const next = await client.acceptSession("events", "stateful");
    await closing(next, async () => {
      expect(await next.getSessionState()).toEqual({ done: 3 });
    });
  });

  it("refuses a session locked by another receiver with SessionCannotBeLocked", async () => {
    const holder = await client.acceptSession("events", "busy");
    await closing(holder, async () => {
      await expect(client.acceptSession("events", "busy")).rejects.toMatchObject({ code: "SessionCannotBeLocked" });
    });
  });

  it("times out accept-next when no session is free", async () => {
    const started = Date.now();
    const error = await client.acceptNextSession("events", { maxAutoLockRenewalDurationInMs: 0 }).then(
      (r) => r.close().then(() => null),
      (e: { code?: string }) => e,
    );
    expect(error).not.toBeNull();
    expect(["ServiceTimeout", "SessionCannotBeLocked"]).toContain(error?.code);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it("hands an expired session lock to another receiver, the message redelivered", async () => {
    const sender = client.createSender("short");
    await sender.sendMessages({ sessionId: "stall", body: "work" });
    await sender.close();
    const first = await client.acceptNextSession("short", { maxAutoLockRenewalDurationInMs: 0 });
    const [message] = await closing(first, async () => {
      const got = await first.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      await new Promise((r) => setTimeout(r, LOCK_MS + 500));
      return got;
    });
    expect(message?.deliveryCount).toBe(0);
    const second = await client.acceptNextSession("short", { maxAutoLockRenewalDurationInMs: 0 });
    await closing(second, async () => {
      expect(second.sessionId).toBe("stall");
      const [again] = await second.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      expect(again?.body).toBe("work");
      expect(again?.deliveryCount).toBe(1);
      if (again) await second.completeMessage(again);
    });
  });
});
