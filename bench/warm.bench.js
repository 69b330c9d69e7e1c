// One process, the same job several times: the first run pays for fresh memory and cold code
// (what a one-shot `tessera process` always pays), the later ones show the warm engine that
// `tessera serve` and every cluster worker run. Prints each run's wall time, CPU time, page
// faults and phase timings.
//
//   npm run build && node bench/warm.bench.js [IMAGE] [THREADS] [PIPELINE] [RUNS]

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

// As bin/tessera.js does: one libuv thread per core for sharp's decodes and encodes.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));
const { SharpCodec } = await import("../dist/infra/adapters/sharp-codec.js");
const { startEmbedded } = await import("../dist/roles/embedded.js");
const { parsePipeline } = await import("@tessera/kernels");

const [image = new URL("./.cache/24mp.jpg", import.meta.url).pathname, threadsArg, pipeline, runsArg] = process.argv.slice(2);
const threads = Number(threadsArg ?? availableParallelism());
const steps = parsePipeline(pipeline ?? "gaussian-blur(sigma=2) | sobel");
const bytes = readFileSync(image);
const embedded = await startEmbedded({ codec: new SharpCodec({ maxPixels: 2e9, concurrency: threads }), threads });
try {
  for (let run = 0; run < Number(runsArg ?? 4); run++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const faults = process.resourceUsage().minorPageFault;
    const job = await embedded.coordinator.submit(bytes, steps, { format: "jpeg" });
    const done = await embedded.coordinator.wait(job.id);
    if (done.status !== "succeeded") throw new Error(`job ${done.status}: ${done.error?.message}`);
    const used = process.cpuUsage(cpu);
    console.log(
      `run ${run}: ${Math.round(performance.now() - started)} ms, cpu ${Math.round((used.user + used.system) / 1000)} ms, ` +
        `${process.resourceUsage().minorPageFault - faults} page faults, ${JSON.stringify(done.timings)}`,
    );
  }
} finally {
  await embedded.stop();
}
