// Several preview workers behind the one-worker interface preview-ui.ts uses. A pipeline of point and
// local ops is cut into horizontal bands, one per worker, each read with the halo its steps need
// (runRegion makes the bands byte-identical to a whole-image run); pipelines with a global op
// run whole on the first worker. The result message carries the wall time of the whole run.

import { ops, parsePipeline } from "@tessera/kernels";
import type { FromWorker, ToWorker } from "./preview-protocol.ts";

type Listener = (event: MessageEvent<FromWorker>) => void;

interface Pending {
  id: number;
  pipeline: string;
  started: number;
  waiting: number;
  data: Uint8ClampedArray;
  failed: boolean;
}

export class PreviewPool {
  private readonly workers: Worker[];
  private readonly listeners = new Set<Listener>();
  private image: { width: number; height: number } | null = null;
  private pending: Pending | null = null;

  constructor(create: () => Worker, size: number) {
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
      this.image = { width: message.width, height: message.height };
      // Every worker keeps its own copy; the last one takes the original.
      for (const [i, w] of this.workers.entries()) {
        if (i === this.workers.length - 1) w.postMessage(message, transfer);
        else w.postMessage({ ...message, data: message.data.slice() });
      }
      return;
    }
    if (message.type !== "run") return;
    const halo = this.bandHalo(message.pipeline);
    const bands = this.image && halo !== null ? Math.min(this.workers.length, Math.ceil(this.image.height / 64)) : 1;
    if (!this.image || bands < 2 || halo === null) {
      this.workers[0]?.postMessage(message);
      return;
    }
    const { width, height } = this.image;
    this.pending = {
      id: message.id,
      pipeline: message.pipeline,
      started: performance.now(),
      waiting: bands,
      data: new Uint8ClampedArray(width * height * 4),
      failed: false,
    };
    for (let b = 0; b < bands; b++) {
      const y0 = Math.floor((height * b) / bands);
      const y1 = Math.floor((height * (b + 1)) / bands);
      this.workers[b]?.postMessage({ type: "band", id: message.id, pipeline: message.pipeline, y0, y1, halo } satisfies ToWorker);
    }
  }

  /** Rows of context a band needs, or null when the pipeline cannot be split (global ops, or invalid). */
  private bandHalo(pipeline: string): number | null {
    try {
      const steps = parsePipeline(pipeline);
      if (steps.some((s) => ops.get(s.op)?.kind === "global")) return null;
      return steps.reduce((sum, s) => sum + (ops.get(s.op)?.radius(s.params) ?? 0), 0);
    } catch {
      return null; // the worker reports the error the usual way
    }
  }

  private onMessage(message: FromWorker, worker: number): void {
    if (message.type === "ready" && worker !== 0) return;
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
      run.data.set(message.data, message.y0 * this.image.width * 4);
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
      data: run.data,
      ms: performance.now() - run.started,
    });
  }

  private emit(message: FromWorker): void {
    const event = new MessageEvent<FromWorker>("message", { data: message });
    for (const listener of this.listeners) listener(event);
  }
}
