// Retry delays: exponential ceilings with full jitter, capped, reset by a success; and a pause
// that a stopping worker cuts short.

import { describe, expect, it } from "vitest";
import { Backoff, pause } from "../../engine/backoff.js";

describe("Backoff", () => {
  it("doubles the ceiling per failure up to the cap, and draws each delay under it", () => {
    // random() just under 1 gives the ceiling's top; 0 gives no wait at all.
    const top = new Backoff({ baseMs: 100, capMs: 5_000, random: () => 0.999999 });
    expect(Array.from({ length: 9 }, () => top.next())).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999, 4999]);
    expect(top.attempts).toBe(9);
    const bottom = new Backoff({ random: () => 0 });
    expect([bottom.next(), bottom.next(), bottom.next()]).toEqual([0, 0, 0]);
  });

  it("spreads the delays of loops that fail together (full jitter)", () => {
    const loops = Array.from({ length: 50 }, () => new Backoff({ baseMs: 100, capMs: 5_000 }));
    for (const b of loops) for (let i = 0; i < 6; i++) b.next();
    const delays = loops.map((b) => b.next());
    expect(delays.every((d) => d >= 0 && d < 5_000)).toBe(true);
    // 50 uniform draws under 5 s: the chance that fewer than 25 differ is nil.
    expect(new Set(delays).size).toBeGreaterThan(25);
  });

  it("starts again from the smallest delay after a success", () => {
    const b = new Backoff({ baseMs: 100, capMs: 5_000, random: () => 0.5 });
    for (let i = 0; i < 10; i++) b.next();
    expect(b.ceilingMs).toBe(5_000);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(50);
  });

  it("stays finite however long the outage lasts", () => {
    const b = new Backoff({ random: () => 0.5 });
    for (let i = 0; i < 10_000; i++) b.next();
    expect(b.next()).toBe(2_500);
  });

  it("refuses settings that make no sense", () => {
    expect(() => new Backoff({ baseMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ baseMs: 100, capMs: 50 })).toThrow(/baseMs <= capMs/);
  });
});

describe("pause", () => {
  it("waits the delay, or returns as soon as a signal aborts", async () => {
    const started = performance.now();
    await pause(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    const stop = new AbortController();
    const waiting = pause(60_000, undefined, stop.signal);
    stop.abort();
    await waiting; // would time the test out if the abort were ignored
    await pause(60_000, stop.signal); // already aborted: no wait
  });
});
