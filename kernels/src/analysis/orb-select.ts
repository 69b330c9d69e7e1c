// ORB's per-level selection, split between the tiles and the reduce (orb.ts) so that any cut of
// the image gives the whole image's answer.
//
// OpenCV, per level with quota N: FAST corners → retainBest(2N) by FAST score → Harris response
// → retainBest(N) by response. retainBest(n) keeps every keypoint whose score is ≥ the n-th
// largest (ties at the cut all stay), so the result is a set fixed by the scores alone: no
// tie-breaking by position is needed, and none is done.
//
// A tile owns some of a level's corners and cannot know the level's cuts, but it can drop:
//   1. corners below its own 2N-th largest FAST score (the level's is no smaller). It reports
//      the FAST scores of the rest, so the reduce finds the level's 2N-th largest exactly: every
//      corner at or above it is reported by its tile.
//   2. a corner c with N or more of its tile's corners d at FAST score ≥ c's and response > c's:
//      if c passes the level's FAST cut, so do those d, and the level's N-th largest response
//      among the survivors of the FAST cut is then above c's. Every corner the level keeps is
//      undominated in its tile, so the reduce's N-th largest response among reported corners
//      that pass the FAST cut is the level's.

import type { Keypoint } from "./types.js";

/** The lowest FAST score kept when `keep` are wanted from scores counted in `counts` (index: score); −1 keeps all. */
export function scoreFloor(counts: ArrayLike<number>, keep: number): number {
  let total = 0;
  for (let s = 0; s < counts.length; s++) total += counts[s] ?? 0;
  if (total <= keep) return -1;
  if (keep === 0) return Number.POSITIVE_INFINITY;
  let seen = 0;
  for (let s = counts.length - 1; s >= 0; s--) {
    seen += counts[s] ?? 0;
    if (seen >= keep) return s;
  }
  return -1;
}

/**
 * Rule 2 above: the indices (ascending) of the corners that fewer than `quota` corners
 * dominate (FAST score ≥, response >). A Fenwick tree over scores counts, for each group of
 * equal response from the highest down, the corners already seen with a score ≥ each's.
 */
export function undominated(score: ArrayLike<number>, response: ArrayLike<number>, n: number, quota: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (response[b] ?? 0) - (response[a] ?? 0) || a - b);
  const tree = new Int32Array(257);
  // Position 256 − s, so a prefix sum up to it counts the scores ≥ s.
  const add = (s: number): void => {
    for (let i = 256 - s; i <= 256; i += i & -i) tree[i] = (tree[i] ?? 0) + 1;
  };
  const atLeast = (s: number): number => {
    let sum = 0;
    for (let i = 256 - s; i > 0; i -= i & -i) sum += tree[i] ?? 0;
    return sum;
  };
  const kept: number[] = [];
  for (let g = 0; g < n; ) {
    let end = g;
    const r = response[order[g] ?? 0] ?? 0;
    while (end < n && (response[order[end] ?? 0] ?? 0) === r) end++;
    for (let i = g; i < end; i++) {
      const c = order[i] ?? 0;
      if (atLeast(score[c] ?? 0) < quota) kept.push(c);
    }
    for (let i = g; i < end; i++) add(score[order[i] ?? 0] ?? 0);
    g = end;
  }
  return kept.sort((a, b) => a - b);
}

/** One tile's share of ORB, per level (index: level). */
export interface OrbPartial {
  /** [score, count, score, count, …]: the FAST scores of the corners the tile kept through rule 1. */
  fast: number[][];
  /** x, y (image coordinates), FAST score, response, angle, per corner the tile kept through rule 2. */
  points: number[][];
  /** The 32-byte descriptors of `points`, base64. */
  descriptors: string[][];
}

/**
 * The keypoints of every level from every tile's partial: per level the FAST cut (2N-th largest
 * score), then the response cut (N-th largest), as OpenCV's retainBest; sorted by y, x, size.
 */
export function selectKeypoints(
  partials: readonly OrbPartial[],
  quotas: readonly number[],
  sizes: readonly number[],
): Keypoint[] {
  const keypoints: Keypoint[] = [];
  for (let l = 0; l < quotas.length; l++) {
    const quota = quotas[l] ?? 0;
    if (quota === 0) continue;
    const counts = new Float64Array(256);
    for (const p of partials) {
      const pairs = p.fast[l] ?? [];
      for (let i = 0; i < pairs.length; i += 2) counts[pairs[i] ?? 0] = (counts[pairs[i] ?? 0] ?? 0) + (pairs[i + 1] ?? 0);
    }
    const floor = scoreFloor(counts, 2 * quota);
    const level: Keypoint[] = [];
    for (const p of partials) {
      const pts = p.points[l] ?? [];
      const desc = p.descriptors[l] ?? [];
      for (let i = 0, j = 0; i < pts.length; i += 5, j++) {
        if ((pts[i + 2] ?? 0) < floor) continue;
        level.push({
          x: pts[i] ?? 0,
          y: pts[i + 1] ?? 0,
          response: pts[i + 3] ?? 0,
          size: sizes[l] ?? 0,
          angle: pts[i + 4] ?? 0,
          descriptor: desc[j] ?? "",
        });
      }
    }
    if (level.length > quota) {
      const cut = Float64Array.from(level, (k) => k.response).sort()[level.length - quota] ?? 0;
      for (const k of level) if (k.response >= cut) keypoints.push(k);
    } else {
      keypoints.push(...level);
    }
  }
  return keypoints.sort((a, b) => a.y - b.y || a.x - b.x || a.size - b.size);
}
