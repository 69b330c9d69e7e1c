import { describe, expect, it } from "vitest";
import { Autoscaler } from "../../engine/autoscale.js";

const rule = { min: 1, max: 3, growAbove: 10, sustainMs: 1_000, idleMs: 5_000, cooldownMs: 2_000 };

describe("autoscale rule", () => {
  it("grows only after the backlog per worker stayed high for sustainMs, then cools down", () => {
    const a = new Autoscaler(rule);
    expect(a.decide({ now: 0, backlog: 50, workers: 1 })).toBe("hold");
    expect(a.decide({ now: 999, backlog: 50, workers: 1 })).toBe("hold");
    expect(a.decide({ now: 1_000, backlog: 50, workers: 1 })).toBe("grow");
    // Cooling down, even though the backlog is still high; then it must stay high afresh.
    expect(a.decide({ now: 2_500, backlog: 50, workers: 2 })).toBe("hold");
    expect(a.decide({ now: 3_000, backlog: 50, workers: 2 })).toBe("hold");
    expect(a.decide({ now: 3_500, backlog: 50, workers: 2 })).toBe("grow");
    // At max it holds.
    expect(a.decide({ now: 10_000, backlog: 500, workers: 3 })).toBe("hold");
    expect(a.decide({ now: 20_000, backlog: 500, workers: 3 })).toBe("hold");
  });

  it("divides the backlog by the workers: 25 messages over 3 workers is not high", () => {
    const a = new Autoscaler(rule);
    expect(a.decide({ now: 0, backlog: 25, workers: 3 })).toBe("hold");
    expect(a.decide({ now: 5_000, backlog: 25, workers: 3 })).toBe("hold");
  });

  it("a dip resets the high-backlog clock", () => {
    const a = new Autoscaler(rule);
    a.decide({ now: 0, backlog: 50, workers: 1 });
    a.decide({ now: 600, backlog: 5, workers: 1 });
    expect(a.decide({ now: 1_200, backlog: 50, workers: 1 })).toBe("hold");
    expect(a.decide({ now: 2_200, backlog: 50, workers: 1 })).toBe("grow");
  });

  it("shrinks one worker per idle period down to min", () => {
    const a = new Autoscaler(rule);
    expect(a.decide({ now: 0, backlog: 0, workers: 3 })).toBe("hold");
    expect(a.decide({ now: 5_000, backlog: 0, workers: 3 })).toBe("shrink");
    expect(a.decide({ now: 8_000, backlog: 0, workers: 2 })).toBe("hold");
    expect(a.decide({ now: 13_000, backlog: 0, workers: 2 })).toBe("shrink");
    expect(a.decide({ now: 30_000, backlog: 0, workers: 1 })).toBe("hold");
  });

  it("restores min at once when a worker died, and refuses an impossible range", () => {
    const a = new Autoscaler({ ...rule, min: 2 });
    expect(a.decide({ now: 0, backlog: 0, workers: 1 })).toBe("grow");
    expect(() => new Autoscaler({ ...rule, min: 3, max: 2 })).toThrow(/1 <= min <= max/);
    expect(() => new Autoscaler({ ...rule, min: 0 })).toThrow(/1 <= min <= max/);
  });
});
