/**
 * What one tile of a stage computes, and what the coordinator makes of all of them. Pure: the
 * worker loop and the coordinator supply the pixels and store the results.
 */

import { type Kernels, type Rect, type RgbaImage, type RgbaResult, resolveHistogramStep, type Step } from "@tessera/kernels";
import type { Stage } from "./plan.js";
import { type Grid, tileRect, windowRect } from "./tiling.js";

export interface TileOutput {
  /** The tile's core after the stage's steps. */
  readonly core: RgbaResult;
  /** Luma histogram of the core, when the stage ends in a histogram op. */
  readonly histogram?: Uint32Array;
}

/** Where tile `index`'s core lies inside its window (for runRegion). */
export function coreInWindow(g: Grid, index: number, halo: number): Rect {
  const core = tileRect(g, index);
  const window = windowRect(g, index, halo);
  return { x: core.x - window.x, y: core.y - window.y, width: core.width, height: core.height };
}

/** Runs `steps` on a tile's window and returns its core (and histogram partial when asked). */
export function computeTile(k: Kernels, window: RgbaImage, core: Rect, steps: readonly Step[], histogram: boolean): TileOutput {
  const out = steps.length > 0 ? k.runRegion(window, core, steps) : cropCore(window, core);
  return histogram ? { core: out, histogram: k.histogram(out) } : { core: out };
}

function cropCore(window: RgbaImage, core: Rect): RgbaResult {
  const data = new Uint8ClampedArray(core.width * core.height * 4);
  for (let y = 0; y < core.height; y++) {
    const from = ((core.y + y) * window.width + core.x) * 4;
    data.set(window.data.subarray(from, from + core.width * 4), y * core.width * 4);
  }
  return { width: core.width, height: core.height, data };
}

/** Sums per-tile histograms: the whole image's histogram, since tile cores partition it. */
export function sumHistograms(parts: Iterable<ArrayLike<number>>): Uint32Array {
  const total = new Uint32Array(256);
  for (const part of parts) for (let i = 0; i < 256; i++) total[i] = (total[i] ?? 0) + (part[i] ?? 0);
  return total;
}

/** The resolved step that the next stage's tiles run first, after a histogram reduction. */
export function resolveAfterHistogram(stage: Stage, histogram: ArrayLike<number>): Step {
  if (stage.reduction !== "histogram" || !stage.global) throw new Error(`stage ${stage.index} does not end in a histogram op`);
  return resolveHistogramStep(stage.global, histogram);
}
