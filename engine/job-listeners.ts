/** Who hears about job changes: listeners of one job, and listeners of every job. */

import type { JobManifest } from "./job.js";
import type { BandEvent } from "./messages.js";

/** What subscribers hear: the job after every change, with the band event that caused it. */
export interface JobUpdate {
  job: JobManifest;
  event?: BandEvent;
  /** Set on the one update that ends the job (metrics count endings by it, once per job). */
  ended?: true;
}

export type Listener = (update: JobUpdate) => void;

export class JobListeners {
  private readonly byJob = new Map<string, Set<Listener>>();
  private readonly everyJob = new Set<Listener>();

  subscribe(id: string, listener: Listener): () => void {
    const set = this.byJob.get(id) ?? new Set<Listener>();
    this.byJob.set(id, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byJob.delete(id);
    };
  }

  subscribeAll(listener: Listener): () => void {
    this.everyJob.add(listener);
    return () => this.everyJob.delete(listener);
  }

  /** Sends a snapshot (listeners cannot change the coordinator's copy). */
  notify(job: JobManifest, event?: BandEvent, ended = false): void {
    const set = this.byJob.get(job.id);
    if (!set && this.everyJob.size === 0) return;
    const snapshot = structuredClone(job);
    const update: JobUpdate = { job: snapshot, ...(event && { event }), ...(ended && { ended: true as const }) };
    for (const listener of set ?? []) listener(update);
    for (const listener of this.everyJob) listener(update);
  }
}
