/**
 * The maths between tiles and stages: where a tile's core sits in its window, and how the
 * coordinator turns the tiles' histograms into the next stage's first step. Pure.
 */

import { type Rect, resolveHistogramStep, type Step } from "@tessera/kernels";
import type { Stage } from "./plan.js";
import { type Grid, tileRect, windowRect } from "./tiling.js";

/** Where tile `index`'s core lies inside its window (for runRegion). */
export function coreInWindow(g: Grid, index: number, halo: number): Rect {
  const core = tileRect(g, index);
  const window = windowRect(g, index, halo);
  return { x: core.x - window.x, y: core.y - window.y, width: core.width, height: core.height };
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
