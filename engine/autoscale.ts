/**
 * When to add or remove a worker, from the tiles backlog: the same rule the Azure autoscale
 * setting applies to a VM Scale Set (Service Bus `ActiveMessages` of `tiles`, divided by the
 * instance count), here as a pure function so the local cluster and its tests share it.
 *
 * Grow when the backlog per worker has stayed above `growAbove` for `sustainMs`; shrink by one
 * when the queue has been empty for `idleMs`; never beyond [min, max]; and after any change,
 * wait `cooldownMs` so the new worker's effect shows before the next decision.
 */

export interface AutoscaleRule {
  min: number;
  max: number;
  /** Active tile messages per worker above which the cluster grows. */
  growAbove: number;
  /** How long the backlog must stay high before growing. */
  sustainMs: number;
  /** How long the queue must stay empty before shrinking. */
  idleMs: number;
  /** Quiet time after a change. */
  cooldownMs: number;
}

export const DEFAULT_AUTOSCALE: Omit<AutoscaleRule, "min" | "max"> = {
  growAbove: 16,
  sustainMs: 2_000,
  idleMs: 10_000,
  cooldownMs: 3_000,
};

export interface AutoscaleObservation {
  now: number;
  /** Active messages on the tiles queue. */
  backlog: number;
  workers: number;
}

export type AutoscaleDecision = "grow" | "shrink" | "hold";

/** Remembers how long the backlog has been high or empty; `decide` is called once per look. */
export class Autoscaler {
  private highSince: number | undefined;
  private idleSince: number | undefined;
  private lastChange = Number.NEGATIVE_INFINITY;

  constructor(readonly rule: AutoscaleRule) {
    if (!Number.isInteger(rule.min) || rule.min < 1 || !Number.isInteger(rule.max) || rule.max < rule.min) {
      throw new RangeError(`autoscale needs 1 <= min <= max, got min ${rule.min}, max ${rule.max}`);
    }
  }

  decide({ now, backlog, workers }: AutoscaleObservation): AutoscaleDecision {
    // Outside the range (a worker died, or the cluster just started): correct at once.
    if (workers < this.rule.min) return this.change(now, "grow");
    if (workers > this.rule.max) return this.change(now, "shrink");
    const perWorker = backlog / Math.max(1, workers);
    this.highSince = perWorker > this.rule.growAbove ? (this.highSince ?? now) : undefined;
    this.idleSince = backlog === 0 ? (this.idleSince ?? now) : undefined;
    if (now - this.lastChange < this.rule.cooldownMs) return "hold";
    if (this.highSince !== undefined && now - this.highSince >= this.rule.sustainMs && workers < this.rule.max) {
      return this.change(now, "grow");
    }
    if (this.idleSince !== undefined && now - this.idleSince >= this.rule.idleMs && workers > this.rule.min) {
      return this.change(now, "shrink");
    }
    return "hold";
  }

  private change(now: number, decision: "grow" | "shrink"): AutoscaleDecision {
    this.lastChange = now;
    this.highSince = undefined;
    // Idleness is measured afresh after each change: shrink one worker per idle period.
    this.idleSince = undefined;
    return decision;
  }
}
