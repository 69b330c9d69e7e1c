/**
 * Admission: how many jobs, and how many pixels, the gateway takes on at once. A submission
 * reserves a slot before a byte of its upload is read and keeps it until its job ends; a
 * submission that fails for any reason gives it back. Counting registered jobs instead (as the
 * route once did) let every concurrent POST through while the first ones were still uploading.
 *
 * One Admission per coordinator, shared by every app built on it, so two apps over one
 * gateway (tests do this) cannot each admit a full quota.
 */

import type { Coordinator } from "../engine/coordinator.js";
import { TERMINAL } from "../engine/job.js";
import type { Limits } from "./config.js";
import { HttpError } from "./http-errors.js";

/** What a 429 tells the client to wait, in seconds: about one small job's time, not a promise. */
export const RETRY_AFTER_SECONDS = 5;

/** The 429 of a full gateway; the route adds Retry-After. */
export class Busy extends HttpError {
  readonly retryAfter = RETRY_AFTER_SECONDS;
  constructor(message: string) {
    super(429, "QUEUE_FULL", message);
  }
}

interface Slot {
  pixels: number;
  jobId?: string;
}

export class Admission {
  private readonly slots = new Set<Slot>();
  private readonly byJob = new Map<string, Slot>();

  constructor(private readonly coordinator: Coordinator) {
    // Jobs resumed at start-up run like any other: they hold slots and pixels too.
    for (const job of coordinator.list()) {
      if (TERMINAL.has(job.status)) continue;
      this.bindSlot({ pixels: job.width * job.height }, job.id);
    }
    coordinator.subscribeAll(({ job }) => {
      if (TERMINAL.has(job.status)) this.releaseJob(job.id);
    });
  }

  /** Slots held: submissions in progress and jobs queued or running. */
  get active(): number {
    return this.slots.size;
  }

  /** Pixels of the held slots whose image size is known. */
  get pixels(): number {
    let sum = 0;
    for (const s of this.slots) sum += s.pixels;
    return sum;
  }

  /** Takes a slot or throws 429. Call before reading the upload; release() or bind() it after. */
  reserve(limits: Limits): Reservation {
    if (this.slots.size >= limits.maxActiveJobs) {
      throw new Busy(
        `${this.slots.size} jobs are being submitted, queued or running (the limit is ${limits.maxActiveJobs}, TESSERA_MAX_ACTIVE_JOBS); retry later`,
      );
    }
    const slot: Slot = { pixels: 0 };
    this.slots.add(slot);
    return new Reservation(this, slot, limits);
  }

  /** @internal */ claimPixels(slot: Slot, pixels: number, limits: Limits): void {
    if (pixels > limits.maxActivePixels) {
      throw new HttpError(
        422,
        "TOO_MANY_PIXELS",
        `the image has ${pixels} pixels; the gateway processes at most ${limits.maxActivePixels} at once (TESSERA_MAX_ACTIVE_PIXELS)`,
      );
    }
    const others = this.pixels - slot.pixels;
    if (others + pixels > limits.maxActivePixels) {
      throw new Busy(
        `jobs of ${others} pixels are in progress; this image's ${pixels} would pass the limit of ${limits.maxActivePixels} (TESSERA_MAX_ACTIVE_PIXELS); retry later`,
      );
    }
    slot.pixels = pixels;
  }

  /** @internal */ bindSlot(slot: Slot, jobId: string): void {
    slot.jobId = jobId;
    this.slots.add(slot);
    this.byJob.set(jobId, slot);
    // A quick job may have ended before it was bound: its end event is already gone.
    const job = this.coordinator.get(jobId);
    if (!job || TERMINAL.has(job.status)) this.releaseJob(jobId);
  }

  /** @internal */ releaseSlot(slot: Slot): void {
    this.slots.delete(slot);
    if (slot.jobId !== undefined && this.byJob.get(slot.jobId) === slot) this.byJob.delete(slot.jobId);
  }

  private releaseJob(jobId: string): void {
    const slot = this.byJob.get(jobId);
    if (slot) this.releaseSlot(slot);
  }
}

/** One submission's slot: give it back on failure, or bind it to the job it became. */
export class Reservation {
  private done = false;

  constructor(
    private readonly admission: Admission,
    private readonly slot: Slot,
    private readonly limits: Limits,
  ) {}

  /** Counts the image's pixels against TESSERA_MAX_ACTIVE_PIXELS; throws 429 (or 422 if it can never fit). */
  claimPixels(pixels: number): void {
    this.admission.claimPixels(this.slot, pixels, this.limits);
  }

  /** The job exists: the slot stays taken until it ends. */
  bind(jobId: string): void {
    if (this.done) return;
    this.done = true;
    this.admission.bindSlot(this.slot, jobId);
  }

  /** The submission failed: the slot is free again. Safe to call more than once, and after bind (then it does nothing). */
  release(): void {
    if (this.done) return;
    this.done = true;
    this.admission.releaseSlot(this.slot);
  }
}

const admissions = new WeakMap<Coordinator, Admission>();

/** The Admission of a coordinator, made on first use (after resume(), so resumed jobs count). */
export function admissionFor(coordinator: Coordinator): Admission {
  let admission = admissions.get(coordinator);
  if (!admission) {
    admission = new Admission(coordinator);
    admissions.set(coordinator, admission);
  }
  return admission;
}
