/**
 * Taking a submission in: reading the source far enough to know its size (a JPEG's bitstream
 * is scanned, anything else's header read), checking the tile size, making the job's manifest, and
 * storing the source as the first stage's input, stopping early when the job is canceled
 * meanwhile. The coordinator records the manifest before calling storeSource, so a restart
 * finds every blob's owner.
 */

import { analysisStepOf, formatPipeline, type Pipeline, type RgbaImage } from "@tessera/kernels";
import { writeBandWindow } from "./band-store.js";
import { sourceLayer, sourceName } from "./blob-names.js";
import { type JobManifest, newJobId, TERMINAL } from "./job.js";
import { atPhase } from "./phase-probe.js";
import { planPipeline } from "./plan.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { Clock } from "./ports/clock.js";
import {
  type Codec,
  type EncodedSource,
  isSourceFile,
  type OutputFormat,
  type RegionReader,
  type SourceReader,
} from "./ports/codec.js";
import { bandCount, DEFAULT_TILE_SIZE, type Grid, MAX_TILES, makeGrid, minTileSizeFor, tileCount } from "./tiling.js";

export interface SubmitOptions {
  format: OutputFormat;
  tileSize?: number;
  /** Who the job belongs to (an opaque id the gateway derives from the caller's token). */
  owner?: string;
}

/** A job ready to be recorded, and what its source became. */
export interface Intake {
  job: JobManifest;
  grid: Grid;
  /** The source, when it was submitted as pixels. */
  pixels?: RgbaImage;
  /** How the first stage will read an encoded source: its cutter or its region reader. */
  reader?: SourceReader;
  /** The first stage's halo: what each of its windows holds beyond its band. */
  halo: number;
}

/** What a job is submitted with: an encoded image (bytes or a file), or its pixels. */
export type JobSource = EncodedSource | RgbaImage;

const isEncoded = (source: JobSource): source is EncodedSource => source instanceof Uint8Array || isSourceFile(source);

export async function takeIn(
  codec: Codec,
  clock: Clock,
  source: JobSource,
  steps: Pipeline,
  options: SubmitOptions,
): Promise<Intake> {
  const pixels = isEncoded(source) ? undefined : source;
  let regions: RegionReader | undefined;
  try {
    // An encoded source is not decoded here: a cutter scans a JPEG's bitstream (and knows its
    // size), anything else is read a band at a time as the first stage dispatches.
    const cutter = isEncoded(source) ? await codec.cutter(source) : undefined;
    // Opened here, not at dispatch, so that a corrupt file is refused before the job is accepted.
    if (isEncoded(source) && !cutter) regions = releasedOnClose(await codec.regions(source), source);
    const reader: SourceReader | undefined = cutter ? { cutter } : regions ? { regions } : undefined;
    // A baseline JPEG has no alpha; a region reader knows; pixels handed over are not checked.
    const opaque = cutter !== undefined || regions?.opaque === true;
    return makeIntake(pixels ?? cutter ?? (regions as RegionReader), clock, steps, options, pixels, reader, opaque);
  } catch (err) {
    if (regions) await regions.close();
    else await releaseSource(source);
    throw err;
  }
}

/** Tells a source file's owner that the job no longer reads it (SourceFile.release). */
export async function releaseSource(source: JobSource): Promise<void> {
  if (isSourceFile(source)) await source.release?.();
}

/** A region reader of a source file that also releases the file when it is closed (it reads it until then). */
function releasedOnClose(regions: RegionReader, source: EncodedSource): RegionReader {
  if (!isSourceFile(source)) return regions;
  return {
    width: regions.width,
    height: regions.height,
    opaque: regions.opaque,
    read: (y0, y1) => regions.read(y0, y1),
    close: async () => {
      try {
        await regions.close();
      } finally {
        await releaseSource(source);
      }
    },
  };
}

function makeIntake(
  { width, height }: { width: number; height: number },
  clock: Clock,
  steps: Pipeline,
  options: SubmitOptions,
  pixels: RgbaImage | undefined,
  reader: SourceReader | undefined,
  opaque: boolean,
): Intake {
  const floor = minTileSizeFor(width, height);
  if (options.tileSize !== undefined && options.tileSize < floor) {
    throw new RangeError(
      `tile size ${options.tileSize} would cut ${width}×${height} into more than ${MAX_TILES} tiles; use at least ${floor}`,
    );
  }
  const grid = makeGrid(width, height, options.tileSize ?? Math.max(DEFAULT_TILE_SIZE, floor));
  const plan = planPipeline(steps);
  checkFormat(steps, options.format);
  const id = newJobId();
  const now = clock.now();
  const job: JobManifest = {
    id,
    status: "queued",
    createdAt: now,
    updatedAt: now,
    steps: [...steps],
    pipeline: formatPipeline(steps),
    width,
    height,
    tileSize: grid.tileSize,
    format: options.format,
    ...(opaque && { opaque }),
    ...(options.owner !== undefined && { owner: options.owner }),
    stage: 0,
    stages: plan.stages.map(() => ({ done: 0, total: tileCount(grid) })),
    input: pixels ? { kind: "windows", prefix: sourceLayer(id) } : { kind: "source" },
    stored: false,
    step: "ingest",
  };
  return { job, grid, halo: plan.stages[0]?.halo ?? 0, ...(pixels && { pixels }), ...(reader && { reader }) };
}

/**
 * An analysis op returns data, so its result is JSON, and only its result is: a RangeError (a
 * request error) otherwise. The overlay is a download of the JSON result (Codec.overlay).
 */
export function checkFormat(steps: Pipeline, format: OutputFormat): void {
  const analysis = analysisStepOf(steps);
  if (analysis && format !== "json") {
    throw new RangeError(
      `${analysis.op} is an analysis op: its result is JSON (format json), not ${format}; download it as an image with the data drawn on it with GET /v1/jobs/{id}/result?format=png`,
    );
  }
  if (!analysis && format === "json") {
    throw new RangeError(
      "format json is the result of an analysis op (fast, corners, hough-lines, components, …) at the end of the pipeline; this pipeline returns an image: pick an image format",
    );
  }
}

/**
 * Stores the source as the first stage's input: the encoded bytes as they came (cut or read
 * band by band as the stage dispatches), or pixels as band windows, written until the job is
 * canceled meanwhile.
 */
export async function storeSource(blobs: BlobStore, clock: Clock, intake: Intake, source: JobSource): Promise<void> {
  const { job, grid, pixels, halo } = intake;
  const started = clock.now();
  await atPhase(job.id, "split");
  const cutter = intake.reader && "cutter" in intake.reader ? intake.reader.cutter : undefined;
  if (cutter) {
    // Its cutter holds the file already: stored from there, not read a second time.
    await blobs.put(sourceName(job.id), cutter.encoded);
    return;
  }
  if (isSourceFile(source)) {
    // Streamed: a source as large as the store takes is never in memory whole.
    await blobs.putStream(sourceName(job.id), source.stream());
    return;
  }
  if (!pixels) {
    await blobs.put(sourceName(job.id), source as Uint8Array);
    return;
  }
  for (let band = 0; band < bandCount(grid) && !TERMINAL.has(job.status); band++) {
    await writeBandWindow(blobs, sourceLayer(job.id), grid, pixels, band, halo);
  }
  job.timings = { split: clock.now() - started };
}
