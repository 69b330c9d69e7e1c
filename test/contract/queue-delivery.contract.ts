import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../engine/ports/queue.js";
import {
  acceptNamed,
  acceptNext,
  bodies,
  eventually,
  expectCode,
  type QueueContext,
  receiveAll,
  within,
} from "./queue-harness.js";

/** Sending, accepting and receiving: what a healthy receiver sees. */
export function deliveryCases(ctx: QueueContext): void {
  describe("delivery", () => {
    it("delivers a session's messages in the order they were sent, with their ids and properties", async () => {
      const s = ctx.sid("order");
      const other = ctx.sid("other");
      await ctx.queue.send(ctx.name, [
        { sessionId: s, body: 0, messageId: "m-0", properties: { tile: "0" } },
        { sessionId: other, body: "x" },
        { sessionId: s, body: 1 },
        { sessionId: s, body: 2 },
      ]);
      await ctx.queue.send(
        ctx.name,
        [3, 4, 5].map((n) => ({ sessionId: s, body: n })),
      );
      const receiver = await acceptNamed(ctx, s);
      const got = await receiveAll(ctx, receiver, 6);
      expect(bodies(got)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(got.every((m) => m.sessionId === s && m.deliveryCount === 1)).toBe(true);
      const sequence = got.map((m) => m.sequenceNumber);
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
      expect(new Set(sequence).size).toBe(6);
      expect(got[0]).toMatchObject({ messageId: "m-0", properties: { tile: "0" } });
      expect(got[1]?.messageId).toEqual(expect.any(String));
      expect(got[1]?.messageId).not.toBe("");
      expect(typeof got[0]?.enqueuedAt).toBe("number");
      for (const m of got) await receiver.complete(m);
      await receiver.close();
    });

    it("resolves accept-next to null when no session is free within the timeout", async () => {
      const wait = ctx.lockMs / 4;
      await expect(within(ctx.h, ctx.queue.acceptSession(ctx.name, undefined, { timeoutMs: wait }), wait)).resolves.toBeNull();
    });

    it("wakes a waiting accept-next when a message is sent", async () => {
      const s = ctx.sid("wake");
      const waiting = ctx.queue.acceptSession(ctx.name, undefined, { timeoutMs: ctx.lockMs });
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: "hello" }]);
      const receiver = await within(ctx.h, waiting, ctx.lockMs / 2);
      expect(receiver?.sessionId).toBe(s);
      await receiver?.close();
    });

    it("accepts a named session that has no messages yet; receive waits for one, or resolves to [] after the timeout", async () => {
      const s = ctx.sid("named");
      const receiver = await acceptNamed(ctx, s);
      expect(receiver.sessionId).toBe(s);
      expect(receiver.queue).toBe(ctx.name);
      const wait = ctx.lockMs / 4;
      await expect(within(ctx.h, receiver.receive(1, { timeoutMs: wait }), wait)).resolves.toEqual([]);
      const waiting = receiver.receive(5, { timeoutMs: wait });
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: "late" }]);
      const got = await within(ctx.h, waiting, wait);
      expect(bodies(got)).toEqual(["late"]);
      await receiver.complete(got[0] as (typeof got)[0]);
      await receiver.close();
    });

    it("resolves a receive at its first message, not at the end of its wait", async () => {
      const s = ctx.sid("first");
      const receiver = await acceptNamed(ctx, s);
      // A short step against a long wait: an adapter that lingers for more messages after the
      // first (the Service Bus SDK's batching receiver does, for up to a second) is still
      // waiting when the step is over.
      const step = Math.min(400, ctx.lockMs / 8);
      let settled = false;
      const waiting = receiver.receive(5, { timeoutMs: ctx.lockMs / 2 });
      waiting.then(
        () => (settled = true),
        () => (settled = true),
      );
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: "only" }]);
      await ctx.h.advance(step);
      expect(settled).toBe(true);
      const got = await waiting;
      expect(bodies(got)).toEqual(["only"]);
      await receiver.complete(got[0] as (typeof got)[0]);
      await receiver.close();
    });

    it("gives concurrent receivers different sessions, so many sessions interleave", async () => {
      const ids = [ctx.sid("a"), ctx.sid("b"), ctx.sid("c")];
      await ctx.queue.send(
        ctx.name,
        ids.map((sessionId) => ({ sessionId, body: sessionId })),
      );
      const receivers = [await acceptNext(ctx), await acceptNext(ctx), await acceptNext(ctx)];
      expect(new Set(receivers.map((r) => r.sessionId))).toEqual(new Set(ids));
      const wait = ctx.lockMs / 4;
      await expect(within(ctx.h, ctx.queue.acceptSession(ctx.name, undefined, { timeoutMs: wait }), wait)).resolves.toBeNull();
      for (const r of receivers) {
        const [m] = await receiveAll(ctx, r, 1);
        expect(m?.body).toBe(r.sessionId);
        if (m) await r.complete(m);
        await r.close();
      }
    });

    it("counts active (received but unsettled included) and dead-lettered messages", async () => {
      const s = ctx.sid("depth");
      await expect(ctx.queue.depth(ctx.name)).resolves.toEqual({ active: 0, deadLetter: 0 });
      await ctx.queue.send(
        ctx.name,
        [1, 2, 3].map((n) => ({ sessionId: s, body: n })),
      );
      await eventually(ctx.h, async () => expect(await ctx.queue.depth(ctx.name)).toEqual({ active: 3, deadLetter: 0 }));
      const receiver = await acceptNamed(ctx, s);
      const [one, two] = await receiveAll(ctx, receiver, 2);
      await eventually(ctx.h, async () => expect(await ctx.queue.depth(ctx.name)).toEqual({ active: 3, deadLetter: 0 }));
      if (!one || !two) throw new Error("expected two messages");
      await receiver.complete(one);
      await receiver.deadLetter(two, "Test", "counted");
      await eventually(ctx.h, async () => expect(await ctx.queue.depth(ctx.name)).toEqual({ active: 1, deadLetter: 1 }));
      await receiver.close();
    });

    it("refuses a message over 256 KB with QUEUE_MESSAGE_TOO_LARGE and sends none of its batch", async () => {
      const s = ctx.sid("large");
      const huge = "x".repeat(MAX_MESSAGE_BYTES + 1000);
      await expectCode(
        ctx.queue.send(ctx.name, [
          { sessionId: s, body: "small" },
          { sessionId: s, body: huge },
        ]),
        "QUEUE_MESSAGE_TOO_LARGE",
      );
      await expect(ctx.queue.depth(ctx.name)).resolves.toEqual({ active: 0, deadLetter: 0 });
      // 200 KB leaves room for any adapter's headers.
      const big = "y".repeat(200 * 1024);
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: { big } }]);
      const receiver = await acceptNamed(ctx, s);
      const [m] = await receiveAll(ctx, receiver, 1);
      expect(m?.body).toEqual({ big });
      if (m) await receiver.complete(m);
      await receiver.close();
    });

    it("copies bodies and state: changing what was sent or received changes nothing queued", async () => {
      const s = ctx.sid("copy");
      const body = { tile: { x: 1 }, list: [1, 2] };
      await ctx.queue.send(ctx.name, [{ sessionId: s, body }]);
      body.tile.x = 99;
      body.list.push(3);
      const receiver = await acceptNamed(ctx, s);
      const [first] = await receiveAll(ctx, receiver, 1);
      if (!first) throw new Error("expected a message");
      expect(first.body).toEqual({ tile: { x: 1 }, list: [1, 2] });
      (first.body as { list: number[] }).list.push(4);
      await receiver.abandon(first);
      const [again] = await receiveAll(ctx, receiver, 1);
      expect(again?.body).toEqual({ tile: { x: 1 }, list: [1, 2] });
      if (again) await receiver.complete(again);

      const state = { done: [1] };
      await receiver.setState(state);
      state.done.push(2);
      const read = (await receiver.getState()) as { done: number[] };
      expect(read).toEqual({ done: [1] });
      read.done.push(3);
      await expect(receiver.getState()).resolves.toEqual({ done: [1] });
      await receiver.setState(null);
      await receiver.close();
    });

    it("reports an unknown queue with QUEUE_NOT_FOUND", async () => {
      await expectCode(ctx.queue.send("no-such-queue", [{ sessionId: "s", body: 1 }]), "QUEUE_NOT_FOUND");
      await expectCode(ctx.queue.acceptSession("no-such-queue", undefined, { timeoutMs: 0 }), "QUEUE_NOT_FOUND");
      await expectCode(ctx.queue.receiveDeadLetters("no-such-queue", 1), "QUEUE_NOT_FOUND");
      await expectCode(ctx.queue.depth("no-such-queue"), "QUEUE_NOT_FOUND");
    });
  });
}
