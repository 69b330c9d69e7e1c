/**
 * Every default the system falls back to, in one table: a setting that nobody set takes its
 * value from here, whichever file reads it. The environment variables and flags that override
 * them are listed in docs/operations.md.
 */

import type { QueueConfig } from "./ports/queue.js";

export const DEFAULTS = {
  /**
   * Bytes of band rows (decoded windows and results) one worker process holds at once, beyond
   * the two bands it always lets in (workers/band-budget.ts). A band of a JPEG source is an RGB
   * window and its result (grey for an edge pipeline): every band of a 24 MP image fits (~11 MB
   * each), seven of a 100 MP one (~21 MB), and of a gigapixel one (~65 MB) only the two always
   * let in: 62 tiles each, enough for 16 threads. 384 MB let a 100 MP image hold nine bands at
   * 16 threads where six were as fast; 224 MB let a gigapixel image hold a third band, ~65 MB
   * more at its peak for the same wall time.
   */
  bandBudgetBytes: 160 * 1024 * 1024,
  /**
   * The queues on Azure Service Bus (and the emulator): a lock outlives a slow band by far (the
   * worker renews it at a third), and ten deliveries ride out a few worker deaths before a band
   * is dead-lettered (TESSERA_LOCK_MS, TESSERA_MAX_DELIVERY_COUNT).
   */
  queue: { lockDurationMs: 60_000, maxDeliveryCount: 10 } satisfies QueueConfig,
  /** `tessera cluster` on one machine: a hung worker holds its bands half as long (--lock-ms). */
  localClusterQueue: { lockDurationMs: 30_000, maxDeliveryCount: 10 } satisfies QueueConfig,
  /**
   * One process (`tessera serve`, `tessera process`): no other machine's worker can die, so a
   * band that fails three times is a bad band, not bad luck.
   */
  embeddedQueue: { lockDurationMs: 30_000, maxDeliveryCount: 3 } satisfies QueueConfig,
  /** How long a worker loop waits for a free session per try. */
  acceptTimeoutMs: 2_000,
  /** The same in one process, where closing the queue ends a pending accept at once anyway. */
  embeddedAcceptTimeoutMs: 200,
  /** How long the coordinator waits for progress events before it looks at dead letters. */
  pollMs: 500,
  /** How long an ended job is kept (TESSERA_RESULT_TTL). */
  resultTtlMs: 24 * 3_600_000,
  /** How often expired jobs and orphan blobs are swept. */
  sweepEveryMs: 60_000,
  /** How long a job waits out an unreachable queue or blob store before it fails. */
  outageBudgetMs: 120_000,
  /** The largest image, in pixels, checked from its header (TESSERA_MAX_PIXELS). */
  maxPixels: 100_000_000,
  /**
   * Sources up to this many pixels that cannot be read a region at a time where they lie are
   * decoded whole once, and their regions copied out of that buffer (64 MB at most); larger
   * ones are rewritten as a tiled temporary copy first (infra/adapters/region-reader.ts).
   * The copy is written and read back, twice the work of one decode: worth it only where
   * holding the decoded image would cost more than the copy.
   */
  decodeWholePixels: 16_000_000,
} as const;
