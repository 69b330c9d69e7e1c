import { describe, expect, it } from "vitest";
import { ManualClock } from "../helpers/manual-clock.js";

describe("ManualClock", () => {
  it("runs due callbacks in time order, ties in schedule order, each at its own time", async () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    clock.schedule(30, () => seen.push(`c@${clock.now()}`));
    clock.schedule(10, () => seen.push(`a@${clock.now()}`));
    clock.schedule(10, () => seen.push(`b@${clock.now()}`));
    const cancel = clock.schedule(20, () => seen.push("cancelled"));
    cancel();
    await clock.advance(25);
    expect(seen).toEqual(["a@10", "b@10"]);
    expect(clock.now()).toBe(25);
    await clock.advance(5);
    expect(seen).toEqual(["a@10", "b@10", "c@30"]);
    expect(clock.pending).toBe(0);
  });

  it("settles promise chains between callbacks, so work they start can schedule more within the same advance", async () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    const first = new Promise<void>((resolve) => clock.schedule(10, resolve));
    void first.then(() => Promise.resolve()).then(() => clock.schedule(5, () => seen.push(clock.now())));
    await clock.advance(100);
    expect(seen).toEqual([15]);
  });

  it("refuses to go back in time", async () => {
    await expect(new ManualClock().advance(-1)).rejects.toThrow(RangeError);
  });
});
