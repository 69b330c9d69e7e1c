/**
 * The local cluster's autoscaler: every second it reads the `tiles` backlog from Service Bus
 * and applies the shared rule (engine/autoscale.ts), starting a worker process or stopping
 * the newest one gracefully (SIGTERM: it finishes its tiles in hand and releases its
 * sessions, so nothing is lost). In Azure, the VM Scale Set's autoscale setting plays this
 * part with the same rule.
 */

import { type AutoscaleRule, Autoscaler } from "../../engine/autoscale.js";
import { TILES_QUEUE } from "../../engine/messages.js";
import type { Queue } from "../../engine/ports/queue.js";
import { isRunning } from "./child-process.js";
import type { TesseraProcess } from "./tessera-process.js";

export interface ScaleEvent {
  decision: "grow" | "shrink";
  backlog: number;
  /** Live workers after the change. */
  workers: number;
}

export interface LocalAutoscalerOptions {
  rule: AutoscaleRule;
  queue: Queue;
  workers: () => readonly TesseraProcess[];
  addWorker: () => Promise<unknown>;
  /** How often to look; default 1 s. */
  everyMs?: number;
  onScale?: (event: ScaleEvent) => void;
}

export function startLocalAutoscaler(options: LocalAutoscalerOptions): { stop(): Promise<void> } {
  const scaler = new Autoscaler(options.rule);
  const stopping = new Set<TesseraProcess>();
  const live = () => options.workers().filter((w) => isRunning(w.child) && !stopping.has(w));
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const look = async () => {
    const backlog = (await options.queue.depth(TILES_QUEUE)).active;
    const workers = live();
    const decision = scaler.decide({ now: Date.now(), backlog, workers: workers.length });
    if (decision === "grow") {
      await options.addWorker();
    } else if (decision === "shrink") {
      const newest = workers.at(-1);
      if (newest === undefined) return;
      stopping.add(newest);
      // Draining may take a tile's time; the next looks go on meanwhile.
      void newest.stop().finally(() => stopping.delete(newest));
    }
    if (decision !== "hold") options.onScale?.({ decision, backlog, workers: live().length });
  };

  const timer = setInterval(() => {
    // One look at a time: a slow look (a worker starting) must not overlap the next.
    running = running.then(() => (stopped ? undefined : look().catch(() => undefined)));
  }, options.everyMs ?? 1_000);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
