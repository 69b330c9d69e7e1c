/**
 * The Codec port: encoded image bytes ⇄ RGBA8 pixels. sharp implements it on servers
 * (infra/adapters/sharp-codec.ts); the engine never decodes anything itself.
 */

import type { RgbaImage } from "@tessera/kernels";

export const OUTPUT_FORMATS = ["png", "jpeg", "webp", "tiff", "avif"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface ImageHeader {
  readonly width: number;
  readonly height: number;
  /** The container format as the codec names it, e.g. "png", "jpeg". */
  readonly format: string;
}

export interface Codec {
  /** Reads the header only: enough to enforce pixel limits before decoding anything. */
  probe(bytes: Uint8Array): Promise<ImageHeader>;
  decode(bytes: Uint8Array): Promise<RgbaImage>;
  encode(image: RgbaImage, format: OutputFormat): Promise<Uint8Array>;
}

/**
 * Why bytes could not become pixels (or back):
 * - `NOT_AN_IMAGE`: no known image signature (a text file named .jpg, an empty file);
 * - `UNSUPPORTED_FORMAT`: an image format the codec does not read or write;
 * - `CORRUPT_IMAGE`: the header is fine but the data is truncated or broken;
 * - `TOO_MANY_PIXELS`: over the pixel limit (checked from the header, before decoding).
 */
export type CodecErrorCode = "NOT_AN_IMAGE" | "UNSUPPORTED_FORMAT" | "CORRUPT_IMAGE" | "TOO_MANY_PIXELS";

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CodecError";
    this.code = code;
  }
}

/** The output format named by a file extension, or undefined. */
export function formatFromExtension(path: string): OutputFormat | undefined {
  const ext = path.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (ext === "jpg") return "jpeg";
  if (ext === "tif") return "tiff";
  return (OUTPUT_FORMATS as readonly string[]).includes(ext ?? "") ? (ext as OutputFormat) : undefined;
}
