/**
 * One band of one stage, from input blob to output blob:
 *
 *   read the window (a raw window, a source piece to decode, or rows of the previous stage's
 *   bands) into the loop's shared window buffer → send each tile to the pool as a rectangle of
 *   that buffer (a band's tiles spread over every thread, each copying its own window into wasm
 *   memory), the thread writing the tile's core straight into the loop's shared result buffer →
 *   write the histogram, then the band (raw, or encoded as a piece of the final file:
 *   band-writer.ts). A band of
 *   an analysis stage writes no pixels: its tiles answer with the op's partials, written as the
 *   band's JSON. A message of a detection stage runs a group of detection windows instead of
 *   tiles (detection-group.ts) and writes their detections the same way.
 *
 * Pixel memory is reused: each loop keeps its window and result buffers, so a job allocates
 * little beyond what decoding hands over. A raw window is read straight into the window buffer
 * (BlobStore.getInto); a decoded piece is copied in, in one piece (~0.7 ms for a 24 MP band
 * once its pages are warm, and a pool thread warms a fresh buffer's pages while the piece
 * decodes: TouchTask). Before, the main thread cut each tile's window into a buffer of its own,
 * a row at a time: at 16 threads that was its largest cost (89 of ~400 ms of a 24 MP job), and
 * the threads waited on it.
 */

import { readBandWindow, readLayerRows, rowsOf } from "../engine/band-store.js";
import { bandName, partialsName, pieceName } from "../engine/blob-names.js";
import type { BandMessage } from "../engine/messages.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import { type Codec, storedChannels } from "../engine/ports/codec.js";
import { sumHistograms } from "../engine/reductions.js";
import {
  bandRows,
  bandTiles,
  bandWindowRows,
  coreInWindow,
  type Grid,
  makeGrid,
  tileRect,
  windowRect,
} from "../engine/tiling.js";
import type { BandBudget } from "./band-budget.js";
import { runDetectionGroup } from "./detection-group.js";
import type { PixelBuffer, PoolTask, SharedPixels, TileTaskResult } from "./pool-messages.js";

/** What the band needs from a pool (KernelPool, or a stand-in in tests). */
export interface TileRunner {
  run(task: PoolTask, signal?: AbortSignal): Promise<TileTaskResult>;
}

/** A tile of the band failed in the kernels: the band fails, naming the tile. */
export class TileFailure extends Error {
  constructor(
    readonly tile: number,
    cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
  }
}

export const gridOf = (m: BandMessage): Grid => makeGrid(m.grid.width, m.grid.height, m.grid.tileSize);

/** The blob whose existence means the band is done. */
export const outputOf = (m: BandMessage): string =>
  m.analysis || m.detection
    ? partialsName(m.output, m.band)
    : m.encode
      ? pieceName(m.output, m.band, m.encode.format)
      : bandName(m.output, m.band);

/** The band's input, private to it (deleted once the band is complete), if it has one. */
export function privateInputOf(m: BandMessage): string | undefined {
  return m.input.kind === "layer" ? undefined : m.input.name;
}

/**
 * Reads the band's window (its rows grown by the halo) into `into`, which is its size; a piece
 * input from `fetched` when the caller has started its read already.
 */
async function readWindow(
  m: BandMessage,
  g: Grid,
  { blobs, codec }: BandDeps,
  into: SharedPixels,
  fetched?: Promise<Uint8Array>,
): Promise<void> {
  const input = m.input;
  const bytes = bytesOf(into.data);
  if (input.kind === "window") {
    await readBandWindow(blobs, input.name, g, m.band, m.halo, bytes, input.channels ?? 4);
    return;
  }
  const { y0, y1 } = bandWindowRows(g, m.band, m.halo);
  if (input.kind === "layer") {
    await readLayerRows(blobs, input.prefix, g, y0, y1, bytes, input.channels ?? 4);
    return;
  }
  const piece = await codec.decodeOpaque(await (fetched ?? blobs.get(input.name)));
  if (piece.width !== g.width || input.top > y0 || input.top + piece.height < y1) {
    throw new Error(
      `piece ${input.name} decodes to ${piece.width}×${piece.height} at row ${input.top}; band ${m.band} needs rows ${y0}..${y1} of a ${g.width}-wide image`,
    );
  }
  bytes.set(bytesOf(rowsOf(piece, y0 - input.top, y1 - input.top).data));
}

/**
 * A buffer a loop keeps for its bands, shared with the pool threads: its window (which the
 * threads read their tiles' windows from) or its result (which they write tile cores straight
 * into). Reused band after band, grown to the largest band seen.
 */
export class BandBuffer {
  private buffer: SharedArrayBuffer | undefined;

  /**
   * With a budget, buffers are borrowed from it and given back by release(). `taken` hears of
   * each buffer as it is taken (to have its pages touched elsewhere: TouchTask).
   */
  constructor(
    private readonly budget?: BandBudget,
    private readonly taken?: (buffer: SharedArrayBuffer) => void,
  ) {}

  /** A width×height image of `channels` over the buffer, whose bytes are whatever the last band left. */
  image(width: number, height: number, channels: 1 | 3 | 4 = 4): SharedPixels {
    const bytes = width * height * channels;
    if (!this.buffer || this.buffer.byteLength < bytes) {
      if (this.buffer) this.budget?.recycle(this.buffer);
      this.buffer = this.budget?.buffer(bytes) ?? new SharedArrayBuffer(bytes);
      this.taken?.(this.buffer);
    }
    return { width, height, ...(channels !== 4 && { channels }), data: new Uint8ClampedArray(this.buffer, 0, bytes) };
  }

  /** After the band is written: a borrowed buffer goes back, so a loop waiting for its next band holds none. */
  release(): void {
    if (!this.budget || !this.buffer) return;
    this.budget.recycle(this.buffer);
    this.buffer = undefined;
  }

  /**
   * Lets go of the buffer. After an abort a thread may still be reading or writing its tile
   * there (a running task cannot be stopped, only its thread ended): no later band may share it.
   */
  discard(): void {
    this.buffer = undefined;
  }
}

/** The same bytes as a Uint8Array: a copy between two of them is a plain memcpy, whatever views they came as. */
const bytesOf = (data: ArrayBufferView): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** The bytes of band rows a message holds while it runs: its decoded window and its result rows. */
export function bandShare(m: BandMessage): number {
  if (m.detection) return 0; // a detection group holds one window's chunk at a time (detection-group.ts)
  const g = gridOf(m);
  const window = bandWindowRows(g, m.band, m.halo);
  const rows = bandRows(g, m.band);
  return g.width * ((window.y1 - window.y0) * windowChannels(m) + (m.analysis ? 0 : (rows.y1 - rows.y0) * resultChannels(m)));
}

/**
 * The channels of a band's window: RGB for a JPEG piece (no alpha to decode) and for an opaque
 * source's raw window, grey for a grey layer's, else RGBA.
 */
const windowChannels = (m: BandMessage): 1 | 3 | 4 => (m.input.kind === "piece" ? 3 : (m.input.channels ?? 4));

/**
 * The channels of a band's result rows: what its piece stores (storedChannels) when the band
 * is encoded, written so by the pool threads (Kernels.runWindow packs each core), so a grey
 * result's rows take a quarter of the memory and the encoder packs nothing; RGBA otherwise
 * (a layer the next stage reads), or grey when the coordinator says the layer is (layerChannels).
 */
export const resultChannels = (m: BandMessage): 1 | 3 | 4 => (m.encode ? storedChannels(m.encode) : (m.layerChannels ?? 4));

export interface BandResult {
  /** The band's rows of the stage's result: a view of the loop's buffer, valid until its next band. */
  band?: PixelBuffer;
  /**
   * An analysis band's partials, one per tile, in tile order (instead of pixels); for a
   * detection message, its windows' detections, in window order.
   */
  partials?: unknown[];
  /** The band's luma histogram, when the stage asks for one. */
  histogram?: Uint32Array;
  /** Milliseconds the kernels took, summed over the band's tiles. */
  kernelMs: number;
  /** Milliseconds reading (and decoding) the input. */
  readMs: number;
}

export interface BandDeps {
  blobs: BlobStore;
  codec: Codec;
  pool: TileRunner;
}

/** The buffers a loop keeps: see BandBuffer. */
export interface LoopBuffers {
  readonly window: BandBuffer;
  readonly result: BandBuffer;
}

/**
 * A loop's buffers, borrowed from `budget` when it has one. `touch` is told of each window
 * buffer the loop takes, to have its pages touched on a pool thread while the band's input is
 * read and decoded (TouchTask), not by the main thread's copy.
 */
export function loopBuffers(budget?: BandBudget, touch?: (buffer: SharedArrayBuffer) => void): LoopBuffers & { release(): void } {
  const window = new BandBuffer(budget, touch);
  const result = new BandBuffer(budget);
  return {
    window,
    result,
    release: () => {
      window.release();
      result.release();
    },
  };
}

/**
 * Reads the band's input (a piece input from `fetched` if given) and runs its tiles; a tile
 * that fails rejects with TileFailure.
 */
export async function runBand(
  m: BandMessage,
  deps: BandDeps,
  buffers: LoopBuffers,
  signal?: AbortSignal,
  fetched?: Promise<Uint8Array>,
): Promise<BandResult> {
  const g = gridOf(m);
  if (m.detection) return runDetectionGroup(m, g, deps, signal);
  const readStart = performance.now();
  const rowsIn = bandWindowRows(g, m.band, m.halo);
  // Taken before the read, so that a fresh buffer's pages are touched while the band decodes.
  const source = buffers.window.image(g.width, rowsIn.y1 - rowsIn.y0, windowChannels(m));
  await readWindow(m, g, deps, source, fetched);
  const readMs = Math.round(performance.now() - readStart);
  const top = rowsIn.y0;
  const rows = bandRows(g, m.band);
  // An analysis band answers with data: no result rows to write into.
  const target = m.analysis ? undefined : buffers.result.image(g.width, rows.y1 - rows.y0, resultChannels(m));
  const image = { width: g.width, height: g.height };
  const settled = await Promise.allSettled(
    bandTiles(g, m.band).map(async (tile) => {
      const rect = windowRect(g, tile, m.halo);
      const core = tileRect(g, tile);
      try {
        const task = {
          source,
          window: { ...rect, y: rect.y - top },
          core: coreInWindow(g, tile, m.halo),
          ...(target && { target }),
          at: { x: core.x, y: core.y - rows.y0 },
          steps: m.steps,
          histogram: m.histogram,
          ...(m.analysis && { analysis: { step: m.analysis, origin: { x: rect.x, y: rect.y }, image } }),
        };
        return await deps.pool.run(task, signal);
      } catch (err) {
        throw signal?.aborted ? err : new TileFailure(tile, err);
      }
    }),
  );
  // Every tile has settled before the band ends, so no thread still uses the buffers the
  // loop's next band will; after an abort one may (see BandBuffer.discard).
  if (signal?.aborted) {
    buffers.window.discard();
    buffers.result.discard();
  }
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  const results = settled.map((r) => (r as PromiseFulfilledResult<TileTaskResult>).value);
  const kernelMs = Math.round(results.reduce((sum, r) => sum + r.ms, 0));
  const histograms = results.flatMap((r) => (r.histogram ? [r.histogram] : []));
  if (m.analysis) return { partials: results.map((r) => r.partial), kernelMs, readMs };
  return { band: target, kernelMs, readMs, ...(m.histogram && { histogram: sumHistograms(histograms) }) };
}
