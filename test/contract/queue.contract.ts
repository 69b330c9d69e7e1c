import { describe } from "vitest";
import { deliveryCases } from "./queue-delivery.contract.js";
import { type QueueHarness, queueContext } from "./queue-harness.js";
import { lockCases } from "./queue-locks.contract.js";

export type { QueueHarness } from "./queue-harness.js";

/**
 * The Queue contract (engine/ports/queue.ts): every adapter runs it, and one that passes is
 * interchangeable. `setup` gives each test a fresh harness whose first configured queue is
 * empty. Each test advances time by at most a few lock durations, so a real broker (whose
 * `advance` sleeps) runs it in minutes.
 */
export function runQueueContract(name: string, setup: () => Promise<QueueHarness>): void {
  describe(`Queue contract: ${name}`, () => {
    const ctx = queueContext(setup);
    deliveryCases(ctx);
    lockCases(ctx);
  });
}
