/**
 * The band rows a worker process holds at once, in bytes. A loop takes its band's share (the
 * decoded window and the result rows) before reading it and gives it back once the band is
 * written, so a wide image cannot have every loop holding a band at once: a band of a
 * gigapixel image is ~49 MB decoded (RGB) and 16 MB more for an edge map's grey result, and
 * ten loops would hold 650 MB where two keep 16 threads busy (such a band is 62 tiles). Two
 * bands are let in whatever their size, one computing while the next is read: a band larger
 * than the budget only waits for a third. Window and result buffers are lent from here too, so a loop that
 * waits holds none; the free ones kept never add up to more than the budget.
 */

/** Bands let in whatever their size: one on the threads, one being read and decoded. */
const ALWAYS = 2;

export class BandBudget {
  private used = 0;
  private bands = 0;
  private waiting: (() => void)[] = [];
  private readonly free: SharedArrayBuffer[] = [];

  constructor(readonly bytes: number) {}

  /**
   * Waits until a band of `bytes` fits, or fewer than two bands are held; rejects if `signal`
   * aborts first. A share of 0 (a message that holds no band rows) never waits and counts no band.
   */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    while (bytes > 0 && this.bands >= ALWAYS && this.used + bytes > this.bytes) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    signal?.throwIfAborted();
    this.used += bytes;
    if (bytes > 0) this.bands++;
  }

  /** Gives back a band's share, as taken (0 for none). */
  give(bytes: number): void {
    this.used -= bytes;
    if (bytes > 0) this.bands--;
    // Every waiter checks again: a small band may fit where a large one does not.
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  /** Bytes taken and not yet given back. */
  get held(): number {
    return this.used;
  }

  /** A shared buffer of at least `bytes` for a band's result: a free one when one is big enough. */
  buffer(bytes: number): SharedArrayBuffer {
    const index = this.free.findIndex((b) => b.byteLength >= bytes);
    return index >= 0 ? (this.free.splice(index, 1)[0] as SharedArrayBuffer) : new SharedArrayBuffer(bytes);
  }

  /** Takes a result buffer back for a later band, if the free ones still fit the budget with it. */
  recycle(buffer: SharedArrayBuffer): void {
    const kept = this.free.reduce((n, b) => n + b.byteLength, 0);
    if (kept + buffer.byteLength <= this.bytes) this.free.push(buffer);
  }
}
