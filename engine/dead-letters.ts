/**
 * The tiles the cluster gave up on, as the coordinator found them in the dead-letter queue:
 * kept (the most recent ones) so GET /v1/cluster and the UI can show what failed and why,
 * after the letters themselves are gone from the queue.
 */

import type { TileMessage } from "./messages.js";
import type { DeadLetter } from "./ports/queue.js";

export interface DeadLetteredTile {
  jobId: string | null;
  stage: number | null;
  tile: number | null;
  /** `TileFailed` (a worker's last try failed) or `MaxDeliveryCountExceeded` (workers kept dying on it). */
  reason: string;
  description: string;
  deliveries: number;
  /** When the coordinator read it (ms since the epoch). */
  at: number;
}

export class RecentDeadLetters {
  private readonly letters: DeadLetteredTile[] = [];
  /** Every letter ever read, by reason (for a Prometheus counter). */
  readonly totals = new Map<string, number>();
  constructor(private readonly keep = 50) {}

  add(letter: DeadLetter, at: number): DeadLetteredTile {
    const body = letter.body as Partial<TileMessage> | null;
    const record: DeadLetteredTile = {
      jobId: typeof body?.jobId === "string" ? body.jobId : null,
      stage: typeof body?.stage === "number" ? body.stage : null,
      tile: typeof body?.tile === "number" ? body.tile : null,
      reason: letter.deadLetterReason,
      description: letter.deadLetterDescription,
      deliveries: letter.deliveryCount,
      at,
    };
    this.letters.push(record);
    this.totals.set(record.reason, (this.totals.get(record.reason) ?? 0) + 1);
    if (this.letters.length > this.keep) this.letters.shift();
    return record;
  }

  /** Newest first. */
  list(): DeadLetteredTile[] {
    return this.letters.map((l) => ({ ...l })).reverse();
  }
}
