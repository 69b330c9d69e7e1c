// The band rows a worker process may hold at once (workers/band-budget.ts): a band waits for
// room, two bands go in whatever their size, an abort ends the wait, and result
// buffers come back for later bands without the free ones outgrowing the budget.

import { describe, expect, it } from "vitest";
import { BandBudget } from "../../workers/band-budget.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("the band budget", () => {
  it("lets bands in while they fit, and the next one when one is given back", async () => {
    const budget = new BandBudget(100);
    await budget.take(40);
    await budget.take(40);
    let third = false;
    const waiting = budget.take(40).then(() => {
      third = true;
    });
    await tick();
    expect(third).toBe(false);
    budget.give(40);
    await waiting;
    expect(third).toBe(true);
    expect(budget.held).toBe(80);
  });

  it("lets two bands in whatever their size, and waits with a third", async () => {
    const budget = new BandBudget(100);
    await budget.take(250); // nothing else held: in it goes
    await budget.take(250); // one held: one computing, one being read
    let third = false;
    const waiting = budget.take(10).then(() => {
      third = true;
    });
    await tick();
    expect(third).toBe(false);
    budget.give(250);
    await tick();
    expect(third).toBe(true); // two held again, one of them small
    await waiting;
    expect(budget.held).toBe(260);
    await budget.take(0); // a message without band rows never waits
    budget.give(0);
    expect(budget.held).toBe(260);
  });

  it("stops waiting when the band is aborted, holding nothing", async () => {
    const budget = new BandBudget(100);
    await budget.take(50);
    await budget.take(40);
    const abort = new AbortController();
    const waiting = budget.take(20, abort.signal);
    abort.abort(new Error("lock lost"));
    await expect(waiting).rejects.toThrow("lock lost");
    expect(budget.held).toBe(90);
  });

  it("lends result buffers again, keeping no more free than the budget", () => {
    const budget = new BandBudget(100);
    const a = budget.buffer(60);
    const b = budget.buffer(60);
    budget.recycle(a);
    budget.recycle(b); // 120 free would exceed the budget: b is let go
    expect(budget.buffer(50)).toBe(a);
    expect(budget.buffer(50)).not.toBe(b);
  });
});
