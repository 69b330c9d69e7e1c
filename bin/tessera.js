#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967295 GLIBC_TUNABLES=glibc.malloc.hugetlb=1 node
// Entry point of the `tessera` command; the commands live in cli/, built to dist/cli/ and
// bundled into dist/bundle/ for a faster start (cli/bundle.mjs).
//
// glibc's malloc, set by the shebang before node starts (the processes Tessera starts itself
// get the same from infra/local/child-process.ts, the VMs' services from cloud-init.yaml):
// - MALLOC_ARENA_MAX=2: glibc gives every thread that allocates (libuv's, which run sharp's
//   decodes and encodes) an arena of its own and keeps what it frees there. A gigapixel job
//   at 16 threads held ~100 MB more for it.
// - MALLOC_MMAP_THRESHOLD_ 32 MB and MALLOC_TRIM_THRESHOLD_ at its maximum: a decoded band
//   (under 32 MB) freed is kept and reused by the next band instead of each band faulting in
//   fresh pages, which these VMs charge dearly for (docs/performance.md, "Fresh memory"); a
//   gigapixel window (~49 MB) is still mapped and unmapped on its own. 24 MP light at 2
//   threads 1.12–1.16 → 1.06–1.10 s, 100 MP at 16 threads 4.1 → 3.7–4.0 s, the peaks the same.
// - GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (glibc 2.35 and later; ignored before): malloc asks
//   for transparent huge pages (madvise) on the memory it maps, so fresh band buffers fault in
//   2 MB at a time instead of 4 KB: touching 9 MB of fresh memory 27 → 0.4 ms on the 2-core VM,
//   a 24 MP job's page faults halved, 100 MP at 16 threads 4.4 → 3.4 s with a lower peak.
//   It does nothing where the kernel's transparent_hugepage setting is "never".
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
