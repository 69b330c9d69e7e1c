/** A cutter for an encoded source: from its scan on the scan thread when there is one, else walked here. */

import type { EncodedSource } from "../../../engine/ports/codec.js";
import { isSourceFile } from "../../../engine/ports/codec.js";
import { sourceBytes, sourceSize } from "../source-input.js";
import { cutterOf, type JpegCutter, jpegCutter } from "./cut.js";
import type { JpegScans } from "./scan-thread.js";

export async function cutterForSource(source: EncodedSource, scans?: JpegScans): Promise<JpegCutter | { unsupported: string }> {
  // A scan the thread could not make (it could not start, or read the file) is made here.
  const threaded = isSourceFile(source) ? await scans?.scan(source, await sourceSize(source))?.catch(() => undefined) : undefined;
  if (!threaded) return jpegCutter(await sourceBytes(source));
  return "unsupported" in threaded.scanned ? threaded.scanned : cutterOf(threaded.bytes, threaded.scanned);
}
