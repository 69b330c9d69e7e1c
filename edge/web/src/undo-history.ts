// Undo and redo over whole states. A burst of changes to one thing (a slider being dragged, text
// being typed) becomes one step: a record with the same `group` as the one before, soon after
// it, replaces that record instead of adding another.

const GROUP_WINDOW_MS = 1000;
const LIMIT = 200;

export class UndoHistory<T> {
  private past: T[] = [];
  private future: T[] = [];
  private present: T;
  private lastGroup: string | null = null;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    initial: T,
    private readonly same: (a: T, b: T) => boolean,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.present = initial;
  }

  /** Starts over from `state` (nothing to undo). */
  reset(state: T): void {
    this.past = [];
    this.future = [];
    this.present = state;
    this.lastGroup = null;
  }

  /** The state after a change the user made; `group` names what changed, to merge a burst. */
  record(state: T, group: string | null = null): void {
    if (this.same(state, this.present)) return;
    const at = this.now();
    const merge = group !== null && group === this.lastGroup && at - this.lastAt < GROUP_WINDOW_MS && this.past.length > 0;
    if (!merge) {
      this.past.push(this.present);
      if (this.past.length > LIMIT) this.past.shift();
    }
    this.present = state;
    this.future = [];
    this.lastGroup = group;
    this.lastAt = at;
  }

  /** The state to go back to, or null when there is none. */
  undo(): T | null {
    const previous = this.past.pop();
    if (previous === undefined) return null;
    this.future.push(this.present);
    this.present = previous;
    this.lastGroup = null;
    return previous;
  }

  redo(): T | null {
    const next = this.future.pop();
    if (next === undefined) return null;
    this.past.push(this.present);
    this.present = next;
    this.lastGroup = null;
    return next;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }
}
