// The body of run(): an image of 1, 3 or 4 channels through the steps in wasm memory, and the
// result copied out with the channels asked for. A pipeline of point ops alone runs band by
// band instead of whole: each band is copied in, processed and copied out while it is still in
// the CPU's cache, so the pixels cross main memory twice (in from the caller's buffer, out to
// the result) instead of six times (in, kernel read and write, out). Point ops make the same
// bytes on any band.

import { runCompact } from "./channels.js";
import type { Channels, ImageResult } from "./image.js";
import type { Pipeline } from "./pipeline.js";
import { ops } from "./registry.js";
import type { Heap } from "./wasm.js";

/** Bytes of RGBA per band for point pipelines: both buffers fit a core's L2 cache. */
const BAND_BYTES = 128 * 1024;

/** Where the image goes in wasm memory (A), the other buffer (B) and the scratch above them. */
export type Place = (bytes: number) => { a: number; b: number; scratch: number };

/** What every band of a run shares: the memory and its layout, the width, the steps, the channels. */
interface Run {
  heap: Heap;
  place: Place;
  w: number;
  steps: Pipeline;
  input: Channels;
  output: Channels;
}

/** The w×h image `bytes` (`input` channels) through `steps`; the result has `output` channels. */
export function runImage(
  heap: Heap,
  place: Place,
  bytes: Uint8Array,
  w: number,
  h: number,
  steps: Pipeline,
  input: Channels,
  output: Channels,
): ImageResult {
  const run: Run = { heap, place, w, steps, input, output };
  const pointsOnly = steps.every((s) => !s.resolution && ops.get(s.op)?.kind === "point");
  const rows = pointsOnly ? Math.max(1, Math.floor(BAND_BYTES / (w * 4))) : h;
  if (rows >= h) {
    const ptr = runBand(run, bytes, h);
    // A Uint8Array slice (a plain memcpy), then a clamped view of its buffer. Not
    // ArrayBuffer.slice on the wasm memory, which V8 copies ~25× slower (39 ms against 1.4 ms
    // for 12 MB), nor a Uint8Array → Uint8ClampedArray conversion, element by element.
    const data = new Uint8ClampedArray(heap.u8.slice(ptr, ptr + w * h * output).buffer);
    return { width: w, height: h, channels: output, data };
  }
  const data = new Uint8ClampedArray(w * h * output);
  for (let y = 0; y < h; y += rows) {
    const r = Math.min(rows, h - y);
    const ptr = runBand(run, bytes.subarray(y * w * input, (y + r) * w * input), r);
    data.set(heap.u8.subarray(ptr, ptr + w * r * output), y * w * output);
  }
  return { width: w, height: h, channels: output, data };
}

/** One band of `h` rows through the steps; returns where its result (`output` channels) is. */
function runBand({ heap, place, w, steps, input, output }: Run, bytes: Uint8Array, h: number): number {
  const n = w * h;
  const { a, b, scratch } = place(n * 4);
  const wasm = heap.wasm;
  if (input === 3) {
    // RGB arrives in B and is widened into A (alpha 255); the steps then run on RGBA.
    heap.u8.set(bytes, b);
    wasm.expandRgb(b, a, n);
  } else {
    heap.u8.set(bytes, a);
  }
  let { ptr, channels } = runCompact(heap, steps, a, b, scratch, w, h, input === 1 ? 1 : 4, output === 1);
  const free = ptr === a ? b : a;
  if (output === 1 && channels === 4) {
    wasm.packGrey(ptr, free, n);
    ptr = free;
  } else if (output !== 1 && channels === 1) {
    wasm.expandGrey(ptr, free, n);
    ptr = free;
  }
  if (output === 3) {
    const other = ptr === a ? b : a;
    wasm.packRgb(ptr, other, n);
    ptr = other;
  }
  return ptr;
}
