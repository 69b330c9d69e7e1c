import { type BandEvent, EVENTS_QUEUE, isBandEvent } from "./messages.js";
import type { Queue, SessionReceiver } from "./ports/queue.js";

/**
 * The job's session on the `events` queue, re-accepted if its lock is lost. Events are
 * completed as soon as they are read: the coordinator's progress is rebuilt from the band
 * blobs after a restart, so an event is only ever a hint.
 */
export class EventSession {
  private receiver: SessionReceiver | null = null;
  constructor(
    private readonly queue: Queue,
    private readonly jobId: string,
  ) {}

  async receive(max: number, timeoutMs: number): Promise<BandEvent[]> {
    try {
      this.receiver ??= await this.queue.acceptSession(EVENTS_QUEUE, this.jobId, { timeoutMs });
      if (!this.receiver) return [];
      const messages = await this.receiver.receive(max, { timeoutMs });
      const events: BandEvent[] = [];
      for (const m of messages) {
        await this.receiver.complete(m);
        if (isBandEvent(m.body)) events.push(m.body);
      }
      if (messages.length === 0) await this.receiver.renewLock();
      return events;
    } catch (err) {
      // Lost or contested lock: drop the receiver and accept the session again next time.
      const code = (err as { code?: string }).code;
      if (code !== "QUEUE_LOCK_LOST" && code !== "QUEUE_SESSION_LOCKED") throw err;
      await this.close();
      return [];
    }
  }

  async close(): Promise<void> {
    const r = this.receiver;
    this.receiver = null;
    await r?.close().catch(() => undefined);
  }
}
