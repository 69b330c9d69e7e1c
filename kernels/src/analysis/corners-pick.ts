// The global half of goodFeaturesToTrack (corners.ts): from every tile's candidates, the ones
// above the image's threshold, strongest first, each kept unless a kept one is too close.

import type { CornersParams, CornersPartial } from "./corners.js";
import type { Keypoint } from "./types.js";

/**
 * OpenCV's selection: candidates with response > `threshold` sorted by response descending,
 * ties by position descending (its comparator falls back to the pointers, i.e. y·width + x);
 * each is kept unless a kept one lies at a squared distance below min-distance² (computed in
 * f32 as OpenCV does; no rule below 1), until `max` are kept. Returned sorted by y, then x.
 */
export function pickCorners(
  partials: readonly CornersPartial[],
  image: { width: number; height: number },
  params: CornersParams,
  threshold: number,
): Keypoint[] {
  const pos: number[] = [];
  const val: number[] = [];
  for (const p of partials) {
    const pts = p.points;
    for (let i = 0; i < pts.length; i += 3) {
      const v = pts[i + 2] ?? 0;
      if (v > threshold) {
        pos.push((pts[i + 1] ?? 0) * image.width + (pts[i] ?? 0));
        val.push(v);
      }
    }
  }
  const order = Uint32Array.from(pos.keys());
  order.sort((a, b) => (val[b] ?? 0) - (val[a] ?? 0) || (pos[b] ?? 0) - (pos[a] ?? 0));

  const kept: number[] = [];
  const md = params.minDistance;
  if (md < 1) {
    for (let i = 0; i < order.length && kept.length < params.max; i++) kept.push(order[i] ?? 0);
  } else {
    // A grid of cells one min-distance wide: a point closer than that is in a neighbouring cell.
    const cell = Math.ceil(md);
    const gw = Math.ceil(image.width / cell);
    const gh = Math.ceil(image.height / cell);
    const grid = new Map<number, number[]>();
    const md2 = md * md;
    for (let i = 0; i < order.length && kept.length < params.max; i++) {
      const c = order[i] ?? 0;
      const at = pos[c] ?? 0;
      const x = at % image.width;
      const y = Math.floor(at / image.width);
      const cx = Math.floor(x / cell);
      const cy = Math.floor(y / cell);
      let good = true;
      for (let yy = Math.max(0, cy - 1); good && yy <= Math.min(gh - 1, cy + 1); yy++) {
        for (let xx = Math.max(0, cx - 1); good && xx <= Math.min(gw - 1, cx + 1); xx++) {
          for (const other of grid.get(yy * gw + xx) ?? []) {
            const dx = x - (other % image.width);
            const dy = y - Math.floor(other / image.width);
            if (Math.fround(Math.fround(dx * dx) + Math.fround(dy * dy)) < md2) {
              good = false;
              break;
            }
          }
        }
      }
      if (!good) continue;
      const key = cy * gw + cx;
      const list = grid.get(key);
      if (list) list.push(at);
      else grid.set(key, [at]);
      kept.push(c);
    }
  }

  kept.sort((a, b) => (pos[a] ?? 0) - (pos[b] ?? 0));
  return kept.map((c) => {
    const at = pos[c] ?? 0;
    return { x: at % image.width, y: Math.floor(at / image.width), response: val[c] ?? 0, size: params.block, angle: -1 };
  });
}
