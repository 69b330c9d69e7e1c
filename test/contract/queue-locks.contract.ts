import { describe, expect, it } from "vitest";
import { acceptNamed, bodies, eventually, expectCode, type QueueContext, receiveAll, within } from "./queue-harness.js";

/** Session locks, settling, redelivery and dead-lettering: what happens when work goes wrong. */
export function lockCases(ctx: QueueContext): void {
  describe("locks and settling", () => {
    it("lets one receiver hold a session at a time (QUEUE_SESSION_LOCKED), until it closes", async () => {
      const s = ctx.sid("exclusive");
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: 1 }]);
      const first = await acceptNamed(ctx, s);
      await expectCode(ctx.queue.acceptSession(ctx.name, s), "QUEUE_SESSION_LOCKED");
      // Accept-next skips the locked session even though it has a message.
      const wait = ctx.lockMs / 4;
      await expect(within(ctx.h, ctx.queue.acceptSession(ctx.name, undefined, { timeoutMs: wait }), wait)).resolves.toBeNull();
      await first.close();
      const second = await acceptNamed(ctx, s);
      expect(second.sessionId).toBe(s);
      await second.close();
    });

    it("frees a session whose lock expired and redelivers its unsettled messages, in order, with deliveryCount + 1", async () => {
      const s = ctx.sid("expiry");
      await ctx.queue.send(
        ctx.name,
        ["done", "a", "b"].map((body) => ({ sessionId: s, body })),
      );
      const stalled = await acceptNamed(ctx, s);
      const [done, a] = await receiveAll(ctx, stalled, 3);
      if (!done || !a) throw new Error("expected three messages");
      await stalled.complete(done);
      // Waiting from before the expiry: the session must come free with no other activity.
      const next = ctx.queue.acceptSession(ctx.name, undefined, { timeoutMs: ctx.lockMs * 2 });
      const rescuer = await within(ctx.h, next, ctx.lockMs * 2);
      expect(rescuer?.sessionId).toBe(s);
      if (!rescuer) return;
      const again = await receiveAll(ctx, rescuer, 2);
      expect(bodies(again)).toEqual(["a", "b"]);
      expect(again.map((m) => m.deliveryCount)).toEqual([2, 2]);
      await expectCode(stalled.complete(a), "QUEUE_LOCK_LOST");
      await expectCode(stalled.receive(1, { timeoutMs: 0 }), "QUEUE_LOCK_LOST");
      await expectCode(stalled.renewLock(), "QUEUE_LOCK_LOST");
      await stalled.close();
      for (const m of again) await rescuer.complete(m);
      await rescuer.close();
    });

    it("keeps the session while the lock is renewed", async () => {
      const s = ctx.sid("renew");
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: 1 }]);
      const receiver = await acceptNamed(ctx, s);
      const firstDeadline = receiver.lockedUntil;
      const [m] = await receiveAll(ctx, receiver, 1);
      await ctx.h.advance(ctx.lockMs * 0.6);
      const renewed = await receiver.renewLock();
      expect(renewed).toBeGreaterThan(firstDeadline);
      expect(receiver.lockedUntil).toBe(renewed);
      // Past the first deadline, within the renewed one.
      await ctx.h.advance(ctx.lockMs * 0.6);
      await expectCode(ctx.queue.acceptSession(ctx.name, s), "QUEUE_SESSION_LOCKED");
      if (m) await receiver.complete(m);
      await receiver.close();
    });

    it("puts an abandoned message back at the front with deliveryCount + 1", async () => {
      const s = ctx.sid("abandon");
      await ctx.queue.send(
        ctx.name,
        ["a", "b", "c"].map((body) => ({ sessionId: s, body })),
      );
      const receiver = await acceptNamed(ctx, s);
      const [a] = await receiveAll(ctx, receiver, 1);
      if (!a) throw new Error("expected a message");
      await receiver.abandon(a);
      await expectCode(receiver.abandon(a), "QUEUE_LOCK_LOST");
      const all = await receiveAll(ctx, receiver, 3);
      expect(bodies(all)).toEqual(["a", "b", "c"]);
      expect(all.map((m) => m.deliveryCount)).toEqual([2, 1, 1]);
      for (const m of all) await receiver.complete(m);
      await expectCode(receiver.complete(all[0] as (typeof all)[0]), "QUEUE_LOCK_LOST");
      await receiver.close();
    });

    it("dead-letters a message delivered maxDeliveryCount times, with reason MaxDeliveryCountExceeded", async () => {
      const s = ctx.sid("poison");
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: "poison", messageId: "p-1" }]);
      const receiver = await acceptNamed(ctx, s);
      for (let delivery = 1; delivery <= ctx.h.maxDeliveryCount; delivery++) {
        const [m] = await receiveAll(ctx, receiver, 1);
        expect(m?.deliveryCount).toBe(delivery);
        if (m) await receiver.abandon(m);
      }
      const wait = ctx.lockMs / 4;
      await expect(within(ctx.h, receiver.receive(1, { timeoutMs: wait }), wait)).resolves.toEqual([]);
      await eventually(ctx.h, async () => expect(await ctx.queue.depth(ctx.name)).toEqual({ active: 0, deadLetter: 1 }));
      const letters = await ctx.queue.receiveDeadLetters(ctx.name, 10);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        messageId: "p-1",
        sessionId: s,
        body: "poison",
        deadLetterReason: "MaxDeliveryCountExceeded",
      });
      await receiver.close();
    });

    it("dead-letters explicitly with a reason and description; receiveDeadLetters removes them", async () => {
      const s = ctx.sid("explicit");
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: { tile: 3 }, properties: { job: "j1" } }]);
      const receiver = await acceptNamed(ctx, s);
      const [m] = await receiveAll(ctx, receiver, 1);
      if (!m) throw new Error("expected a message");
      await receiver.deadLetter(m, "TileFailed", "tile 3 is corrupt");
      await expectCode(receiver.complete(m), "QUEUE_LOCK_LOST");
      await eventually(ctx.h, async () => expect(await ctx.queue.depth(ctx.name)).toEqual({ active: 0, deadLetter: 1 }));
      const letters = await ctx.queue.receiveDeadLetters(ctx.name, 10);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        sessionId: s,
        messageId: m.messageId,
        body: { tile: 3 },
        properties: { job: "j1" },
        deadLetterReason: "TileFailed",
        deadLetterDescription: "tile 3 is corrupt",
      });
      await expect(ctx.queue.receiveDeadLetters(ctx.name, 10)).resolves.toEqual([]);
      await eventually(ctx.h, async () => expect(await ctx.queue.depth(ctx.name)).toEqual({ active: 0, deadLetter: 0 }));
      await receiver.close();
    });

    it("serves concurrent receiveDeadLetters calls (every job's watcher may look at once)", async () => {
      const s = ctx.sid("dlq-race");
      await ctx.queue.send(
        ctx.name,
        [1, 2].map((n) => ({ sessionId: s, body: n })),
      );
      const receiver = await acceptNamed(ctx, s);
      for (const m of await receiveAll(ctx, receiver, 2)) await receiver.deadLetter(m, "Test", "race");
      await eventually(ctx.h, async () => expect((await ctx.queue.depth(ctx.name)).deadLetter).toBe(2));
      const calls = [0, 1, 2].map(() => within(ctx.h, ctx.queue.receiveDeadLetters(ctx.name, 10), ctx.lockMs / 2));
      const letters = (await Promise.all(calls)).flat();
      expect(bodies(letters).sort()).toEqual([1, 2]);
      await receiver.close();
    });

    it("keeps session state across receivers", async () => {
      const s = ctx.sid("state");
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: 1 }]);
      const first = await acceptNamed(ctx, s);
      await expect(first.getState()).resolves.toBeNull();
      const [m] = await receiveAll(ctx, first, 1);
      await first.setState({ tilesDone: 1, last: "t-0" });
      if (m) await first.complete(m);
      await first.close();
      await expectCode(first.getState(), "QUEUE_LOCK_LOST");
      const second = await acceptNamed(ctx, s);
      await expect(second.getState()).resolves.toEqual({ tilesDone: 1, last: "t-0" });
      await second.setState(null);
      await expect(second.getState()).resolves.toBeNull();
      await second.close();
    });

    it("releases the session on close at once; unsettled messages come back with deliveryCount + 1", async () => {
      const s = ctx.sid("close");
      await ctx.queue.send(ctx.name, [{ sessionId: s, body: "a" }]);
      const first = await acceptNamed(ctx, s);
      const [a] = await receiveAll(ctx, first, 1);
      if (!a) throw new Error("expected a message");
      await first.close();
      await first.close();
      await expectCode(first.complete(a), "QUEUE_LOCK_LOST");
      await expectCode(first.receive(1, { timeoutMs: 0 }), "QUEUE_LOCK_LOST");
      const second = await acceptNamed(ctx, s);
      const [again] = await receiveAll(ctx, second, 1);
      expect(again).toMatchObject({ body: "a", deliveryCount: 2, messageId: a.messageId });
      if (again) await second.complete(again);
      await second.close();
    });
  });
}
