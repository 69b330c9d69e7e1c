/**
 * The end of a job: the last stage's result made into the result file. Encoded pieces are
 * joined: a JPEG's or PNG's bands in memory, a pyramid (tiled TIFF, or a Deep Zoom or IIIF
 * tile set) as it is stored, one piece at a time. Otherwise the raw bands are stitched (and,
 * when the pipeline ends in canny, reduced to the edge map) and encoded here, in pieces on
 * every core when the format joins. An analysis op's partials (a detector's detections) are
 * reduced (merged) into JSON instead (analysis-result.ts). Intermediate blobs are deleted only once the ending is stored
 * (job-records.ts).
 */

import type { Image } from "@tessera/kernels";
import { finishAnalysis } from "./analysis-result.js";
import { readLayerBands } from "./band-store.js";
import { pieceName, resultFolder, resultName, stageLayer } from "./blob-names.js";
import { bandsAtOnce, type EdgeMap, gatherEdges } from "./edge-map.js";
import { inOrder } from "./in-order.js";
import { addTime, type JobManifest, type JobStep } from "./job.js";
import type { DriverContext } from "./job-driver.js";
import { isOutage } from "./outage.js";
import { atPhase } from "./phase-probe.js";
import { resultIsGrey, type Stage } from "./plan.js";
import { isTileSet, type PieceSource, type TileSetFormat } from "./ports/codec.js";
import { piecesInOrder, streamsPieces } from "./result-pieces.js";
import { bandCount, bandRows, type Grid } from "./tiling.js";

/** Moves the job to `step` and tells its listeners (the progress a client shows). */
export function setStep(ctx: DriverContext, job: JobManifest, step: JobStep): void {
  job.step = step;
  if (step === "finish") job.finishStartedAt = ctx.clock.now();
  ctx.notify(job);
}

/**
 * How the result is encoded. `grey`: the result is R = G = B and one channel loses nothing: a
 * JPEG has no alpha to lose, and a pyramid (TIFF, tiles) drops alpha only when the source had
 * none; then no colour is converted, coded or stored. `opaque`: the source had no alpha, so
 * neither has the result (no op changes alpha), and a pyramid stores RGB.
 */
export function resultEncoding(job: JobManifest): { grey: boolean; opaque: boolean } {
  const opaque = job.opaque === true;
  return { grey: resultIsGrey(job.steps) && (job.format === "jpeg" || opaque), opaque };
}

/** Whether the last stage writes encoded pieces that join into the result, and how. */
export function joinedOutput(ctx: DriverContext, job: JobManifest, grid: Grid) {
  const encoding = resultEncoding(job);
  return ctx.codec.canJoin(job.format, grid.width, grid.tileSize, encoding) ? { format: job.format, ...encoding } : undefined;
}

/**
 * Encodes the result from its bands' raw rows, `bandAt(band)` each, of `channels` bytes a
 * pixel (RGBA, or grey when the result stores grey): a piece per band, on every core
 * (bandsAtOnce in hand), when the format joins (a tile set's pieces are returned as they are,
 * for storeTileSet); else the bands put in one buffer and encoded in one go.
 */
async function encodeBands(
  ctx: DriverContext,
  job: JobManifest,
  grid: Grid,
  bandAt: (band: number) => Promise<Uint8Array>,
  channels: 1 | 4,
  /** Told when a band's bytes are no longer needed (they are encoded). */
  done?: (bytes: Uint8Array) => void,
): Promise<Uint8Array | Uint8Array[]> {
  const bands = Array.from({ length: bandCount(grid) }, (_, band) => band);
  const joined = joinedOutput(ctx, job, grid);
  if (!joined) {
    const whole = await Promise.all(bands.map(bandAt));
    return ctx.codec.encode(wholeImage(grid, whole, channels), job.format, resultEncoding(job));
  }
  const pieces: Uint8Array[] = [];
  await inOrder(bands, bandsAtOnce(grid), async (band) => {
    const bytes = await bandAt(band);
    const { y0, y1 } = bandRows(grid, band);
    const rows = {
      width: grid.width,
      height: y1 - y0,
      channels,
      data: new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.length),
    };
    pieces[band] = await ctx.codec.encodePiece(rows, joined.format, {
      grey: joined.grey,
      opaque: joined.opaque,
      bandRows: grid.tileSize,
      band,
      height: grid.height,
    });
    done?.(bytes);
  });
  if (isTileSet(joined.format)) return pieces;
  return ctx.codec.join(joined.format, pieces, grid.width, grid.height, grid.tileSize, resultEncoding(job));
}

/** The bands in one buffer, for a format encoded whole (not joinable from pieces). */
function wholeImage(grid: Grid, bands: readonly Uint8Array[], channels: 1 | 4): Image {
  const data = new Uint8ClampedArray(grid.width * grid.height * channels);
  let at = 0;
  for (const bytes of bands) {
    data.set(bytes, at);
    at += bytes.length;
  }
  return { width: grid.width, height: grid.height, channels, data };
}

/** Joins a tile-set result's pieces, storing each file in the result's folder; resolves with the descriptor's name. */
async function storeTileSet(ctx: DriverContext, job: JobManifest, grid: Grid, pieces: PieceSource): Promise<string> {
  const folder = resultFolder(job.id);
  const format = job.format as TileSetFormat;
  const put = (name: string, bytes: Uint8Array) => ctx.blobs.put(folder + name, bytes);
  const main = await ctx.codec.joinTileSet(format, pieces, grid.width, grid.height, grid.tileSize, put, resultEncoding(job));
  return folder + main;
}

/**
 * The result: the last stage's pieces joined (its workers encoded them band by band), or its
 * raw bands stitched (and, when it ends in canny, reduced to the edge map) and encoded here,
 * in pieces on every core when the format joins. Intermediate blobs are deleted only once
 * the result is stored, so a coordinator that dies here finalizes again after a restart.
 */
export async function finalize(
  ctx: DriverContext,
  job: JobManifest,
  grid: Grid,
  last: Stage,
  fetched: ReadonlyMap<number, Promise<Uint8Array>>,
  /** The bytes a pixel of the last stage's layer: 1 when it is grey (greyLayer in plan.ts). */
  layerChannels: 1 | 4,
  /** A canny result's class map, its bands added as they finished (job-driver.ts). */
  edgeMap?: EdgeMap,
): Promise<void> {
  if (last.analysis || last.detection) {
    setStep(ctx, job, "finish");
    return finishAnalysis(ctx, job, grid, last);
  }
  const output = stageLayer(job.id, last.index);
  const joined = last.reduction ? undefined : joinedOutput(ctx, job, grid);
  await atPhase(job.id, "stitch");
  setStep(ctx, job, "finish");
  if (joined && streamsPieces(joined.format)) return finishPyramid(ctx, job, grid, output, fetched);
  const stitchStart = ctx.clock.now();
  let encoded: Uint8Array | Uint8Array[];
  try {
    if (joined) {
      const pieces = await Promise.all(
        Array.from(
          { length: bandCount(grid) },
          (_, band) => fetched.get(band) ?? ctx.blobs.get(pieceName(output, band, joined.format)),
        ),
      );
      encoded = await ctx.codec.join(joined.format, pieces, grid.width, grid.height, grid.tileSize, resultEncoding(job));
      addTime(job, "stitch", ctx.clock.now() - stitchStart);
    } else {
      let bandAt: (band: number) => Promise<Uint8Array>;
      let done: ((bytes: Uint8Array) => void) | undefined;
      let channels: 1 | 4 = 4;
      if (last.reduction === "hysteresis") {
        // Band by band: the class map gathered and reduced, each band's edges made as it is
        // encoded: an opaque image's grey (its result stores grey), else RGBA with its alpha.
        const edges = await gatherEdges(ctx.blobs, ctx.kernels, output, grid, layerChannels, edgeMap);
        const reduceStart = ctx.clock.now();
        addTime(job, "stitch", reduceStart - stitchStart);
        await edges.reduce();
        addTime(job, "reduce", ctx.clock.now() - reduceStart);
        channels = layerChannels;
        bandAt = async (band) =>
          channels === 1 ? edges.greyRows(bandRows(grid, band)) : edges.rows(ctx.blobs, output, bandRows(grid, band));
        done = (bytes) => edges.give(bytes);
      } else {
        const bands = await readLayerBands(ctx.blobs, output, grid);
        addTime(job, "stitch", ctx.clock.now() - stitchStart);
        bandAt = async (band) => bands[band] as Uint8Array;
      }
      const encodeStart = ctx.clock.now();
      encoded = await encodeBands(ctx, job, grid, bandAt, channels, done);
      addTime(job, "encode", ctx.clock.now() - encodeStart);
    }
  } catch (err) {
    return failEncoding(ctx, job, err);
  }
  await atPhase(job.id, "encode");
  let result: string;
  if (Array.isArray(encoded)) {
    // A tile set: every file stored as the join makes it (a join that fails fails the job, as
    // any encoding does); the result names its descriptor.
    try {
      result = await storeTileSet(ctx, job, grid, encoded);
    } catch (err) {
      return failEncoding(ctx, job, err);
    }
  } else {
    result = resultName(job.id, job.format);
    await ctx.blobs.put(result, encoded);
  }
  await ctx.succeed(job, result);
}

/** An encoding that failed fails the job; an outage does not (the coordinator waits it out and finalizes again). */
/**
 * A pyramid's pieces joined as the result is stored, read one at a time (result-pieces.ts): a
 * TIFF streamed into its blob (its header, which points at the IFDs after every tile, goes
 * last), a tile set's files put as the join makes them. No step holds the whole result.
 */
async function finishPyramid(
  ctx: DriverContext,
  job: JobManifest,
  grid: Grid,
  output: string,
  fetched: ReadonlyMap<number, Promise<Uint8Array>>,
): Promise<void> {
  const stitchStart = ctx.clock.now();
  const pieces = piecesInOrder(ctx.blobs, output, grid, job.format, fetched);
  let result: string;
  try {
    if (isTileSet(job.format)) result = await storeTileSet(ctx, job, grid, pieces);
    else {
      result = resultName(job.id, job.format);
      const file = ctx.codec.joinStream(job.format, pieces, grid.width, grid.height, grid.tileSize, resultEncoding(job));
      await ctx.blobs.putStream(result, file.data, file.head ? { head: file.head } : {});
    }
  } catch (err) {
    return failEncoding(ctx, job, err);
  }
  addTime(job, "stitch", ctx.clock.now() - stitchStart);
  await atPhase(job.id, "encode");
  await ctx.succeed(job, result);
}

async function failEncoding(ctx: DriverContext, job: JobManifest, err: unknown): Promise<void> {
  if (isOutage(err)) throw err;
  await ctx.fail(job, { code: "ENCODE_FAILED", message: `encoding ${job.format} failed: ${(err as Error).message}` });
}
