/**
 * The Codec port: encoded image bytes ⇄ RGBA8 pixels. sharp implements it on servers
 * (infra/adapters/sharp-codec.ts); the engine never decodes anything itself.
 */

import type { AnalysisData, Image, RgbaImage } from "@tessera/kernels";
import type { PutStreamOptions } from "./blob-store.js";

/** `json`: the data an analysis op returns (a pipeline ending in one); every other is an image. */
export const OUTPUT_FORMATS = ["png", "jpeg", "webp", "tiff", "avif", "dzi", "iiif", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** The formats an analysis result's overlay (the source with the data drawn on it) can be written in. */
export const OVERLAY_FORMATS = ["png", "jpeg", "webp", "tiff", "avif"] as const;
export type OverlayFormat = (typeof OVERLAY_FORMATS)[number];
export const isOverlayFormat = (format: string): format is OverlayFormat =>
  (OVERLAY_FORMATS as readonly string[]).includes(format);

/** An analysis result as the overlay draws it: the image's size and what the op found. */
export interface AnalysisOverlay extends AnalysisData {
  readonly width: number;
  readonly height: number;
}
/** Results that are a set of files (a tile pyramid for deep-zoom viewers), not one image file. */
export const TILE_SET_FORMATS = ["dzi", "iiif"] as const;
export type TileSetFormat = (typeof TILE_SET_FORMATS)[number];
export const isTileSet = (format: OutputFormat): format is TileSetFormat =>
  (TILE_SET_FORMATS as readonly string[]).includes(format);
/**
 * An encoded image in a file, read where it lies instead of from memory: an upload the gateway
 * spooled to disk as it arrived, or `tessera process`'s input. The codec reads `path`; the
 * coordinator stores the source from `stream()`. `release`, when set, is called once the job
 * no longer reads the file (its reader closed; a JPEG's once stored) or its submission fails:
 * the gateway removes its spool file there. A caller's own file has none.
 */
export interface SourceFile {
  readonly path: string;
  stream(): AsyncIterable<Uint8Array>;
  release?(): Promise<void>;
}

/** An encoded image: its bytes, or a file holding them. */
export type EncodedSource = Uint8Array | SourceFile;

export const isSourceFile = (source: unknown): source is SourceFile =>
  typeof source === "object" && source !== null && typeof (source as SourceFile).path === "string";

/** The id a IIIF result's info.json holds until the gateway serves it under its own address. */
export const IIIF_PLACEHOLDER_ID = "tessera:result";

export interface ImageHeader {
  readonly width: number;
  readonly height: number;
  /** The container format as the codec names it, e.g. "png", "jpeg". */
  readonly format: string;
}

/** Rows [top, top + rows) of an image as an encoded piece that decodes on its own. */
export interface EncodedPiece {
  readonly bytes: Uint8Array;
  readonly top: number;
  readonly rows: number;
}

/** An encoded image that can be cut into pieces without decoding it. */
export interface PieceCutter {
  /** The image's size, as its header (already checked against the codec's limits) gives it. */
  readonly width: number;
  readonly height: number;
  /**
   * A piece covering at least rows [y0, y1), whose decoded rows equal the same rows of the
   * whole image decoded, byte for byte.
   */
  cut(y0: number, y1: number): EncodedPiece;
  /** The encoded image it cuts from, whole, as it came: the job stores its source from these. */
  readonly encoded: Uint8Array;
}

/**
 * Rows of an encoded image decoded on their own, for a source that cannot be cut into pieces:
 * the coordinator reads a band's window at a time and never holds the whole image decoded.
 */
export interface RegionReader {
  readonly width: number;
  readonly height: number;
  /** The image has no alpha channel: every pixel read is opaque. */
  readonly opaque: boolean;
  /**
   * Rows [y0, y1), byte-identical to the same rows of the whole image decoded; as RGB
   * (`channels: 3`) when the image is opaque, since its alpha would be 255 throughout.
   */
  read(y0: number, y1: number): Promise<Image>;
  /** Lets go of what the reader holds (a temporary copy of the image). */
  close(): Promise<void>;
}

/** How a source is read band by band: cut into pieces, or read a region at a time. */
export type SourceReader = { readonly cutter: PieceCutter } | { readonly regions: RegionReader };

/** How a result is encoded: `grey` when R = G = B everywhere, so one channel carries it. */
export interface EncodeOptions {
  readonly grey?: boolean;
  /** Every pixel is opaque: a format that can omit alpha stores none. */
  readonly opaque?: boolean;
  /** JPEG, WebP and AVIF quality, 1–100 (default: JPEG 80, the others the codec's own). */
  readonly quality?: number;
  /** PNG zlib compression level, 0 (fastest) – 9 (smallest); default 6. */
  readonly compression?: number;
}

/** The channels a lossless result stores: one when grey and opaque, RGB when opaque, else RGBA. */
export const storedChannels = (options: EncodeOptions): 1 | 3 | 4 => (options.opaque ? (options.grey ? 1 : 3) : 4);

/** The ranges EncodeOptions' numbers must be in, shared by every place that takes them. */
export const ENCODE_RANGES = { quality: { min: 1, max: 100 }, compression: { min: 0, max: 9 } } as const;

/** A band of a result to encode as a piece: which band it is, and of what. */
export interface PieceOptions extends EncodeOptions {
  /** The height of every band but the last (the grid's tile size). */
  readonly bandRows: number;
  /** The band's index, from 0 at the top. */
  readonly band: number;
  /** The whole result's height. */
  readonly height: number;
}

export interface Codec {
  /** Reads the header only: enough to enforce pixel limits before decoding anything. */
  probe(source: EncodedSource): Promise<ImageHeader>;
  decode(bytes: Uint8Array): Promise<RgbaImage>;
  /**
   * Decodes an encoding that has no alpha (a JPEG piece) as RGB, three bytes a pixel: decode()'s
   * pixels less their alpha of 255, a quarter less to make, hold and copy.
   */
  decodeOpaque(bytes: Uint8Array): Promise<Image>;
  /** Encodes an image: RGBA, or (`image.channels`) already grey or RGB as `options` say it is. */
  encode(image: Image, format: OutputFormat, options?: EncodeOptions): Promise<Uint8Array>;
  /**
   * A cutter when this encoding can be cut into pieces without decoding it (so every band
   * is decoded where it is processed, in parallel); undefined when it must be decoded whole.
   */
  cutter(source: EncodedSource): Promise<PieceCutter | undefined>;
  /**
   * A reader of the image's rows that never decodes the whole image (checked against the
   * pixel limit first). Close it when done.
   */
  regions(source: EncodedSource): Promise<RegionReader>;
  /**
   * Whether a `width`-wide result in `format` can be encoded band by band (every band but
   * the last `bandRows` high) and the pieces joined into one file.
   */
  canJoin(format: OutputFormat, width: number, bandRows: number, options?: EncodeOptions): boolean;
  /**
   * Encodes one band of a result as a piece for join(). The band is RGBA, or already in the
   * channels the result stores (`band.channels` = storedChannels(options)).
   */
  encodePiece(band: Image, format: OutputFormat, options: PieceOptions): Promise<Uint8Array>;
  /**
   * Joins the pieces of a tile-set result, top to bottom, writing each file through `put`
   * (names relative to the result's folder) as soon as it is made, and taking the pieces one
   * at a time; resolves with the name of its main file (the `.dzi` descriptor, or IIIF's
   * `info.json`).
   */
  joinTileSet(
    format: TileSetFormat,
    pieces: PieceSource,
    width: number,
    height: number,
    bandRows: number,
    put: (name: string, bytes: Uint8Array) => Promise<void>,
    options?: EncodeOptions,
  ): Promise<string>;
  /**
   * The source image (encoded, as uploaded) with an analysis result drawn on it: keypoints as
   * small circles, lines clipped to the image, component and detection boxes (with labels),
   * encoded in `format`. The codec draws and composites it itself, without handing the
   * decoded image to the caller.
   */
  overlay(source: Uint8Array, result: AnalysisOverlay, format: OverlayFormat, options?: EncodeOptions): Promise<Uint8Array>;
  /** Joins the pieces of consecutive bands, top to bottom, into one file (encoded with `options`). */
  join(
    format: OutputFormat,
    pieces: readonly Uint8Array[],
    width: number,
    height: number,
    bandRows: number,
    options?: EncodeOptions,
  ): Promise<Uint8Array>;
  /**
   * join() as a stream for BlobStore.putStream, taking the pieces one at a time as it needs
   * them: a format that can be joined front to back without holding the file (a pyramidal
   * TIFF) holds one piece at a time; the others are joined in memory and streamed after.
   */
  joinStream(
    format: OutputFormat,
    pieces: PieceSource,
    width: number,
    height: number,
    bandRows: number,
    options?: EncodeOptions,
  ): JoinedStream;
}

/** Band pieces in band order; promises are awaited one at a time, in order. */
export type PieceSource = Iterable<Uint8Array | Promise<Uint8Array>> | AsyncIterable<Uint8Array>;

/** A joined file as BlobStore.putStream takes it: its bytes, and a head known only at the end. */
export interface JoinedStream {
  readonly data: AsyncIterable<Uint8Array>;
  readonly head?: PutStreamOptions["head"];
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
