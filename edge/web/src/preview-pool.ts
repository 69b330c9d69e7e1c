// Several preview workers behind the one-worker interface preview-ui.ts uses. A pipeline of point and
// local ops is cut into horizontal bands, one per worker, each read with the halo its steps need
// (the kernels make the bands byte-identical to a whole-image run); pipelines with a global op
// run whole on the first worker. The result message carries the wall time of the whole run and
// the longest time a worker's kernels took (the rest is messaging and assembly). Thumbnails go
// to the last worker.
//
// Where the page may share memory with its workers (SharedArrayBuffer: a cross-origin isolated
// page), the input is one buffer every worker reads and each band is written straight into one
// shared result, so a run copies nothing between threads but the finished image, once. Elsewhere
// each worker keeps a copy of the input and sends its band back (transferred), the pool joins
// them and gives each band's buffer back for the worker's next band. Either way a run allocates
// no large buffer once the first has run: on some machines the page faults of a fresh 4 MB
// buffer cost as much as the kernels.

import { ops, parsePipeline } from "@tessera/kernels";
import { copyBytes, type FromWorker, type ToWorker } from "./preview-protocol.ts";

type Listener = (event: MessageEvent<FromWorker>) => void;

interface Pending {
  id: number;
  pipeline: string;
  started: number;
  waiting: number;
  kernelMs: number;
  /** Where the bands go: a fresh buffer, or the shared result. */
  data: Uint8ClampedArray;
  failed: boolean;
}

/** Whether this page may send a SharedArrayBuffer to a worker. */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer !== "function") return false;
  try {
    const channel = new MessageChannel();
    channel.port1.postMessage(new SharedArrayBuffer(4));
    channel.port1.close();
    return true;
  } catch {
    return false;
  }
}

export class PreviewPool {
  private readonly workers: Worker[];
  private readonly listeners = new Set<Listener>();
  private image: { width: number; height: number } | null = null;
  /** The shared result every band is written into, when memory is shared. */
  private shared: Uint8ClampedArray | null = null;
  private pending: Pending | null = null;
  /**
   * Two result buffers used in turn: a fresh 4 MB buffer per run costs page faults and garbage
   * collection, and the result drawn last stays intact while the next one is assembled.
   */
  private outputs: Uint8ClampedArray<ArrayBuffer>[] = [];
  private runs = 0;
  /** A run sent whole to the first worker, and when. */
  private whole: { id: number; started: number } | null = null;

  constructor(
    create: () => Worker,
    size: number,
    private readonly share = canShareMemory(),
  ) {
    this.workers = Array.from({ length: Math.max(1, size) }, create);
    for (const [i, w] of this.workers.entries()) {
      w.addEventListener("message", (e: MessageEvent<FromWorker>) => this.onMessage(e.data, i));
    }
  }

  addEventListener(type: "message", listener: Listener): void;
  addEventListener(type: "error", listener: (event: ErrorEvent) => void): void;
  addEventListener(type: "message" | "error", listener: Listener | ((event: ErrorEvent) => void)): void {
    if (type === "message") this.listeners.add(listener as Listener);
    else for (const w of this.workers) w.addEventListener("error", listener as (event: ErrorEvent) => void);
  }

  postMessage(message: ToWorker, transfer: Transferable[] = []): void {
    if (message.type === "image") {
      this.setImage(message, transfer);
      return;
    }
    if (message.type === "thumb-image" || message.type === "thumb") {
      this.workers[this.workers.length - 1]?.postMessage(message, transfer);
      return;
    }
    if (message.type !== "run") return;
    const halo = this.bandHalo(message.pipeline);
    const bands = this.image && halo !== null ? Math.min(this.workers.length, Math.ceil(this.image.height / 64)) : 1;
    if (!this.image || bands < 2 || halo === null) {
      this.whole = { id: message.id, started: performance.now() };
      this.workers[0]?.postMessage(message);
      return;
    }
    const { height } = this.image;
    this.pending = {
      id: message.id,
      pipeline: message.pipeline,
      started: performance.now(),
      waiting: bands,
      kernelMs: 0,
      data: this.shared ?? this.output(),
      failed: false,
    };
    for (let b = 0; b < bands; b++) {
      const y0 = Math.floor((height * b) / bands);
      const y1 = Math.floor((height * (b + 1)) / bands);
      this.workers[b]?.postMessage({ type: "band", id: message.id, pipeline: message.pipeline, y0, y1, halo } satisfies ToWorker);
    }
  }

  private setImage(message: Extract<ToWorker, { type: "image" }>, transfer: Transferable[]): void {
    const { width, height } = message;
    this.image = { width, height };
    this.outputs = [];
    if (this.share) {
      // One input for every worker, and one result they all write into.
      const input = new Uint8ClampedArray(new SharedArrayBuffer(message.data.length));
      input.set(message.data);
      this.shared = new Uint8ClampedArray(new SharedArrayBuffer(message.data.length));
      for (const w of this.workers) w.postMessage({ type: "image", width, height, data: input, target: this.shared });
      return;
    }
    // Every worker keeps its own copy; the last one takes the original.
    for (const [i, w] of this.workers.entries()) {
      if (i === this.workers.length - 1) w.postMessage(message, transfer);
      else w.postMessage({ ...message, data: copyBytes(message.data) });
    }
  }

  /** The next result buffer in turn for the current image (filled with `from` if given). */
  private output(from?: Uint8ClampedArray): Uint8ClampedArray<ArrayBuffer> {
    const size = (this.image?.width ?? 0) * (this.image?.height ?? 0) * 4;
    const i = this.runs++ % 2;
    let out = this.outputs[i];
    if (!out || out.length !== size) {
      out = new Uint8ClampedArray(size);
      this.outputs[i] = out;
    }
    if (from) out.set(from);
    return out;
  }

  /**
   * Rows of context a band needs, or null when the pipeline cannot be split: global ops, an
   * analysis op (it runs on the whole preview as one tile, after the image steps), or invalid.
   */
  private bandHalo(pipeline: string): number | null {
    try {
      const steps = parsePipeline(pipeline);
      if (steps.some((s) => ops.get(s.op)?.kind === "global" || ops.get(s.op)?.kind === "analysis")) return null;
      return steps.reduce((sum, s) => sum + (ops.get(s.op)?.radius(s.params) ?? 0), 0);
    } catch {
      return null; // the worker reports the error the usual way
    }
  }

  private onMessage(message: FromWorker, worker: number): void {
    if (message.type === "ready" && worker !== 0) return;
    if (message.type === "result" && message.id === this.whole?.id) {
      // The worker timed its kernels; the run's time is the wall time, as for a run in bands.
      this.emit({ ...message, ms: performance.now() - this.whole.started, kernelMs: message.ms });
      this.whole = null;
      return;
    }
    if (message.type !== "band" && !(message.type === "error" && this.pending && message.id === this.pending.id)) {
      this.emit(message);
      return;
    }
    const run = this.pending;
    if (!run || message.id !== run.id) return;
    if (message.type === "error") {
      if (!run.failed) this.emit(message);
      run.failed = true;
    } else if (this.image) {
      if (message.data) {
        run.data.set(message.data, message.y0 * this.image.width * 4);
        this.workers[worker]?.postMessage({ type: "recycle", data: message.data } satisfies ToWorker, [message.data.buffer]);
      }
      run.kernelMs = Math.max(run.kernelMs, message.ms);
    }
    if (--run.waiting > 0 || run.failed || !this.image) return;
    this.pending = null;
    const { width, height } = this.image;
    this.emit({
      type: "result",
      id: run.id,
      pipeline: run.pipeline,
      width,
      height,
      // ImageData needs memory of its own: the shared result is copied out.
      data: run.data === this.shared ? this.output(run.data) : run.data,
      ms: performance.now() - run.started,
      kernelMs: run.kernelMs,
    });
  }

  private emit(message: FromWorker): void {
    const event = new MessageEvent<FromWorker>("message", { data: message });
    for (const listener of this.listeners) listener(event);
  }
}
