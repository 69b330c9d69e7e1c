/**
 * The geometry of a pyramid, shared by the bands' encoders and the join: the levels, which
 * rows and tile rows a band computes itself, and which the join must build. Everything here
 * is a pure function of the layout, so a worker and the coordinator agree without talking.
 *
 * Level ℓ is the image halved ℓ times (sides rounded up), so its row r covers the full
 * resolution rows [r·2^ℓ, (r+1)·2^ℓ) cut at the image. A band "provides" a level-ℓ row when
 * all of those rows are inside the band; every other row straddles two (or more) bands and
 * the join computes it from the two rows above it.
 */

/** Side of every tile, at every level and in every format (TIFF, Deep Zoom, IIIF). */
export const TILE = 256;

export type PyramidFormat = "tiff" | "dzi" | "iiif";
export type TileFormat = "jpeg" | "png";
export type Channels = 1 | 3 | 4;

export interface PyramidOptions {
  readonly format: PyramidFormat;
  readonly width: number;
  readonly height: number;
  /** Rows of every band but the last (the engine's tileSize). */
  readonly bandHeight: number;
  /** Samples written per pixel: 1 grey, 3 RGB (opaque), 4 RGBA. See imageChannels. */
  readonly channels: Channels;
  /** dzi/iiif: how tiles are encoded. Default jpeg. */
  readonly tileFormat?: TileFormat;
  /** dzi/iiif with jpeg tiles: quality 1..100. Default 80. */
  readonly quality?: number;
  /** tiff: zlib level 1..9. Default 6. */
  readonly deflateLevel?: number;
  /**
   * tiff: zlib strategy. Default "rle": after the horizontal predictor a photograph's residuals
   * have few long matches, and Z_RLE measured 3–8× faster than the default strategy here for
   * 0–15% more bytes (1–2× larger only on flat synthetic images).
   */
  readonly deflateStrategy?: "rle" | "default";
  /** dzi: base name of the `.dzi` file and the `_files` folder. Default "image". */
  readonly name?: string;
  /** iiif: the image service's id (its base URI) written into info.json. */
  readonly id?: string;
}

export interface Level {
  readonly width: number;
  readonly height: number;
  readonly cols: number;
  readonly rows: number;
}

export interface PyramidLayout extends Required<Omit<PyramidOptions, "id">> {
  readonly id: string;
  readonly levels: readonly Level[];
  readonly bands: number;
  /**
   * The strip level S: bands compress the tile rows they wholly contain at levels below S and
   * hand level S over as raw rows, from which the join builds S and everything smaller. S is
   * the number of levels at which a band spans at least a whole tile row (so a 512-row band
   * compresses levels 0 and 1 and hands over level 2, a sixteenth of its pixels), capped at the
   * last level.
   */
  readonly stripLevel: number;
  /** Identifies the layout inside every piece, so a piece is never joined into another layout. */
  readonly key: string;
}

const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

export function pyramidLayout(options: PyramidOptions): PyramidLayout {
  const { format, width, height, bandHeight, channels } = options;
  if (format !== "tiff" && format !== "dzi" && format !== "iiif")
    throw new RangeError(`unknown pyramid format ${String(format)}`);
  if (!isInt(width, 1) || !isInt(height, 1)) throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  if (!isInt(bandHeight, 1)) throw new RangeError(`bandHeight must be a positive integer, got ${bandHeight}`);
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new RangeError(`channels must be 1, 3 or 4, got ${channels}`);
  const tileFormat = options.tileFormat ?? "jpeg";
  if (tileFormat !== "jpeg" && tileFormat !== "png") throw new RangeError(`tileFormat must be jpeg or png, got ${tileFormat}`);
  if (format !== "tiff" && tileFormat === "jpeg" && channels === 4) {
    throw new RangeError("JPEG tiles cannot carry alpha: use tileFormat png for an image with transparency");
  }
  const quality = options.quality ?? 80;
  if (!isInt(quality, 1, 100)) throw new RangeError(`quality must be an integer 1..100, got ${quality}`);
  const deflateLevel = options.deflateLevel ?? 6;
  if (!isInt(deflateLevel, 1, 9)) throw new RangeError(`deflateLevel must be an integer 1..9, got ${deflateLevel}`);
  const deflateStrategy = options.deflateStrategy ?? "rle";
  if (deflateStrategy !== "rle" && deflateStrategy !== "default")
    throw new RangeError(`unknown deflateStrategy ${deflateStrategy}`);
  const name = options.name ?? "image";
  // The name becomes a path segment: keep it to one.
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith("."))
    throw new RangeError(`name must be a plain file name, got ${name}`);
  const id = options.id ?? "";
  if (format === "iiif" && !id) throw new RangeError("an IIIF tile set needs the service's id (its base URI)");

  const levels: Level[] = [];
  // TIFF and IIIF stop at the first level that fits in one tile (libvips' pyramid and iiif3
  // layouts); Deep Zoom goes down to 1×1, as its viewers expect ceil(log2(max side)) + 1 levels.
  const smallest = format === "dzi" ? 1 : TILE;
  for (let w = width, h = height; ; w = Math.ceil(w / 2), h = Math.ceil(h / 2)) {
    levels.push({ width: w, height: h, cols: Math.ceil(w / TILE), rows: Math.ceil(h / TILE) });
    if (w <= smallest && h <= smallest) break;
  }
  let spans = 0;
  while (bandHeight >= TILE * 2 ** spans) spans++;
  const stripLevel = Math.min(spans, levels.length - 1);
  const settings = { format, width, height, bandHeight, channels, tileFormat, quality, deflateLevel, deflateStrategy, name, id };
  // Only what changes the bytes goes into the key.
  const key = JSON.stringify(
    format === "tiff" ? [format, width, height, bandHeight, channels, deflateLevel, deflateStrategy] : Object.values(settings),
  );
  return { ...settings, levels, bands: Math.ceil(height / bandHeight), stripLevel, key };
}

export function levelOf(layout: PyramidLayout, level: number): Level {
  const l = layout.levels[level];
  if (!l) throw new RangeError(`level ${level} is outside the pyramid (${layout.levels.length} levels)`);
  return l;
}

/** Full-resolution rows [y0, y1) of band `band`. */
export function bandSpan(layout: PyramidLayout, band: number): { y0: number; y1: number } {
  if (!isInt(band, 0, layout.bands - 1)) {
    throw new RangeError(
      `band index must be an integer 0..${layout.bands - 1} for ${layout.height} rows in bands of ${layout.bandHeight}, got ${band}`,
    );
  }
  const y0 = band * layout.bandHeight;
  return { y0, y1: Math.min(layout.height, y0 + layout.bandHeight) };
}

/** True when level-ℓ rows [r0, r1) lie, at full resolution, inside one band. */
function insideOneBand(layout: PyramidLayout, level: number, r0: number, r1: number): boolean {
  const scale = 2 ** level;
  const start = r0 * scale;
  const end = Math.min(r1 * scale, layout.height);
  return Math.floor(start / layout.bandHeight) === Math.floor((end - 1) / layout.bandHeight);
}

/** Whether a band computes level-ℓ row r (else the join does, from the two rows above). */
export function rowFromBand(layout: PyramidLayout, level: number, row: number): boolean {
  return level <= layout.stripLevel && insideOneBand(layout, level, row, row + 1);
}

/** Whether a band compresses level-ℓ tile row k itself (else the join assembles it from rows). */
export function tileRowFromBand(layout: PyramidLayout, level: number, tileRow: number): boolean {
  const { height } = levelOf(layout, level);
  return level < layout.stripLevel && insideOneBand(layout, level, tileRow * TILE, Math.min(height, (tileRow + 1) * TILE));
}

/** Level-ℓ rows [r0, r1) of a tile row. */
export function tileRowRows(layout: PyramidLayout, level: number, tileRow: number): { r0: number; r1: number } {
  const r0 = tileRow * TILE;
  return { r0, r1: Math.min(levelOf(layout, level).height, r0 + TILE) };
}

/**
 * The full-resolution row after a tile row's last. Tiles are written in order of (end, level,
 * column): the order in which a single top-to-bottom pass completes them, whatever the bands.
 */
export function tileRowEnd(layout: PyramidLayout, level: number, tileRow: number): number {
  return Math.min(layout.height, tileRowRows(layout, level, tileRow).r1 * 2 ** level);
}

/** Level-ℓ rows [r0, r1) a band provides (possibly empty). */
export function bandLevelRows(layout: PyramidLayout, band: number, level: number): { r0: number; r1: number } {
  const { y0, y1 } = bandSpan(layout, band);
  const scale = 2 ** level;
  const r0 = Math.ceil(y0 / scale);
  const r1 = y1 === layout.height ? levelOf(layout, level).height : Math.floor(y1 / scale);
  return { r0, r1: Math.max(r0, r1) };
}
