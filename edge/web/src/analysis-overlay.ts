// An analysis op's data drawn over the preview: keypoints as small circles, Hough lines from edge
// to edge of the image, component and detection boxes (detections labelled). The layer is a
// canvas in the stage with the preview's aspect ratio, so the stage's `object-fit: contain` lays
// it exactly over the preview; it has more pixels than the preview, so thin strokes stay sharp.

import { type AnalysisResult, clipLine, detectionLabel } from "./analysis-data.ts";

interface Size {
  width: number;
  height: number;
}

/** Canvas pixels per preview pixel: enough for the screen, never a huge canvas. */
const MAX_DENSITY = 4;
const KEYPOINT_COLOUR = "#22d3ee";
const LINE_COLOUR = "#f43f5e";
const BOX_COLOUR = "#facc15";
const SHADOW = "rgb(0 0 0 / 0.7)";

export class AnalysisOverlay {
  private last: { data: AnalysisResult; size: Size; from: Size } | null = null;

  constructor(private readonly canvas: HTMLCanvasElement) {
    // The stroke widths are in screen pixels: redraw when the stage changes size.
    new ResizeObserver(() => {
      if (this.last) this.draw(this.last.data, this.last.size, this.last.from);
    }).observe(canvas);
  }

  /** Removes the drawing (a pipeline without an analysis op, or a new image). */
  clear(): void {
    this.last = null;
    this.canvas.hidden = true;
    this.canvas.getContext("2d")?.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /**
   * Draws `data` over an image of `size` (the preview's pixels); the data's coordinates are in
   * pixels of `from` (the preview's own, or a job's source image for a job's result).
   */
  draw(data: AnalysisResult, size: Size, from: Size = size): void {
    this.last = { data, size, from };
    this.canvas.hidden = false;
    // CSS pixels per preview pixel, as object-fit: contain shows it (1 while the stage is hidden).
    const box = this.canvas;
    const shown =
      box.clientWidth > 0 && box.clientHeight > 0 ? Math.min(box.clientWidth / size.width, box.clientHeight / size.height) : 1;
    const density = Math.max(1, Math.min(MAX_DENSITY, Math.ceil((window.devicePixelRatio || 1) * shown)));
    const width = size.width * density;
    const height = size.height * density;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, width, height);
    // Canvas pixels per data pixel, and per CSS pixel (strokes keep their width on screen at any size).
    const sx = width / from.width;
    const sy = height / from.height;
    const perCss = density / shown;
    ctx.lineWidth = 1.5 * perCss;
    if (data.keypoints) drawKeypoints(ctx, data.keypoints, sx, sy, 3 * perCss);
    if (data.lines) drawLines(ctx, data.lines, from, sx, sy);
    for (const c of data.components ?? []) strokeBox(ctx, c.bbox, sx, sy, BOX_COLOUR);
    if (data.detections) drawDetections(ctx, data.detections, sx, sy, 12 * perCss);
  }
}

/** Strokes `path` twice, dark and wide under bright and thin, so it shows on light and dark pixels alike. */
function stroke(ctx: CanvasRenderingContext2D, path: Path2D, colour: string): void {
  const width = ctx.lineWidth;
  ctx.strokeStyle = SHADOW;
  ctx.lineWidth = width * 2;
  ctx.stroke(path);
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.stroke(path);
}

function drawKeypoints(
  ctx: CanvasRenderingContext2D,
  keypoints: NonNullable<AnalysisResult["keypoints"]>,
  sx: number,
  sy: number,
  radius: number,
): void {
  // One path for every circle: thousands of keypoints in one stroke, not thousands of strokes.
  const path = new Path2D();
  for (const k of keypoints) {
    // A keypoint is a pixel's index (OpenCV's convention): its centre is half a pixel in.
    const x = (k.x + 0.5) * sx;
    const y = (k.y + 0.5) * sy;
    path.moveTo(x + radius, y);
    path.arc(x, y, radius, 0, 2 * Math.PI);
  }
  stroke(ctx, path, KEYPOINT_COLOUR);
}

function drawLines(
  ctx: CanvasRenderingContext2D,
  lines: NonNullable<AnalysisResult["lines"]>,
  from: Size,
  sx: number,
  sy: number,
): void {
  const path = new Path2D();
  for (const { rho, theta } of lines) {
    // ρ is measured from pixel (0, 0)'s centre; on the canvas that centre is at (0.5, 0.5).
    const shifted = rho + 0.5 * (Math.cos(theta) + Math.sin(theta));
    const ends = clipLine(shifted, theta, from.width, from.height);
    if (!ends) continue;
    path.moveTo(ends[0] * sx, ends[1] * sy);
    path.lineTo(ends[2] * sx, ends[3] * sy);
  }
  stroke(ctx, path, LINE_COLOUR);
}

function strokeBox(ctx: CanvasRenderingContext2D, [x, y, w, h]: readonly number[], sx: number, sy: number, colour: string): void {
  const path = new Path2D();
  path.rect((x ?? 0) * sx, (y ?? 0) * sy, (w ?? 0) * sx, (h ?? 0) * sy);
  stroke(ctx, path, colour);
}

function drawDetections(
  ctx: CanvasRenderingContext2D,
  detections: NonNullable<AnalysisResult["detections"]>,
  sx: number,
  sy: number,
  font: number,
): void {
  ctx.font = `600 ${font}px system-ui, sans-serif`;
  ctx.textBaseline = "bottom";
  for (const d of detections) {
    strokeBox(ctx, d.bbox, sx, sy, BOX_COLOUR);
    const text = detectionLabel(d);
    const x = d.bbox[0] * sx;
    // Above the box, or inside its top when the box touches the image's top.
    const y = Math.max(font * 1.3, d.bbox[1] * sy);
    const w = ctx.measureText(text).width + font * 0.6;
    ctx.fillStyle = SHADOW;
    ctx.fillRect(x, y - font * 1.3, w, font * 1.3);
    ctx.fillStyle = BOX_COLOUR;
    ctx.fillText(text, x + font * 0.3, y - font * 0.15);
  }
}
