// What the page says about an analysis op's data (the preview's and a job's JSON), and the
// geometry of drawing it: pure, so the words and the clipping are tested without a browser.

import type { AnalysisData } from "@tessera/kernels";

/** The fields of an analysis result the UI reads (a job's JSON adds width, height, pipeline, op). */
export type AnalysisResult = AnalysisData & { width?: number; height?: number; pipeline?: string; op?: string };

const plural = (n: number, one: string, many: string): string => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** How many things the op found (keypoints, lines, regions or detections); null when it returned none of them. */
export function analysisCount(data: AnalysisData): number | null {
  const list = data.keypoints ?? data.lines ?? data.components ?? data.detections;
  return list ? list.length : null;
}

/** "1,911 keypoints", "4 lines", "221 regions", "3 detections". */
export function analysisSummary(data: AnalysisData): string {
  if (data.keypoints) return plural(data.keypoints.length, "keypoint", "keypoints");
  if (data.lines) return plural(data.lines.length, "line", "lines");
  if (data.components) return plural(data.components.length, "region", "regions");
  if (data.detections) return plural(data.detections.length, "detection", "detections");
  return "no data";
}

/** "person 87%": a detection as the job panel lists it and the overlay labels it. */
export const detectionLabel = (d: { label: string; score: number }): string => `${d.label} ${Math.round(d.score * 100)}%`;

/**
 * The part of the line x·cos θ + y·sin θ = ρ (Hough's normal form) inside the width × height
 * rectangle, as its two ends; null when the line misses it. Lines run through the whole image,
 * so each is drawn from edge to edge rather than as a segment.
 */
export function clipLine(
  rho: number,
  theta: number,
  width: number,
  height: number,
): [x0: number, y0: number, x1: number, y1: number] | null {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const points: [number, number][] = [];
  const add = (x: number, y: number) => {
    const inside = x >= -1e-9 && x <= width + 1e-9 && y >= -1e-9 && y <= height + 1e-9;
    if (inside && !points.some(([px, py]) => Math.abs(px - x) < 1e-6 && Math.abs(py - y) < 1e-6)) points.push([x, y]);
  };
  // Where the line crosses each edge: x = 0 and x = width (unless it is horizontal), y = 0 and y = height.
  if (Math.abs(s) > 1e-12) {
    add(0, rho / s);
    add(width, (rho - width * c) / s);
  }
  if (Math.abs(c) > 1e-12) {
    add(rho / c, 0);
    add((rho - height * s) / c, height);
  }
  const [a, b] = points;
  return a && b ? [a[0], a[1], b[0], b[1]] : null;
}
