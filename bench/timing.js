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

/**
 * Times several contenders side by side: one warm-up call each, then `runs` rounds in which
 * every contender runs once, in a rotating order. Returns, per contender, the median ms and its
 * first result (or the error it threw).
 *
 * For ops that write a fresh result buffer the allocation can cost more than the op: whether it
 * reuses freed memory or faults in new pages (~3 ms per MB on a small VM) depends on when the
 * garbage collector last freed the previous results. So the contenders are interleaved, and
 * with `node --expose-gc` a full collection runs before every timed call, outside the timing:
 * each call then starts from the same state, with nobody's garbage left to pay for.
 */
export async function race(contenders, runs) {
  const entries = Object.entries(contenders);
  const state = new Map();
  for (const [name, fn] of entries) {
    try {
      state.set(name, { out: await fn(), samples: [] });
    } catch (error) {
      state.set(name, { error });
    }
  }
  const live = entries.filter(([name]) => !state.get(name).error);
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < live.length; i++) {
      const [name, fn] = live[(round + i) % live.length];
      globalThis.gc?.();
      const t = process.hrtime.bigint();
      await fn();
      state.get(name).samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  const result = {};
  for (const [name, s] of state) {
    if (s.error) {
      result[name] = { error: s.error };
      continue;
    }
    s.samples.sort((a, b) => a - b);
    result[name] = { ms: s.samples[Math.floor(s.samples.length / 2)], out: s.out };
  }
  return result;
}
