/**
 * Names well-known image formats the codec cannot read, from their first bytes, before the
 * codec probes the upload. libvips has no loader for them, so its probe can only say "not an
 * image", which sends the user looking for a corrupt file instead of another format.
 */

import { HttpError } from "./http-errors.js";

/** What the codec (sharp/libvips, infra/adapters/sharp-codec.ts) reads, in the words users know. */
export const SUPPORTED = "JPEG, PNG, WebP, TIFF, GIF or AVIF";

const ascii = (bytes: Uint8Array, at: number, text: string): boolean =>
  bytes.length >= at + text.length && [...text].every((ch, i) => bytes[at + i] === ch.charCodeAt(0));

const u32le = (b: Uint8Array, at: number): number =>
  ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>> 0;

/** Sizes of the BMP info headers (BITMAPCOREHEADER to BITMAPV5HEADER): "BM" alone could start any text. */
const BMP_INFO_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

const UNSUPPORTED: { name: string; test: (b: Uint8Array) => boolean }[] = [
  { name: "BMP", test: (b) => ascii(b, 0, "BM") && BMP_INFO_SIZES.has(u32le(b, 14)) },
  { name: "Photoshop (PSD)", test: (b) => ascii(b, 0, "8BPS") },
  { name: "PDF", test: (b) => ascii(b, 0, "%PDF-") },
  { name: "ICO", test: (b) => b.length >= 6 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0 && (b[4] ?? 0) > 0 },
];

/** Throws 415 naming the format when the bytes are an image format the gateway does not take. */
export function refuseUnsupported(bytes: Uint8Array): void {
  const known = UNSUPPORTED.find((f) => f.test(bytes));
  if (known) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `${known.name} is not supported; send ${SUPPORTED}`);
  }
}
