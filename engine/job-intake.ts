/**
 * Taking a submission in: reading the source far enough to know its size (a JPEG's bitstream
 * is scanned, anything else decoded), checking the tile size, making the job's manifest, and
 * storing the source as the first stage's input, stopping early when the job is canceled
 * meanwhile. The coordinator records the manifest before calling storeSource, so a restart
 * finds every blob's owner.
 */

import { formatPipeline, type Pipeline, type RgbaImage } from "@tessera/kernels";
import { writeBandWindow } from "./band-store.js";
import { sourceLayer, sourceName } from "./blob-names.js";
import { type JobManifest, newJobId, TERMINAL } from "./job.js";
import { atPhase } from "./phase-probe.js";
import { planPipeline } from "./plan.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { Clock } from "./ports/clock.js";
import type { Codec, OutputFormat, PieceCutter } from "./ports/codec.js";
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
  /** The decoded source, when it cannot be cut. */
  pixels?: RgbaImage;
  /** The source's cutter, when it can be cut without decoding (a baseline JPEG). */
  cutter?: PieceCutter;
  /** The first stage's halo: what each of its windows holds beyond its band. */
  halo: number;
}

export async function takeIn(
  codec: Codec,
  clock: Clock,
  source: Uint8Array | RgbaImage,
  steps: Pipeline,
  options: SubmitOptions,
): Promise<Intake> {
  let pixels = source instanceof Uint8Array ? undefined : source;
  let cutter: PieceCutter | undefined;
  if (source instanceof Uint8Array) {
    cutter = await codec.cutter(source);
    if (!cutter) pixels = await codec.decode(source);
  }
  // Pixels or a cutter: the size is known without reading the header again.
  const { width, height } = (pixels ?? cutter) as { width: number; height: number };
  const floor = minTileSizeFor(width, height);
  if (options.tileSize !== undefined && options.tileSize < floor) {
    throw new RangeError(
      `tile size ${options.tileSize} would cut ${width}×${height} into more than ${MAX_TILES} tiles; use at least ${floor}`,
    );
  }
  const grid = makeGrid(width, height, options.tileSize ?? Math.max(DEFAULT_TILE_SIZE, floor));
  const plan = planPipeline(steps);
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
    ...(options.owner !== undefined && { owner: options.owner }),
    stage: 0,
    stages: plan.stages.map(() => ({ done: 0, total: tileCount(grid) })),
    input: pixels ? { kind: "windows", prefix: sourceLayer(id) } : { kind: "source" },
    stored: false,
  };
  return { job, grid, halo: plan.stages[0]?.halo ?? 0, ...(pixels && { pixels }), ...(cutter && { cutter }) };
}

/**
 * Stores the source as the first stage's input: the encoded bytes as they came (to be cut band
 * by band as the stage dispatches), or the decoded pixels as band windows, written until the
 * job is canceled meanwhile.
 */
export async function storeSource(blobs: BlobStore, clock: Clock, intake: Intake, source: Uint8Array | RgbaImage): Promise<void> {
  const { job, grid, pixels, halo } = intake;
  const started = clock.now();
  await atPhase(job.id, "split");
  if (!pixels) {
    await blobs.put(sourceName(job.id), source as Uint8Array);
    return;
  }
  for (let band = 0; band < bandCount(grid) && !TERMINAL.has(job.status); band++) {
    await writeBandWindow(blobs, sourceLayer(job.id), grid, pixels, band, halo);
  }
  job.timings = { split: clock.now() - started };
}
