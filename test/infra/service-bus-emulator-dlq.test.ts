import {
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSessionReceiver,
} from "@azure/service-bus";
// `long` is the SDK's own dependency (sequence numbers are Longs); peek needs one to start from.
import Long from "long";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ServiceBusEmulator, startServiceBusEmulator } from "../../infra/local/service-bus-emulator/server.js";

// Dead-letter queue receive, peek and broker-assigned message ids, driven by the real SDK.
// A fresh emulator per test: every test starts from empty queues.

const MAX_DELIVERIES = 2;

let emulator: ServiceBusEmulator;
let client: ServiceBusClient;

beforeEach(async () => {
  emulator = await startServiceBusEmulator({
    queues: {
      tiles: { lockDurationMs: 60_000, maxDeliveryCount: MAX_DELIVERIES },
      events: { lockDurationMs: 60_000, maxDeliveryCount: 10 },
    },
  });
  client = new ServiceBusClient(emulator.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } });
});

afterEach(async () => {
  await client?.close();
  await emulator?.stop();
});

async function send(queue: string, ...messages: { sessionId: string; body: unknown; messageId?: string; kind?: string }[]) {
  const sender = client.createSender(queue);
  try {
    await sender.sendMessages(
      messages.map(({ kind, ...m }) => (kind === undefined ? m : { ...m, applicationProperties: { kind } })),
    );
  } finally {
    await sender.close();
  }
}

async function inSession<T>(queue: string, sessionId: string, fn: (r: ServiceBusSessionReceiver) => Promise<T>): Promise<T> {
  const receiver = await client.acceptSession(queue, sessionId, { maxAutoLockRenewalDurationInMs: 0 });
  try {
    return await fn(receiver);
  } finally {
    await receiver.close();
  }
}

async function receiveOne(receiver: ServiceBusSessionReceiver): Promise<ServiceBusReceivedMessage> {
  const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
  if (message === undefined) throw new Error("no message");
  return message;
}

async function withDeadLetters<T>(queue: string, fn: (r: ServiceBusReceiver) => Promise<T>): Promise<T> {
  const receiver = client.createReceiver(queue, { subQueueType: "deadLetter", receiveMode: "receiveAndDelete" });
  try {
    return await fn(receiver);
  } finally {
    await receiver.close();
  }
}

const seq = (m: ServiceBusReceivedMessage) => Number(m.sequenceNumber?.toString());

describe("the dead-letter queue, receiveAndDelete", () => {
  it("receives an explicitly dead-lettered message as it was sent, with reason and description", async () => {
    await send("tiles", { sessionId: "poison", messageId: "m-1", body: { tile: 7 }, kind: "tile" });
    const original = await inSession("tiles", "poison", async (r) => {
      const m = await receiveOne(r);
      await r.deadLetterMessage(m, { deadLetterReason: "BadTile", deadLetterErrorDescription: "cannot decode" });
      return m;
    });
    expect(await emulator.store.queue.depth("tiles")).toEqual({ active: 0, deadLetter: 1 });
    const dead = await withDeadLetters("tiles", (r) => r.receiveMessages(10, { maxWaitTimeInMs: 500 }));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      body: { tile: 7 },
      messageId: "m-1",
      sessionId: "poison",
      applicationProperties: { kind: "tile", DeadLetterReason: "BadTile", DeadLetterErrorDescription: "cannot decode" },
      deadLetterReason: "BadTile",
      deadLetterErrorDescription: "cannot decode",
      // The deliveries it had: one.
      deliveryCount: 1,
    });
    expect(seq(dead[0] as ServiceBusReceivedMessage)).toBe(seq(original));
    expect(dead[0]?.enqueuedTimeUtc?.getTime()).toBe(original.enqueuedTimeUtc?.getTime());
    // Received and deleted.
    expect(await emulator.store.queue.depth("tiles")).toEqual({ active: 0, deadLetter: 0 });
  });

  it("receives MaxDeliveryCountExceeded dead letters after maxDeliveryCount deliveries", async () => {
    await send("tiles", { sessionId: "flaky", body: "a" }, { sessionId: "flaky", body: "b" });
    await inSession("tiles", "flaky", async (r) => {
      for (let delivery = 0; delivery < MAX_DELIVERIES; delivery++) {
        const m = await receiveOne(r);
        expect([m.body, m.deliveryCount]).toEqual(["a", delivery]);
        await r.abandonMessage(m);
      }
      await r.completeMessage(await receiveOne(r));
    });
    const [dead, ...rest] = await withDeadLetters("tiles", (r) => r.receiveMessages(10, { maxWaitTimeInMs: 500 }));
    expect(rest).toEqual([]);
    expect(dead).toMatchObject({
      body: "a",
      sessionId: "flaky",
      deliveryCount: MAX_DELIVERIES,
      deadLetterReason: "MaxDeliveryCountExceeded",
      deadLetterErrorDescription: `Message could not be consumed after ${MAX_DELIVERIES} delivery attempts.`,
    });
  });

  it("returns [] after the wait when the dead-letter queue is empty, and then what arrives", async () => {
    await withDeadLetters("tiles", async (r) => {
      const started = Date.now();
      expect(await r.receiveMessages(5, { maxWaitTimeInMs: 400 })).toEqual([]);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(350);
      expect(waited).toBeLessThan(3_000);
      // The same receiver (its link drained, not closed) gets a dead letter that arrives later.
      await send("tiles", { sessionId: "late", body: "late" });
      await inSession("tiles", "late", async (s) => s.deadLetterMessage(await receiveOne(s)));
      const late = await r.receiveMessages(5, { maxWaitTimeInMs: 1_000 });
      expect(late.map((m) => [m.body, m.deadLetterReason])).toEqual([["late", "DeadLettered"]]);
    });
  });

  it("takes at most the count asked for, oldest dead letter first", async () => {
    await send("tiles", ...["x", "y", "z"].map((s) => ({ sessionId: s, body: s })));
    for (const s of ["z", "x", "y"]) await inSession("tiles", s, async (r) => r.deadLetterMessage(await receiveOne(r)));
    await withDeadLetters("tiles", async (r) => {
      expect((await r.receiveMessages(2, { maxWaitTimeInMs: 1_000 })).map((m) => m.body)).toEqual(["z", "x"]);
      expect((await r.receiveMessages(2, { maxWaitTimeInMs: 300 })).map((m) => m.body)).toEqual(["y"]);
    });
  });

  it("matches the $DeadLetterQueue suffix case-insensitively", async () => {
    await send("tiles", { sessionId: "s", body: "dead" });
    await inSession("tiles", "s", async (r) => r.deadLetterMessage(await receiveOne(r)));
    const receiver = client.createReceiver("tiles/$deadletterqueue", { receiveMode: "receiveAndDelete" });
    try {
      expect((await receiver.receiveMessages(1, { maxWaitTimeInMs: 1_000 })).map((m) => m.body)).toEqual(["dead"]);
    } finally {
      await receiver.close();
    }
  });

  it("refuses a peek-lock dead-letter receiver with NotImplemented", async () => {
    const receiver = client.createReceiver("tiles", { subQueueType: "deadLetter" });
    try {
      await expect(receiver.receiveMessages(1, { maxWaitTimeInMs: 500 })).rejects.toThrow(/receiveAndDelete only/);
    } finally {
      await receiver.close();
    }
  });

  it("refuses a non-session receiver on a queue (every queue is session-enabled)", async () => {
    const receiver = client.createReceiver("tiles", { receiveMode: "receiveAndDelete" });
    try {
      await expect(receiver.receiveMessages(1, { maxWaitTimeInMs: 500 })).rejects.toThrow(/requires sessions/);
    } finally {
      await receiver.close();
    }
  });

  it("refuses a receiver on an unknown queue's dead-letter queue", async () => {
    const receiver = client.createReceiver("nope", { subQueueType: "deadLetter", receiveMode: "receiveAndDelete" });
    try {
      await expect(receiver.receiveMessages(1, { maxWaitTimeInMs: 500 })).rejects.toThrow(/could not be found/);
    } finally {
      await receiver.close();
    }
  });
});

describe("peekMessages without a session", () => {
  it("shows waiting and received-unsettled messages of every session in sequence order, not completed or dead-lettered ones", async () => {
    await send(
      "events",
      { sessionId: "a", body: "a1" },
      { sessionId: "b", body: "b1" },
      { sessionId: "a", body: "a2" },
      { sessionId: "c", body: "c1" },
      { sessionId: "c", body: "c2" },
    );
    const a = await client.acceptSession("events", "a");
    try {
      await a.completeMessage(await receiveOne(a));
      await a.receiveMessages(1, { maxWaitTimeInMs: 2_000 }); // a2 stays received and unsettled
      await inSession("events", "c", async (c) => c.deadLetterMessage(await receiveOne(c)));
      const peeker = client.createReceiver("events");
      try {
        const peeked = await peeker.peekMessages(10, { fromSequenceNumber: Long.fromNumber(0) });
        expect(peeked.map((m) => [m.body, m.sessionId, m.deliveryCount])).toEqual([
          ["b1", "b", 0],
          ["a2", "a", 1],
          ["c2", "c", 0],
        ]);
        const seqs = peeked.map(seq);
        expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
        // Peeked messages carry no lock.
        expect(peeked[0]?.lockToken).toBeUndefined();
        expect(peeked.length).toBe((await emulator.store.queue.depth("events")).active);
      } finally {
        await peeker.close();
      }
    } finally {
      await a.close();
    }
  });

  it("starts at fromSequenceNumber, returns at most the count, and [] past the end", async () => {
    await send("events", ...["s1", "s2", "s3", "s4"].map((s) => ({ sessionId: s, body: s })));
    const peeker = client.createReceiver("events");
    try {
      const all = await peeker.peekMessages(10, { fromSequenceNumber: Long.fromNumber(0) });
      const third = all[2];
      if (third === undefined) throw new Error("fewer than 3 messages");
      const page = await peeker.peekMessages(1, { fromSequenceNumber: third.sequenceNumber });
      expect(page.map((m) => m.body)).toEqual(["s3"]);
      const past = await peeker.peekMessages(10, {
        fromSequenceNumber: Long.fromNumber(seq(all[3] as ServiceBusReceivedMessage) + 1),
      });
      expect(past).toEqual([]);
      // Without fromSequenceNumber the SDK goes on after the last message it peeked (on this
      // entity, for the whole client): here s4, then nothing.
      expect((await peeker.peekMessages(10)).map((m) => m.body)).toEqual(["s4"]);
      expect(await peeker.peekMessages(10)).toEqual([]);
    } finally {
      await peeker.close();
    }
  });

  it("keeps the SDK's peek cursor per client and entity, not per receiver: count with fromSequenceNumber", async () => {
    await send("events", ...["k1", "k2"].map((s) => ({ sessionId: s, body: s })));
    const first = client.createReceiver("events");
    expect((await first.peekMessages(10)).map((m) => m.body)).toEqual(["k1", "k2"]);
    await first.close();
    // A new receiver on the same client and entity goes on after k2: it sees nothing.
    const second = client.createReceiver("events");
    expect(await second.peekMessages(10)).toEqual([]);
    // Counting from the start needs an explicit fromSequenceNumber.
    expect((await second.peekMessages(10, { fromSequenceNumber: Long.fromNumber(1) })).map((m) => m.body)).toEqual(["k1", "k2"]);
    await second.close();
    // Another client has its own cursor.
    const other = new ServiceBusClient(emulator.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } });
    try {
      expect(await other.createReceiver("events").peekMessages(10)).toHaveLength(2);
    } finally {
      await other.close();
    }
  });

  it("peeks one session from a session receiver", async () => {
    await send("events", { sessionId: "p", body: "p1" }, { sessionId: "q", body: "q1" }, { sessionId: "p", body: "p2" });
    await inSession("events", "p", async (r) => {
      expect((await r.peekMessages(10)).map((m) => m.body)).toEqual(["p1", "p2"]);
    });
  });

  it("peeks the dead-letter queue in sequence order, with reasons, without taking anything", async () => {
    await send("tiles", ...["d1", "d2", "d3"].map((s) => ({ sessionId: s, body: s })));
    for (const s of ["d3", "d1"]) {
      await inSession("tiles", s, async (r) =>
        r.deadLetterMessage(await receiveOne(r), { deadLetterReason: `Bad-${s}`, deadLetterErrorDescription: "why" }),
      );
    }
    await withDeadLetters("tiles", async (r) => {
      const peeked = await r.peekMessages(10, { fromSequenceNumber: Long.fromNumber(0) });
      expect(peeked.map((m) => [m.body, m.deadLetterReason, m.deliveryCount])).toEqual([
        ["d1", "Bad-d1", 1],
        ["d3", "Bad-d3", 1],
      ]);
      expect(peeked.length).toBe((await emulator.store.queue.depth("tiles")).deadLetter);
      // Still there to receive, oldest dead letter first.
      expect((await r.receiveMessages(10, { maxWaitTimeInMs: 500 })).map((m) => m.body)).toEqual(["d3", "d1"]);
    });
  });
});

describe("broker-assigned message ids", () => {
  it("gives a message sent without an id a GUID, the same on redelivery, peek and in the dead-letter queue", async () => {
    await send("tiles", { sessionId: "anon", body: "no id" });
    const peeker = client.createReceiver("tiles");
    const [peeked] = await peeker.peekMessages(1, { fromSequenceNumber: Long.fromNumber(0) });
    await peeker.close();
    const id = peeked?.messageId;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await inSession("tiles", "anon", async (r) => {
      const first = await receiveOne(r);
      expect(first.messageId).toBe(id);
      await r.abandonMessage(first);
      const again = await receiveOne(r);
      expect(again.messageId).toBe(id);
      await r.abandonMessage(again);
    });
    const [dead] = await withDeadLetters("tiles", (r) => r.receiveMessages(1, { maxWaitTimeInMs: 1_000 }));
    expect(dead).toMatchObject({ messageId: id, deadLetterReason: "MaxDeliveryCountExceeded" });
  });

  it("gives every message of a batch its own id", async () => {
    await send("events", { sessionId: "batch", body: 1 }, { sessionId: "batch", body: 2 });
    await inSession("events", "batch", async (r) => {
      const got = await r.receiveMessages(2, { maxWaitTimeInMs: 2_000 });
      expect(got).toHaveLength(2);
      expect(new Set(got.map((m) => m.messageId)).size).toBe(2);
    });
  });
});

/**
 * The SDK's management client for an entity, as ServiceBusReceiver uses it (internal API):
 * the only way the SDK sends renew-lock and update-disposition for session messages.
 */
interface ManagementClient {
  renewLock(lockToken: string): Promise<Date>;
  updateDispositionStatus(
    lockToken: string,
    disposition: "complete" | "abandon" | "deadletter",
    options?: { sessionId?: string; deadLetterReason?: string; deadLetterDescription?: string },
  ): Promise<void>;
}
function management(entityPath: string): ManagementClient {
  const context = (client as unknown as { _connectionContext: { getManagementClient(path: string): ManagementClient } })
    ._connectionContext;
  return context.getManagementClient(entityPath);
}

describe("$management by lock token", () => {
  it("answers renew-lock with the session lock's expiry, and settles by update-disposition", async () => {
    await send("events", ...["u1", "u2", "u3"].map((body) => ({ sessionId: "u", body })));
    const receiver = await client.acceptSession("events", "u", { maxAutoLockRenewalDurationInMs: 0 });
    try {
      const [u1, u2, u3] = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2_000 });
      if (u1?.lockToken === undefined || u2?.lockToken === undefined || u3?.lockToken === undefined) {
        throw new Error("expected 3 locked messages");
      }
      const until = await management("events").renewLock(u1.lockToken);
      expect(until.getTime()).toBe(receiver.sessionLockedUntilUtc?.getTime());
      await management("events").updateDispositionStatus(u1.lockToken, "complete", { sessionId: "u" });
      await management("events").updateDispositionStatus(u2.lockToken, "deadletter", {
        sessionId: "u",
        deadLetterReason: "ByToken",
        deadLetterDescription: "settled over $management",
      });
      await management("events").updateDispositionStatus(u3.lockToken, "abandon", { sessionId: "u" });
      // Settled already: the token is gone.
      await expect(management("events").renewLock(u1.lockToken)).rejects.toMatchObject({ code: "MessageLockLost" });
      await expect(receiver.completeMessage(u1)).rejects.toThrow();
      const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      expect([again?.body, again?.deliveryCount]).toEqual(["u3", 1]);
    } finally {
      await receiver.close();
    }
    const dead = await withDeadLetters("events", (r) => r.receiveMessages(10, { maxWaitTimeInMs: 500 }));
    expect(dead.map((d) => [d.body, d.deadLetterReason, d.deadLetterErrorDescription])).toEqual([
      ["u2", "ByToken", "settled over $management"],
    ]);
  });

  it("reports MessageLockLost for a token whose session was released", async () => {
    await send("events", { sessionId: "gone", body: "x" });
    const token = await inSession("events", "gone", async (r) => (await receiveOne(r)).lockToken);
    if (token === undefined) throw new Error("no lock token");
    await expect(management("events").updateDispositionStatus(token, "complete", { sessionId: "gone" })).rejects.toMatchObject({
      code: "MessageLockLost",
    });
  });
});
