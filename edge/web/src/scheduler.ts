// Coalesces preview requests: at most one runs at a time, and while it runs only the newest
// request waits (older waiting ones are dropped). Slider drags stay smooth however slow a kernel is.

export interface PreviewRequest {
  id: number;
  pipeline: string;
  /** Which input image the request was made for (bumped when a new image loads). */
  imageVersion: number;
}

export class PreviewScheduler {
  private nextId = 1;
  private inFlight: PreviewRequest | null = null;
  private pending: PreviewRequest | null = null;
  private imageVersion = 0;

  constructor(private readonly send: (request: PreviewRequest) => void) {}

  /** A new input image: results for the old one are dropped when they arrive. */
  newImage(): void {
    this.imageVersion++;
  }

  /** Asks for a preview of `pipeline`; sends it now, or queues it (replacing any queued one). */
  request(pipeline: string): PreviewRequest {
    const request = { id: this.nextId++, pipeline, imageVersion: this.imageVersion };
    if (this.inFlight) this.pending = request;
    else this.dispatch(request);
    return request;
  }

  /**
   * The worker answered request `id`. Returns what to do with the result: draw it (`draw`), and
   * whether it is the latest (`latest`: nothing queued or running after it).
   */
  complete(id: number): { draw: boolean; latest: boolean } {
    const done = this.inFlight && this.inFlight.id === id ? this.inFlight : null;
    if (!done) return { draw: false, latest: this.idle };
    this.inFlight = null;
    const next = this.pending;
    this.pending = null;
    if (next) this.dispatch(next);
    return { draw: done.imageVersion === this.imageVersion, latest: !next };
  }

  get idle(): boolean {
    return !this.inFlight && !this.pending;
  }

  private dispatch(request: PreviewRequest): void {
    this.inFlight = request;
    this.send(request);
  }
}
