// Lists of pixel indices built from SIMD masks (the candidates of fast-select.ts and
// corners-select.ts).

/**
 * Appends base + i to the u32 list at `out`, which holds `count`, for every set bit i of
 * `bits` (a lane mask), lowest first; returns the new count.
 */
// @ts-ignore: decorator
@inline export function appendSetBits(out: usize, count: i32, bits: u32, base: i32): i32 {
  while (bits != 0) {
    store<u32>(out + (<usize>count << 2), base + <i32>ctz(bits));
    count++;
    bits &= bits - 1;
  }
  return count;
}
