// Thumbnails of each step's output: the preview workers run a prefix of the pipeline on a small
// copy of the input (longest side at most THUMB_MAX), and each prefix's result is kept until the
// image changes, so hovering the steps again costs nothing.

import { copyBytes, type FromWorker, type Pixels, type ToWorker } from "./preview-protocol.ts";

export const THUMB_MAX = 160;
/** Prefixes kept per image; the oldest goes first. */
const CACHE_SIZE = 64;

export type Downscale = (image: Pixels, maxSide: number) => Pixels;

export class Thumbnails {
  private input: Pixels | null = null;
  private sent = false;
  private readonly cache = new Map<string, Promise<Pixels>>();
  private readonly waiting = new Map<number, { resolve: (p: Pixels) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(
    private readonly post: (message: ToWorker, transfer?: Transferable[]) => void,
    private readonly downscale: Downscale,
  ) {}

  /** A new input: cached thumbnails are dropped; the small copy is made at the first request. */
  setImage(image: Pixels): void {
    this.input = image;
    this.sent = false;
    this.cache.clear();
  }

  /** The thumbnail of `pipeline` (a prefix of the previewed one; "" is the input itself). */
  get(pipeline: string): Promise<Pixels> {
    const cached = this.cache.get(pipeline);
    if (cached) return cached;
    if (!this.input) return Promise.reject(new Error("Pick an image to see each step's output."));
    if (!this.sent) {
      const small = this.downscale(this.input, THUMB_MAX);
      const data = small.data === this.input.data ? copyBytes(small.data) : small.data;
      this.post({ type: "thumb-image", width: small.width, height: small.height, data }, [data.buffer]);
      this.sent = true;
    }
    const id = this.nextId++;
    const result = new Promise<Pixels>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.post({ type: "thumb", id, pipeline });
    this.cache.set(pipeline, result);
    // A failed prefix is not kept: the same text may run once the op list or the image changes.
    result.catch(() => this.cache.get(pipeline) === result && this.cache.delete(pipeline));
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    return result;
  }

  /** Takes a worker's answer to a thumbnail request; false for any other message. */
  receive(message: FromWorker): message is Extract<FromWorker, { type: "thumb" | "thumb-error" }> {
    if (message.type !== "thumb" && message.type !== "thumb-error") return false;
    const waiter = this.waiting.get(message.id);
    this.waiting.delete(message.id);
    if (message.type === "thumb") waiter?.resolve({ width: message.width, height: message.height, data: message.data });
    else waiter?.reject(new Error(message.message));
    return true;
  }
}

/** Downscales through a canvas (the browser's own smoothing); an image that fits is used as it is. */
export const canvasDownscale: Downscale = (image, maxSide) => {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  if (scale === 1) return image;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const source = new OffscreenCanvas(image.width, image.height);
  source
    .getContext("2d")
    ?.putImageData(new ImageData(image.data as Uint8ClampedArray<ArrayBuffer>, image.width, image.height), 0, 0);
  const target = new OffscreenCanvas(width, height);
  const ctx = target.getContext("2d");
  if (!ctx) throw new Error("This browser cannot draw thumbnails (no 2D canvas).");
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(source, 0, 0, width, height);
  return { width, height, data: ctx.getImageData(0, 0, width, height).data };
};
