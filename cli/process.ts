/**
 * `tessera process IN -o OUT -p PIPELINE [--tile N] [--threads N]`: one image through the real
 * engine, embedded. Every error is one line on stderr, a non-zero exit (exit-codes.ts), and
 * no output file: the result is written to a temporary file beside OUT and renamed into place.
 */

import { constants, createReadStream } from "node:fs";
import { access, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, dirname, join } from "node:path";
import { analysisStepOf, parsePipeline } from "@tessera/kernels";
import { parseAnalysisJson } from "../engine/analysis-result.js";
import { planPipeline } from "../engine/plan.js";
import { type Codec, formatFromExtension, isOverlayFormat, OUTPUT_FORMATS, type SourceFile } from "../engine/ports/codec.js";
import { DEFAULT_TILE_SIZE, MIN_TILE_SIZE } from "../engine/tiling.js";
import { PoolJpegScans } from "../infra/adapters/jpeg/pool-scans.js";
import { startEmbedded } from "../roles/embedded.js";
import { KernelPool } from "../workers/pool.js";
import { intArg, parseCommand } from "./args.js";
import { CliError, EXIT } from "./exit-codes.js";
import { poolFor } from "./pool-size.js";
import { ProgressBar } from "./progress-bar.js";
import { SPOOL_PIXELS, type Spool, spoolFor, writeBlobTo } from "./spool.js";
import { writeDeepZoom } from "./tile-set-output.js";

/** What -o can end in: every output format but IIIF, which only the API serves. */
const CLI_FORMATS = OUTPUT_FORMATS.filter((f) => f !== "iiif");
const IMAGE_FORMATS = CLI_FORMATS.filter((f) => f !== "json");

export const PROCESS_HELP = `Usage: tessera process IN -o OUT -p PIPELINE [--tile N] [--threads N]

Runs PIPELINE on the image IN and writes OUT; the format follows OUT's extension
(${CLI_FORMATS.join(", ")}; .dzi writes a Deep Zoom pyramid: OUT.dzi and OUT_files/).
A pipeline that ends in an analysis op (fast, corners, hough-lines, components, ...)
returns data: -o OUT.json writes it as JSON, and an image extension writes IN with
the data drawn on it, e.g. -p "gaussian-blur(sigma=1) | fast(threshold=20)" -o corners.png.

Options:
  -o, --output OUT      where to write the result (required)
  -p, --pipeline TEXT   e.g. "gaussian-blur(sigma=2) | sobel" or JSON steps (required)
      --tile N          tile size in pixels, at least ${MIN_TILE_SIZE} (default ${DEFAULT_TILE_SIZE})
      --threads N       kernel threads (default: the number of cores)
      --profile         print where the time went (JSON, on stderr) at the end
  -h, --help            this text

Images over 100 megapixels are refused unless TESSERA_MAX_PIXELS allows them
(e.g. TESSERA_MAX_PIXELS=2000000000 for 2 gigapixels). Above TESSERA_SPOOL_PIXELS
(default 100000000) the job's intermediate files go to a folder beside OUT
(.tessera-spool-*, removed at the end) instead of memory.
`;

interface ProcessArgs {
  input: string;
  output: string;
  pipeline: string;
  tile: number;
  threads?: number;
  profile: boolean;
}

export function parseProcessArgs(argv: string[]): ProcessArgs | "help" {
  const { values, positionals } = parseCommand(
    "process",
    argv,
    {
      output: { type: "string", short: "o" },
      pipeline: { type: "string", short: "p" },
      tile: { type: "string" },
      threads: { type: "string" },
      profile: { type: "boolean" },
    },
    true,
  );
  if (values.help) return "help";
  if (positionals.length !== 1)
    throw new CliError(EXIT.USAGE, `expected one input image, got ${positionals.length}; see \`tessera process --help\``);
  if (typeof values.output !== "string") throw new CliError(EXIT.USAGE, "missing -o OUT: where to write the result");
  if (typeof values.pipeline !== "string")
    throw new CliError(EXIT.USAGE, 'missing -p PIPELINE, e.g. -p "gaussian-blur(sigma=2) | sobel"');
  const threads = intArg("--threads", values.threads, 1);
  return {
    input: positionals[0] as string,
    output: values.output,
    pipeline: values.pipeline,
    tile: intArg("--tile", values.tile, MIN_TILE_SIZE) ?? DEFAULT_TILE_SIZE,
    profile: values.profile === true,
    ...(threads !== undefined && { threads }),
  };
}

/** Checks everything that can be checked before any pixel is decoded. */
async function preflight(args: ProcessArgs, codec: Codec, source: SourceFile) {
  const format = formatFromExtension(args.output);
  if (!format)
    throw new CliError(
      EXIT.USAGE,
      `cannot tell the output format from "${args.output}"; end it in ${IMAGE_FORMATS.map((f) => `.${f}`).join(", ")}, or .json for an analysis op`,
    );
  if (format === "iiif")
    throw new CliError(EXIT.USAGE, "IIIF tile sets are served by the API (format=iiif); here, write Deep Zoom: -o OUT.dzi");
  const steps = parsePipeline(args.pipeline);
  // An analysis op that does not run yet is refused here, before the input is read.
  planPipeline(steps);
  const analysis = analysisStepOf(steps);
  if (!analysis && format === "json")
    throw new CliError(
      EXIT.USAGE,
      `-o ${args.output}: JSON is the result of an analysis op (fast, corners, hough-lines, components, ...) at the end of the pipeline; this pipeline returns an image: use an image extension`,
    );
  if (analysis && format !== "json" && !isOverlayFormat(format))
    throw new CliError(
      EXIT.USAGE,
      `-o ${args.output}: ${analysis.op} returns data; write it as .json, or as an image with the data drawn on it (.png, .jpg, .webp, .tif, .avif)`,
    );
  // The input is read where it lies (a SourceFile): only a JPEG's bytes are ever held whole.
  try {
    if ((await stat(args.input)).isDirectory()) throw Object.assign(new Error("a directory"), { code: "EISDIR" });
    await access(args.input, constants.R_OK);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (err as Error).message;
    throw new CliError(EXIT.INPUT, `cannot read ${args.input}: ${why}`);
  }
  const header = await codec.probe(source).catch((err: Error) => {
    throw Object.assign(err, { message: `cannot read ${args.input}: ${err.message}` });
  });
  const dir = dirname(args.output);
  try {
    await access(dir, constants.W_OK);
    if ((await stat(args.output).catch(() => undefined))?.isDirectory()) throw new Error("it is a directory");
  } catch (err) {
    throw new CliError(
      EXIT.OUTPUT,
      `cannot write ${args.output}: ${(err as { code?: string }).code === "ENOENT" ? `no such directory ${dir}` : (err as Error).message}`,
    );
  }
  // An analysis job's result is JSON; an image output is the overlay drawn from it at the end.
  return { format, steps, header, jobFormat: analysis ? ("json" as const) : format };
}

/** Runs the command; when it succeeds its kernel threads are still up: the caller ends the process. */
export async function runProcess(argv: string[]): Promise<void> {
  const args = parseProcessArgs(argv);
  if (args === "help") {
    process.stdout.write(PROCESS_HELP);
    return;
  }
  // The kernel threads boot (a V8 isolate each, the kernels compiled once and instantiated in
  // each) while this thread loads sharp and reads the input: start-up overlapped, not summed.
  // Milestones for --profile, in ms since the process started (Node's own start-up included).
  const since = (): number => Math.round(performance.now());
  const startup: Record<string, number> = { main: since() };
  const maxPixels = intArg("TESSERA_MAX_PIXELS", process.env.TESSERA_MAX_PIXELS, 1);
  const spoolPixels = intArg("TESSERA_SPOOL_PIXELS", process.env.TESSERA_SPOOL_PIXELS, 0) ?? SPOOL_PIXELS;
  const source: SourceFile = { path: args.input, stream: () => createReadStream(args.input) };
  const { threads, inline } = await poolFor(args.input, args.threads ?? availableParallelism(), args.tile);
  const starting = KernelPool.create({ threads, inline });
  // A JPEG's scan, the one serial step before any band can start, is the first task of the
  // kernel threads as they come up (infra/adapters/jpeg/pool-scans.ts), while sharp loads here.
  const scans = new PoolJpegScans(starting);
  if (/\.jpe?g$/i.test(args.input))
    scans
      .scan(
        source,
        await stat(args.input).then(
          (s) => s.size,
          () => 0,
        ),
      )
      ?.then(
        () => (startup.scanned = since()),
        () => undefined,
      );
  starting
    .then((pool) => pool.ready())
    .then(
      () => (startup.threadsReady = since()),
      () => undefined,
    );
  starting.catch(() => undefined); // awaited below; a failure is reported there, not as unhandled
  // The threads are spawned before sharp loads: loading it holds this thread for ~70 ms, and
  // the pool's own start (piscina imported, then the threads spawned) would wait behind it,
  // and the scan and every band behind that (2-core machine, 24 MP at 2 threads, --profile:
  // the scan back at ~355 ms instead of ~400, the file written at ~840 instead of ~890).
  startup.poolMade = await starting.then(since, since);
  let preflighted: Awaited<ReturnType<typeof preflight>>;
  let codec: Codec;
  try {
    const { SharpCodec } = await import("../infra/adapters/sharp-codec.js");
    startup.codecLoaded = since();
    // As many decodes and encodes at once as kernel threads: --threads N computes on N threads.
    codec = new SharpCodec({
      concurrency: threads,
      // The same variable as the gateway's limit: larger images are fine here, by choice.
      ...(maxPixels !== undefined && { maxPixels }),
      scans,
    });
    preflighted = await preflight(args, codec, source);
    startup.inputRead = since();
  } catch (err) {
    await starting.then(
      (pool) => pool.close(),
      () => undefined,
    );
    throw err;
  }
  const { format, steps, header, jobFormat } = preflighted;
  let spool: Spool;
  try {
    spool = await spoolFor(header.width * header.height, dirname(args.output), spoolPixels);
  } catch (err) {
    await starting.then(
      (pool) => pool.close(),
      () => undefined,
    );
    throw new CliError(EXIT.OUTPUT, `cannot make a spool folder beside ${args.output}: ${(err as Error).message}`);
  }
  const embedded = await startEmbedded({ codec, pool: await starting, ...(spool.blobs && { blobs: spool.blobs }) });
  startup.submitting = since();
  const bar = new ProgressBar(process.stderr);
  const temp = join(dirname(args.output), `.${basename(args.output)}.${process.pid}.tmp`);
  // Ctrl-C: stop cleanly and leave no partial file.
  const interrupted = new Promise<never>((_, reject) =>
    process.once("SIGINT", () => reject(new CliError(EXIT.FAILED, "interrupted"))),
  );
  let written = false;
  try {
    // The encoded file goes in as it is: a baseline JPEG is cut into bands without decoding,
    // and each band is decoded on its way to the kernels, in parallel.
    const submitted = Date.now();
    const job = await embedded.coordinator
      .submit(source, steps, { format: jobFormat, tileSize: args.tile })
      .catch((err: Error) => {
        // A RangeError is about what was asked (a tile size too small for the image), not the file.
        if (err instanceof RangeError) throw new CliError(EXIT.USAGE, err.message);
        throw Object.assign(err, { message: `cannot read ${args.input}: ${err.message}` });
      });
    const submitMs = Date.now() - submitted;
    embedded.coordinator.subscribe(job.id, ({ job: j }) => bar.update(j));
    // The threads were still booting when the job went in; one that cannot load fails the run.
    const bootFailed = embedded.pool.ready().then(() => new Promise<never>(() => undefined));
    const final = await Promise.race([embedded.coordinator.wait(job.id), interrupted, bootFailed]);
    bar.done();
    if (final.status !== "succeeded" || !final.result)
      throw new CliError(EXIT.FAILED, `job ${final.status}: ${final.error?.message ?? "no result"}`);
    if (format === "dzi") await writeDeepZoom(embedded.blobs, final.id, args.output);
    else {
      if (jobFormat === "json" && isOverlayFormat(format)) {
        const data = parseAnalysisJson(await embedded.blobs.get(final.result));
        await writeFile(temp, await codec.overlay(await readFile(args.input), data, format));
      } else await writeBlobTo(embedded.blobs, final.result, temp);
      await rename(temp, args.output);
    }
    if (args.profile) {
      startup.written = since();
      const profile = {
        startup,
        submit: submitMs,
        ...final.timings,
        maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
        // Fresh pages touched (docs/performance.md, "Fresh memory"): what glibc's settings change.
        minorFaults: process.resourceUsage().minorPageFault,
        blobs: spool.blobs ? "disk" : "memory",
        threads: embedded.pool.threads,
        ...(inline && { inline: true }),
      };
      process.stderr.write(`${JSON.stringify(profile)}\n`);
    }
    written = true;
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  } finally {
    await spool.remove();
    // Once the output is in place the process ends (bin/tessera.js exits at once), and its
    // threads with it: stopping 16 of them one by one first only made it wait (~40 ms on the
    // 2-core machine). A run that failed stops everything before it reports.
    if (!written) await Promise.all([embedded.stop(), scans.close()]);
  }
}
