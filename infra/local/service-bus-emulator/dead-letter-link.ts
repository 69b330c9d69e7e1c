/**
 * A dead-letter queue receiver link (`<queue>/$DeadLetterQueue`; the client's receiver, the
 * emulator's sender), receive-and-delete only: the client attaches with snd-settle-mode
 * `settled`, and each dead letter goes out pre-settled and is gone from the queue. A
 * peek-lock attach is refused with `amqp:not-implemented` (MemoryQueue takes dead letters;
 * it cannot lock and put them back).
 *
 * The client gives credit for each receiveMessages() call and drains what is left when its
 * wait ends; the link sends what there is, polls while it still has credit, and answers a
 * drain as soon as the dead-letter queue is empty.
 */

import { guidBytes } from "./amqp-encoding.js";
import type { QueueStore } from "./queue-store.js";
import { answerDrain, creditCounted, type Sender } from "./rhea-types.js";
import { toWire } from "./wire.js";

const SETTLED = 1;
/** MemoryQueue has no dead-letter notification, so a waiting link looks this often. */
const POLL_MS = 50;

export class DeadLetterLink {
  private pumping = false;
  private ended = false;
  private poll: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly store: QueueStore,
    private readonly queue: string,
    private readonly link: Sender,
  ) {}

  /** Called synchronously from `sender_open`, before rhea sends its attach reply. */
  start(): void {
    const address = this.link.remote.attach?.source?.address ?? this.queue;
    this.link.set_source({ address });
    if (this.link.remote.attach?.snd_settle_mode !== SETTLED) {
      this.ended = true;
      this.link.close({
        condition: "amqp:not-implemented",
        description:
          "The emulator's dead-letter queue supports receiveAndDelete only; create the receiver with { subQueueType: 'deadLetter', receiveMode: 'receiveAndDelete' }.",
      });
      return;
    }
    // rhea pre-settles every delivery on a link whose local snd-settle-mode is `settled`.
    this.link.local.attach.snd_settle_mode = SETTLED;
    this.pump();
  }

  /** Sends dead letters while the client has credit; re-run on every `sendable` and drain. */
  pump(): void {
    if (this.pumping || this.ended) return;
    clearTimeout(this.poll);
    this.poll = undefined;
    this.pumping = true;
    void this.pumpLoop().finally(() => {
      this.pumping = false;
    });
  }

  private async pumpLoop(): Promise<void> {
    while (!this.ended && this.link.is_open() && this.link.credit > 0) {
      // Taking is safe: between the take and the sends below only promise callbacks run,
      // never socket events, so the link cannot close in between and lose what was taken.
      const dead = await this.store.queue.receiveDeadLetters(this.queue, this.link.credit).catch(() => []);
      if (dead.length === 0) {
        if (this.link._draining) {
          answerDrain(this.link);
        } else {
          this.poll = setTimeout(() => this.pump(), POLL_MS);
        }
        return;
      }
      for (const letter of dead) {
        const original = this.store.lookup(letter);
        this.store.forget(letter);
        // A dead letter keeps the deliveries it had; receiving it from here is not one of them.
        this.link.send(toWire(original, letter, { deliveryCount: letter.deliveryCount }), guidBytes(crypto.randomUUID()));
      }
      await creditCounted();
    }
    if (this.link._draining) answerDrain(this.link);
  }

  end(): void {
    this.ended = true;
    clearTimeout(this.poll);
    this.poll = undefined;
  }
}
