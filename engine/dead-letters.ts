/**
 * The coordinator's watch on the `tiles` dead-letter queue: each letter fails the job it
 * belongs to, with the reason, and is kept (the most recent ones, and a count per reason) so
 * GET /v1/cluster, the UI and Prometheus can show what failed and why after the letter itself
 * is gone from the queue.
 */

import type { JobError } from "./job.js";
import { type BandMessage, TILES_QUEUE } from "./messages.js";
import type { Clock } from "./ports/clock.js";
import type { Logger } from "./ports/logger.js";
import type { DeadLetter, Queue } from "./ports/queue.js";

export interface DeadLetteredBand {
  jobId: string | null;
  stage: number | null;
  band: number | null;
  /** `BandFailed` (a worker's last try failed) or `MaxDeliveryCountExceeded` (workers kept dying on it). */
  reason: string;
  description: string;
  deliveries: number;
  /** When the coordinator read it (ms since the epoch). */
  at: number;
}

/** Letters read per look. */
const BATCH = 32;

export class DeadLetterWatch {
  private readonly letters: DeadLetteredBand[] = [];
  /** Every letter ever read, by reason (for a Prometheus counter). */
  private readonly totals = new Map<string, number>();

  constructor(
    private readonly queue: Queue,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Fails a job that is still running; a no-op for one that ended. */
    private readonly failJob: (jobId: string, error: JobError) => Promise<void>,
    private readonly keep = 50,
  ) {}

  /** Reads what arrived, records it, and fails the jobs the letters belong to. */
  async look(): Promise<void> {
    for (const letter of await this.queue.receiveDeadLetters(TILES_QUEUE, BATCH)) {
      const record = this.record(letter);
      this.log.warn({ ...record }, "band dead-lettered");
      if (record.jobId === null) continue;
      const why = record.description ? `${record.reason}: ${record.description}` : record.reason;
      await this.failJob(record.jobId, {
        code: "TILE_DEAD_LETTERED",
        message: `band ${record.band} of stage ${record.stage} was dead-lettered after ${record.deliveries} deliveries (${why})`,
      });
    }
  }

  /** The most recent letters, newest first, and the count per reason since start. */
  snapshot(): { recent: DeadLetteredBand[]; totals: Map<string, number> } {
    return { recent: this.letters.map((l) => ({ ...l })).reverse(), totals: new Map(this.totals) };
  }

  private record(letter: DeadLetter): DeadLetteredBand {
    const body = letter.body as Partial<BandMessage> | null;
    const record: DeadLetteredBand = {
      jobId: typeof body?.jobId === "string" ? body.jobId : null,
      stage: typeof body?.stage === "number" ? body.stage : null,
      band: typeof body?.band === "number" ? body.band : null,
      reason: letter.deadLetterReason,
      description: letter.deadLetterDescription,
      deliveries: letter.deliveryCount,
      at: this.clock.now(),
    };
    this.letters.push(record);
    if (this.letters.length > this.keep) this.letters.shift();
    this.totals.set(record.reason, (this.totals.get(record.reason) ?? 0) + 1);
    return record;
  }
}
