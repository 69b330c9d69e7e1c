#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node
// Entry point of the `tessera` command; the commands live in cli/, built to dist/cli/ and
// bundled into dist/bundle/ for a faster start (cli/bundle.mjs).
//
// MALLOC_ARENA_MAX=2: glibc gives every thread that allocates (libuv's, which run sharp's
// decodes and encodes) an arena of its own and keeps what it frees there. A gigapixel job at
// 16 threads held ~100 MB more for it. Set by the shebang, before node starts; the processes
// Tessera starts itself get it from infra/local/child-process.ts.
import { availableParallelism } from "node:os";

// sharp decodes and encodes bands on libuv's thread pool, 4 threads unless told otherwise:
// with one band in flight per core that would serialise them. libuv reads the size when the
// pool first starts, which has not happened yet here (checked: a size set at this point holds).
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));

const { main } = await import("../dist/bundle/tessera.js");
const code = await main(process.argv.slice(2));
// `tessera process` returns with its kernel threads still up once its output is written:
// exiting now ends them (cli/process.ts).
if (process.argv[2] === "process") process.exit(code);
process.exitCode = code;
