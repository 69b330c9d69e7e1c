/**
 * The Codec port on sharp (libvips): sniff, decode to RGBA8 (or RGB), encode. EXIF orientation is
 * applied on decode, so pixels are upright like every viewer shows them. Baseline JPEGs are
 * cut into pieces and results joined from pieces by ./jpeg, at the bitstream level; other
 * sources are read a region at a time by ./region-reader.
 */

import type { Image, RgbaImage } from "@tessera/kernels";
import sharp, { type Metadata } from "sharp";
import { DEFAULTS } from "../../engine/defaults.js";
import {
  type AnalysisOverlay,
  type Codec,
  CodecError,
  type EncodedSource,
  type EncodeOptions,
  type ImageHeader,
  isTileSet,
  type JoinedStream,
  type OutputFormat,
  type OverlayFormat,
  type PieceCutter,
  type PieceOptions,
  type PieceSource,
  type RegionReader,
  storedChannels,
  type TileSetFormat,
} from "../../engine/ports/codec.js";
import { joinJpegBands } from "./jpeg/join.js";
import { readJpegLayout } from "./jpeg/markers.js";
import { encodeInPieces, jpegPieceRows, unpackPieces } from "./jpeg/pieces.js";
import type { JpegScans } from "./jpeg/scan-thread.js";
import { cutterForSource } from "./jpeg/source-cutter.js";
import { checkOverlaySize, drawOverlay } from "./overlay.js";
import { encodePngPiece, joinPngPieces } from "./png-pieces.js";
import { encodePyramidPiece, joinTiffPieces, joinTileSetPieces, streamTiffPieces } from "./pyramid-pieces.js";
import { openRegions } from "./region-reader.js";
import { Slots } from "./slots.js";
import { oncePerFile, sharpInput, sourceSize } from "./source-input.js";

// Every call decodes or encodes bytes it is handed once: libvips' operation cache would only
// hold decoded bands nobody asks for again. One libvips thread per operation: the parallelism
// is across bands, each on a libuv thread (Slots); sharp picks 1 itself on glibc only while
// MALLOC_ARENA_MAX is unset, and bin/tessera.js sets it (16 threads a decode on 16 cores).
sharp.cache(false);
sharp.concurrency(1);

/**
 * JPEG output, the same for whole images and for pieces (pieces join only when their tables
 * are identical). mozjpeg's optimised Huffman coding is off: it fits the tables to the whole
 * image, so pieces could not share them, and it made encoding a 24 MP image 5× slower
 * (0.95 s against 0.19 s here) for a file 4% smaller.
 */
const JPEG_OUTPUT = { quality: 80, optimiseCoding: false, chromaSubsampling: "4:2:0" } as const;
/** The MCU a colour (4:2:0) and a grey JPEG of JPEG_OUTPUT are made of: pieces join on its rows. */
const JPEG_MCU = { colour: { width: 16, height: 16 }, grey: { width: 8, height: 8 } } as const;

/** Formats sharp decodes that make sense as photographs to process. */
const INPUT_FORMATS = new Set(["jpeg", "png", "webp", "tiff", "gif", "avif", "heif", "jp2", "jxl"]);

export interface SharpCodecOptions {
  /** Largest image (width × height) accepted; checked from the header before decoding. Default 100 MP. */
  maxPixels?: number;
  /**
   * Decodes and encodes running at once (each on one of libuv's threads, one libvips thread
   * each); more wait their turn. Default: no limit. `tessera process --threads N` sets N, so
   * that N is the number of threads it computes on, for the kernels and for the codec alike.
   */
  concurrency?: number;
  /** Sources this small are decoded whole to be read by region (./region-reader); default DEFAULTS'. */
  decodeWholePixels?: number;
  /** Where a large JPEG file's scan is walked; default on the thread that asks for the cutter. */
  scans?: JpegScans;
}

export class SharpCodec implements Codec {
  readonly maxPixels: number;
  private readonly slots: Slots;
  private readonly decodeWholePixels: number;
  private readonly scans: JpegScans | undefined;

  constructor(options: SharpCodecOptions = {}) {
    this.maxPixels = options.maxPixels ?? DEFAULTS.maxPixels;
    if (!Number.isInteger(this.maxPixels) || this.maxPixels < 1) {
      throw new RangeError(`options.maxPixels must be a positive integer, got ${String(options.maxPixels)}`);
    }
    const concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
    if (!(concurrency >= 1) || (concurrency !== Number.POSITIVE_INFINITY && !Number.isInteger(concurrency))) {
      throw new RangeError(`options.concurrency must be a positive integer, got ${String(options.concurrency)}`);
    }
    this.slots = new Slots(concurrency);
    this.decodeWholePixels = options.decodeWholePixels ?? DEFAULTS.decodeWholePixels;
    this.scans = options.scans;
  }

  async probe(source: EncodedSource): Promise<ImageHeader> {
    return (await this.readHeader(source)).header;
  }

  /** The checked header, with sharp's metadata for callers that need more of it. */
  private readonly readHeader = oncePerFile((source) => this.headerOf(source));

  private async headerOf(source: EncodedSource): Promise<{ header: ImageHeader; meta: Metadata }> {
    const size = await sourceSize(source);
    if (size === 0) throw new CodecError("NOT_AN_IMAGE", "the file is empty");
    let meta: Metadata;
    try {
      // Header only: no pixel limit here, so a bomb is reported as too many pixels below.
      meta = await sharp(sharpInput(source), { limitInputPixels: false }).metadata();
    } catch (cause) {
      const message = (cause as Error).message;
      if (/unsupported image format/i.test(message))
        throw new CodecError("NOT_AN_IMAGE", "not an image (no known image signature)", { cause });
      throw new CodecError("CORRUPT_IMAGE", `the image header is unreadable: ${message}`, { cause });
    }
    const format = meta.format ?? "unknown";
    if (!INPUT_FORMATS.has(format))
      throw new CodecError("UNSUPPORTED_FORMAT", `${format} images are not supported; use JPEG, PNG, WebP, TIFF, GIF or AVIF`);
    const { width, height } = orientedSize(meta);
    if (!width || !height) throw new CodecError("CORRUPT_IMAGE", "the image header has no size");
    if (width * height > this.maxPixels) {
      throw new CodecError(
        "TOO_MANY_PIXELS",
        `the image is ${width}×${height} = ${width * height} pixels; the limit is ${this.maxPixels} (TESSERA_MAX_PIXELS)`,
      );
    }
    return { header: { width, height, format }, meta };
  }

  async decode(bytes: Uint8Array): Promise<RgbaImage> {
    return this.decodeAs(bytes, 4);
  }

  async decodeOpaque(bytes: Uint8Array): Promise<Image> {
    return { ...(await this.decodeAs(bytes, 3)), channels: 3 };
  }

  /** Upright sRGB pixels, with alpha (4 channels) or without (3: the data only, untagged). */
  private async decodeAs(bytes: Uint8Array, channels: 3 | 4): Promise<RgbaImage> {
    await this.probe(bytes);
    try {
      const { data, info } = await this.slots.run(() => {
        const srgb = sharp(bytes, { limitInputPixels: this.maxPixels, failOn: "truncated" }).autoOrient().toColourspace("srgb");
        const pixels = channels === 4 ? srgb.ensureAlpha() : srgb.removeAlpha();
        return pixels.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
      });
      return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
    } catch (cause) {
      throw new CodecError("CORRUPT_IMAGE", `the image could not be decoded: ${(cause as Error).message}`, { cause });
    }
  }

  async encode(image: Image, format: OutputFormat, options: EncodeOptions = {}): Promise<Uint8Array> {
    const channels = image.channels ?? 4;
    const raw = { width: image.width, height: image.height, channels };
    const data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length);
    let pipeline = sharp(data, { raw, limitInputPixels: false });
    if (isTileSet(format) || format === "json")
      throw new CodecError("UNSUPPORTED_FORMAT", `a ${format} result is not one image (tile sets: see canJoin; json: overlay)`);
    // Known opaque (and grey): store no alpha (and no colour) where the format can omit them,
    // unless the image comes that way already.
    const rgba = channels === 4;
    if (format !== "jpeg" && options.opaque && rgba)
      pipeline = options.grey ? pipeline.extractChannel(0) : pipeline.removeAlpha();
    if (format === "png" && options.compression !== undefined)
      return await this.slots.run(() => pipeline.png({ compressionLevel: options.compression }).toBuffer());
    if (format !== "jpeg") {
      const quality =
        (format === "webp" || format === "avif") && options.quality !== undefined ? { quality: options.quality } : {};
      return await this.slots.run(() => pipeline.toFormat(format, quality).toBuffer());
    }
    // JPEG has no alpha: dropping it first spares the encoder a conversion (~12% at 24 MP).
    // A grey result is one channel: no chroma to convert, subsample and code.
    const settings = { ...JPEG_OUTPUT, ...(options.quality !== undefined && { quality: options.quality }) };
    // extractChannel also on a one-channel image: it is what marks it grey (b-w) for the encoder.
    const ready =
      channels === 1 || (rgba && options.grey) ? pipeline.extractChannel(0) : rgba ? pipeline.removeAlpha() : pipeline;
    const jpeg = ready.jpeg(settings);
    return await this.slots.run(() => jpeg.toBuffer());
  }

  /**
   * A cutter for a baseline JPEG shown as stored (no EXIF rotation); undefined for anything
   * else, which is then decoded whole. Reads the whole entropy-coded image once, so a
   * truncated or corrupt file is refused here, before any work is queued.
   */
  async cutter(source: EncodedSource): Promise<PieceCutter | undefined> {
    const { header, meta } = await this.readHeader(source);
    if (header.format !== "jpeg" || (meta.orientation ?? 1) !== 1) return undefined;
    // The one format read whole, still encoded: the cut copies ranges of its entropy data.
    const cutter = await cutterForSource(source, this.scans);
    return "unsupported" in cutter ? undefined : cutter;
  }

  async regions(source: EncodedSource): Promise<RegionReader> {
    const { header, meta } = await this.readHeader(source);
    const described = { ...header, stored: (meta.orientation ?? 1) === 1, opaque: meta.hasAlpha === false };
    return openRegions(source, described, (task) => this.slots.run(task), this.decodeWholePixels);
  }

  /** The source with an analysis result drawn on it (./overlay): decoded, composited and encoded by libvips. */
  async overlay(source: Uint8Array, result: AnalysisOverlay, format: OverlayFormat, options: EncodeOptions = {}) {
    checkOverlaySize(await this.probe(source), result);
    return this.slots.run(() => drawOverlay(source, result, format, options, this.maxPixels));
  }

  canJoin(format: OutputFormat, width: number, bandRows: number, options: EncodeOptions = {}): boolean {
    if (format === "tiff" || format === "png" || isTileSet(format)) return true;
    return format === "jpeg" && pieceRows(width, bandRows, options.grey === true) !== undefined;
  }

  /**
   * A band of a TIFF or tile-set result as its compressed tiles (./pyramid-pieces), or as
   * JPEG pieces of pieceRows rows (see jpeg/pieces.ts), encoded side by side on
   * libuv's threads and packed into one blob.
   */
  async encodePiece(band: Image, format: OutputFormat, options: PieceOptions): Promise<Uint8Array> {
    const stored = storedChannels(options);
    const channels = band.channels ?? 4;
    if (channels !== 4 && channels !== stored) {
      throw new RangeError(`a band of ${channels} channels for a result that stores ${stored}: bands come as RGBA or as stored`);
    }
    if (format === "tiff" || isTileSet(format)) return this.slots.run(() => encodePyramidPiece(band, format, options));
    if (format === "png") return this.slots.run(() => encodePngPiece(band, stored));
    const rows = format === "jpeg" ? pieceRows(band.width, options.bandRows, options.grey === true) : undefined;
    if (rows === undefined) {
      throw new CodecError(
        "UNSUPPORTED_FORMAT",
        `a ${band.width}-wide ${format} result in bands of ${options.bandRows} rows cannot be encoded in pieces; check canJoin first`,
      );
    }
    return encodeInPieces(band, rows, (piece) => this.encode(piece, format, options));
  }

  joinTileSet(
    format: TileSetFormat,
    pieces: PieceSource,
    width: number,
    height: number,
    bandRows: number,
    put: (name: string, bytes: Uint8Array) => Promise<void>,
    options: EncodeOptions = {},
  ): Promise<string> {
    return joinTileSetPieces(format, pieces, width, height, bandRows, put, options);
  }

  async join(
    format: OutputFormat,
    bands: readonly Uint8Array[],
    width: number,
    height: number,
    bandRows: number,
    options: EncodeOptions = {},
  ): Promise<Uint8Array> {
    if (format === "tiff") return joinTiffPieces(bands, width, height, bandRows, options);
    if (format === "png") return joinPngPieces(bands, width, height, storedChannels(options));
    if (format !== "jpeg")
      throw new CodecError("UNSUPPORTED_FORMAT", `${format} pieces cannot be joined; only jpeg and tiff can`);
    const pieces = bands.flatMap((band) => unpackPieces(band));
    // The pieces say whether they are grey (one component), which sets their height.
    const first = pieces[0] ? readJpegLayout(pieces[0]) : "no pieces";
    if (typeof first === "string") throw new CodecError("CORRUPT_IMAGE", `the result's first piece is unreadable: ${first}`);
    const rows = pieceRows(width, bandRows, first.components.length === 1);
    if (rows === undefined)
      throw new CodecError("UNSUPPORTED_FORMAT", `${width}-wide bands of ${bandRows} rows cannot be joined`);
    return joinJpegBands(pieces, width, height, rows);
  }

  joinStream(
    format: OutputFormat,
    pieces: PieceSource,
    width: number,
    height: number,
    bandRows: number,
    options: EncodeOptions = {},
  ): JoinedStream {
    if (format === "tiff") return streamTiffPieces(pieces, width, height, bandRows, options);
    // JPEG and PNG results are a fraction of a TIFF pyramid's size, and their joins want every piece.
    const join = async (): Promise<Uint8Array> => {
      const all: Uint8Array[] = [];
      for await (const piece of pieces) all.push(piece);
      return this.join(format, all, width, height, bandRows, options);
    };
    return {
      data: (async function* () {
        yield await join();
      })(),
    };
  }
}

/** Rows per JPEG piece of JPEG_OUTPUT for bands `bandRows` high; undefined when they cannot join. */
const pieceRows = (width: number, bandRows: number, grey: boolean): number | undefined =>
  jpegPieceRows(width, bandRows, grey ? JPEG_MCU.grey : JPEG_MCU.colour);

/** Width and height as displayed: EXIF orientations 5–8 swap them. */
function orientedSize(meta: Metadata): { width?: number; height?: number } {
  const swap = (meta.orientation ?? 1) >= 5;
  return swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
}
