// Timing for the benchmarks: the median of several runs after a warm-up, so one slow run on a
// shared machine moves nothing.

/** Median wall time in ms of `runs` calls of `fn`, after one warm-up call. */
export async function medianTime(fn, runs) {
  await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** medianTime, also returning the first call's result (the warm-up's), to check equal work on. */
export async function timed(fn, runs) {
  let first;
  const ms = await medianTime(async () => {
    const out = await fn();
    first ??= out;
  }, runs);
  return { ms, out: first };
}
