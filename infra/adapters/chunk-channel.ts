/**
 * A producer that pushes chunks (a join writing through a sink callback) turned into an async
 * iterable a consumer pulls (a blob store's putStream), with a bounded backlog so a slow store
 * holds the producer back instead of letting chunks pile up in memory.
 */

export class ChunkChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  /** The consumer waiting for a chunk, or the producer waiting for room. */
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private consumerGone = false;

  constructor(private readonly backlog = 8) {}

  /** Resolves once the chunk is queued; rejects if the consumer has stopped pulling. */
  async push(chunk: Uint8Array): Promise<void> {
    while (this.queue.length >= this.backlog && !this.consumerGone) {
      await new Promise<void>((resolve) => {
        this.wakeProducer = resolve;
      });
    }
    if (this.consumerGone) throw new Error("the stream's reader stopped before the end");
    this.queue.push(chunk);
    this.wake("consumer");
  }

  /** No more chunks; the consumer ends after the queued ones. */
  close(): void {
    this.ended = true;
    this.wake("consumer");
  }

  /** The producer failed: the consumer's next pull rejects with `error`. */
  fail(error: unknown): void {
    this.failure = { error };
    this.wake("consumer");
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        if (this.failure) throw this.failure.error;
        const chunk = this.queue.shift();
        if (chunk) {
          this.wake("producer");
          yield chunk;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wakeConsumer = resolve;
        });
      }
    } finally {
      // An early return (the store failed) must not leave the producer waiting for room forever.
      this.consumerGone = true;
      this.wake("producer");
    }
  }

  private wake(who: "consumer" | "producer"): void {
    const wake = who === "consumer" ? this.wakeConsumer : this.wakeProducer;
    if (who === "consumer") this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    wake?.();
  }
}
