/** The last step of a band (band-runner.ts has the others): its result, written where the job reads it. */

import { writeBand } from "../engine/band-store.js";
import { histogramName, partialsName, pieceName } from "../engine/blob-names.js";
import type { BandMessage } from "../engine/messages.js";
import type { BlobStore } from "../engine/ports/blob-store.js";
import type { Codec } from "../engine/ports/codec.js";
import type { BandResult } from "./band-runner.js";

export interface WriteDeps {
  blobs: BlobStore;
  codec: Codec;
  /** Told when a raw band's buffer was handed to a store that keeps arrays: it is the store's now. */
  handedOver?: () => void;
  /**
   * Whether the band may still be written, awaited after it is encoded and before its first
   * write: the worker's check that its job did not end meanwhile, made while the band encodes
   * instead of after (one blob round trip fewer on the band's way).
   */
  mayWrite?: Promise<boolean>;
}

/**
 * Writes the band's histogram, then its output: once that exists the band counts as done.
 * Resolves with the milliseconds it took (encoding included), or undefined when `mayWrite`
 * said no. A raw band is handed to a store that keeps arrays as it is, not copied.
 */
export async function writeBandResult(m: BandMessage, result: BandResult, deps: WriteDeps): Promise<number | undefined> {
  const started = performance.now();
  const { band, partials } = result;
  if (!band && !partials) throw new Error(`band ${m.band} of stage ${m.stage} has neither pixels nor partials`);
  // The encoder reads the result in place; the loop reuses the buffer only after this.
  const piece =
    band && m.encode
      ? await deps.codec.encodePiece(band, m.encode.format, {
          grey: m.encode.grey,
          opaque: m.encode.opaque === true,
          bandRows: m.grid.tileSize,
          band: m.band,
          height: m.grid.height,
        })
      : undefined;
  if ((await deps.mayWrite) === false) return undefined;
  if (partials) {
    // JSON, so a coordinator on another machine reads what a worker here wrote.
    await deps.blobs.put(partialsName(m.output, m.band), new TextEncoder().encode(JSON.stringify(partials)));
  } else if (band) {
    if (result.histogram) await deps.blobs.put(histogramName(m.output, m.band), new Uint8Array(result.histogram.buffer));
    if (m.encode && piece) await deps.blobs.put(pieceName(m.output, m.band, m.encode.format), piece);
    else {
      // Not copied: a store that writes it out is done with it once put resolves, and one that
      // may keep it gets it (the loop takes a fresh buffer next, whose pages the pool threads
      // fault in as they write, instead of this thread copying into fresh pages: ~70 ms of a
      // 24 MP canny job's main thread at 16 threads).
      await writeBand(deps.blobs, m.output, m.band, band);
      if (deps.blobs.keepsArrays) deps.handedOver?.();
    }
  }
  return Math.round(performance.now() - started);
}
