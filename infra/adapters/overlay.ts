/**
 * An analysis result drawn on its source image: an SVG of the same size (keypoints as small
 * circles, lines clipped to the image, component and detection boxes, detections labelled)
 * composited over the decoded source by libvips. The pixels never come to JS: sharp decodes,
 * rasterises the SVG, composites and encodes in one pipeline.
 */

import sharp from "sharp";
import { type AnalysisOverlay, CodecError, type EncodeOptions, type OverlayFormat } from "../../engine/ports/codec.js";

const POINT = "#00ff66";
const LINE = "#ff2d55";
const BOX = "#ffcc00";
const DETECTION = "#00c8ff";

const esc = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
const n = (v: number): string => String(Math.round(v * 100) / 100);

/**
 * The segment of the line x·cos θ + y·sin θ = ρ inside [0, w] × [0, h], or undefined when the
 * line misses the image: the points where it crosses the four borders, the two farthest apart.
 */
export function clipLine(rho: number, theta: number, w: number, h: number): [number, number, number, number] | undefined {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const points: [number, number][] = [];
  const eps = 1e-9;
  if (Math.abs(s) > eps) {
    for (const x of [0, w]) {
      const y = (rho - x * c) / s;
      if (y >= -eps && y <= h + eps) points.push([x, y]);
    }
  }
  if (Math.abs(c) > eps) {
    for (const y of [0, h]) {
      const x = (rho - y * s) / c;
      if (x >= -eps && x <= w + eps) points.push([x, y]);
    }
  }
  let best: [number, number, number, number] | undefined;
  let far = -1;
  for (const [x0, y0] of points) {
    for (const [x1, y1] of points) {
      const d = (x1 - x0) ** 2 + (y1 - y0) ** 2;
      if (d > far) [far, best] = [d, [x0, y0, x1, y1]];
    }
  }
  return best;
}

/** The overlay as SVG text, `width × height` like the image; strokes scale with the image. */
export function overlaySvg(result: AnalysisOverlay): string {
  const { width: w, height: h } = result;
  const stroke = Math.max(1, Math.round(Math.min(w, h) / 400));
  const radius = 3 * stroke;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`];
  if (result.lines?.length) {
    parts.push(`<g stroke="${LINE}" stroke-width="${stroke}">`);
    for (const line of result.lines) {
      const seg = clipLine(line.rho, line.theta, w, h);
      if (seg) parts.push(`<line x1="${n(seg[0])}" y1="${n(seg[1])}" x2="${n(seg[2])}" y2="${n(seg[3])}"/>`);
    }
    parts.push("</g>");
  }
  if (result.components?.length) {
    parts.push(`<g fill="none" stroke="${BOX}" stroke-width="${stroke}">`);
    for (const { bbox } of result.components)
      parts.push(`<rect x="${bbox[0]}" y="${bbox[1]}" width="${bbox[2]}" height="${bbox[3]}"/>`);
    parts.push("</g>");
  }
  if (result.keypoints?.length) {
    // Pixel (x, y)'s centre is at (x + 0.5, y + 0.5) in SVG's coordinates.
    parts.push(`<g fill="none" stroke="${POINT}" stroke-width="${stroke}">`);
    for (const k of result.keypoints) parts.push(`<circle cx="${n(k.x + 0.5)}" cy="${n(k.y + 0.5)}" r="${radius}"/>`);
    parts.push("</g>");
  }
  if (result.detections?.length) {
    const size = 12 * stroke;
    parts.push(`<g font-family="sans-serif" font-size="${size}">`);
    for (const d of result.detections) {
      const [x, y, bw, bh] = d.bbox;
      const label = `${esc(d.label)} ${Math.round(d.score * 100)}%`;
      parts.push(
        `<rect x="${n(x)}" y="${n(y)}" width="${n(bw)}" height="${n(bh)}" fill="none" stroke="${DETECTION}" stroke-width="${stroke}"/>`,
        `<text x="${n(x + stroke)}" y="${n(Math.max(size, y - stroke))}" fill="${DETECTION}">${label}</text>`,
      );
    }
    parts.push("</g>");
  }
  parts.push("</svg>");
  return parts.join("");
}

/** A result drawn on another image than its own would be misplaced: refused. */
export function checkOverlaySize(source: { width: number; height: number }, result: AnalysisOverlay): void {
  if (source.width !== result.width || source.height !== result.height)
    throw new CodecError(
      "CORRUPT_IMAGE",
      `the source is ${source.width}×${source.height}, but the result was found on ${result.width}×${result.height}`,
    );
}

/** The source (encoded) upright, with the overlay composited over it, encoded in `format`. */
export async function drawOverlay(
  source: Uint8Array,
  result: AnalysisOverlay,
  format: OverlayFormat,
  options: EncodeOptions,
  maxPixels: number,
): Promise<Uint8Array> {
  const pipeline = sharp(source, { limitInputPixels: maxPixels, failOn: "truncated" })
    .autoOrient()
    .composite([{ input: Buffer.from(overlaySvg(result)), top: 0, left: 0 }]);
  if (format === "jpeg") return pipeline.jpeg({ quality: options.quality ?? 80 }).toBuffer();
  if (format === "png") return pipeline.png({ compressionLevel: options.compression ?? 6 }).toBuffer();
  if (format === "webp" || format === "avif")
    return pipeline.toFormat(format, { ...(options.quality && { quality: options.quality }) }).toBuffer();
  return pipeline.tiff().toBuffer();
}
