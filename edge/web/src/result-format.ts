// The result's format and the download settings. "Same as input" names the input's real format
// (a JPEG input gives a JPEG result, not the server's default PNG); the download links carry
// the quality (JPEG, WebP) and the PNG compression chosen beside them.

import { byId } from "./dom.ts";

/** The result format an input of this MIME type keeps; formats the server cannot write become PNG. */
export function formatOfInput(mime: string): "jpeg" | "png" | "webp" | "tiff" | "avif" {
  const sub = mime.toLowerCase().replace(/^image\//, "");
  if (sub === "jpeg" || sub === "jpg" || sub === "pjpeg") return "jpeg";
  if (sub === "webp" || sub === "tiff" || sub === "avif") return sub;
  return "png";
}

const LABELS: Record<string, string> = { jpeg: "JPEG", png: "PNG", webp: "WebP", tiff: "TIFF", avif: "AVIF" };

/** Points the select's first option ("Same as input") at the picked file's format, by name. */
export function showInputFormat(mime: string): void {
  const option = byId<HTMLSelectElement>("format").options[0];
  if (!option) return;
  const format = formatOfInput(mime);
  option.value = format;
  option.textContent = `Same as input (${LABELS[format]})`;
}

/** The query a download link adds for `format`: quality for JPEG and WebP, compression for PNG. */
export function downloadQuery(format: "png" | "jpeg" | "webp"): Record<string, string> {
  if (format === "png") return { format, compression: byId<HTMLInputElement>("download-compression").value };
  return { format, quality: byId<HTMLInputElement>("download-quality").value };
}
