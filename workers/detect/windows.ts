// The window grid: which parts of an image a detector looks at. It depends on the image size
// and the op only (never on tiles, threads or machines), so any split of the work finds the
// same detections.
//
// A pyramid of square grids. Level k has windows of side S·2^k (S = the op's windowSide) at a
// stride of half a side, from the top-left corner; the last window of a row or column is moved
// back to end at the image's edge, so every window lies inside the image and is full-sized
// where the image allows. Levels stop below the first side that covers the whole image, and
// the top level is the whole image, one window. With a half-side stride, any object up to half
// a side across lies wholly inside some window of that level; larger ones are found a level up.
// That is what lets a window drop boxes cut by its own edges (keepInWindow).

import { type DetectionWindow, type DetectKind, type DetectOpName, specOf } from "./types.js";

/** Window starts along one axis: 0, side/2, side, … and one ending at `length`. */
function starts(length: number, side: number): number[] {
  if (side >= length) return [0];
  const stride = side / 2;
  const out: number[] = [];
  for (let s = 0; s + side < length; s += stride) out.push(s);
  out.push(length - side);
  return out;
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
}

/**
 * The windows for an image of `width × height`, level by level, each level in rows top to
 * bottom and left to right; the last is the whole image. Deterministic.
 */
export function detectionWindows(width: number, height: number, op: DetectOpName | DetectKind): DetectionWindow[] {
  checkSize(width, height);
  const image = Object.freeze({ width, height });
  const out: DetectionWindow[] = [];
  let level = 0;
  for (let side = specOf(op).windowSide; side < Math.max(width, height); side *= 2, level++) {
    const w = Math.min(side, width);
    const h = Math.min(side, height);
    for (const y of starts(height, side)) {
      for (const x of starts(width, side)) out.push(Object.freeze({ x, y, width: w, height: h, level, image }));
    }
  }
  out.push(Object.freeze({ x: 0, y: 0, width, height, level, image }));
  return out;
}

/**
 * A box closer than this fraction of the window's side to a cut edge counts as cut. Models put
 * the edge of a truncated object on (or a little beyond) the window's border; a whole object
 * near the border loses nothing, as the next window (half a side on) or the level above holds
 * it with room to spare.
 */
export const EDGE_MARGIN = 0.01;

/**
 * Whether a box (corners in source pixels) found in `window` is trustworthy there: it must not
 * touch a side of the window that lies inside the image. Boxes touching the image's own border
 * stay (nothing beyond it to find), and the whole-image window keeps everything.
 */
export function keepInWindow(window: DetectionWindow, x1: number, y1: number, x2: number, y2: number): boolean {
  const margin = EDGE_MARGIN * Math.max(window.width, window.height);
  if (window.x > 0 && x1 <= window.x + margin) return false;
  if (window.y > 0 && y1 <= window.y + margin) return false;
  if (window.x + window.width < window.image.width && x2 >= window.x + window.width - margin) return false;
  if (window.y + window.height < window.image.height && y2 >= window.y + window.height - margin) return false;
  return true;
}

/**
 * Group `group` of `groups`: the windows one engine message runs, a contiguous run of the grid
 * list, the runs as even as they come (some empty when there are more groups than windows).
 * Any split gives the same answer, since the merge takes every window's detections at once.
 */
export function windowGroup(windows: readonly DetectionWindow[], group: number, groups: number): DetectionWindow[] {
  if (!Number.isInteger(groups) || groups < 1 || !Number.isInteger(group) || group < 0 || group >= groups) {
    throw new RangeError(`group must be an integer in 0..${groups - 1}, got ${group}`);
  }
  return windows.slice(Math.floor((group * windows.length) / groups), Math.floor(((group + 1) * windows.length) / groups));
}
