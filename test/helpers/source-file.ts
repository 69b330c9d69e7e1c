// A SourceFile over a file a test wrote: what the gateway and `tessera process` hand the coordinator.

import { createReadStream } from "node:fs";
import type { SourceFile } from "../../engine/ports/codec.js";

export const fileSource = (path: string, release?: () => Promise<void>): SourceFile => ({
  path,
  stream: () => createReadStream(path),
  ...(release && { release }),
});
