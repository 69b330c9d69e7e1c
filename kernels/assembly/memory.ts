// Working memory for kernels.
//
// Linear memory layout (JS owns everything above __heap_base):
//
//   0 ─ static data ─ __heap_base ─ image A ─ image B ─ scratch base ─ take() ─ take() ─▶
//
// The JS side places the two image buffers and tells us where scratch starts before each
// step (`scratchReset`). Kernels then carve row buffers and planes out of scratch with
// `take`. Nothing is ever freed: the next step resets the bump pointer, so memory grows
// with the largest image seen, never with the number of calls.

let top: usize = 0;

/** First byte JS may use for image buffers. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

/** Starts a fresh scratch area at `base` (16-byte aligned by the caller). */
export function scratchReset(base: usize): void {
  top = base;
}

/** Grows memory so that `end` is addressable. Traps (unreachable) when the host refuses. */
export function ensureMemory(end: usize): void {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return;
  const pages = <i32>((end - have + 0xffff) >> 16);
  if (memory.grow(pages) < 0) unreachable();
}

/** Reserves `bytes` of 16-byte aligned scratch. Contents are undefined. */
export function take(bytes: usize): usize {
  const ptr = (top + 15) & ~15;
  top = ptr + bytes;
  ensureMemory(top);
  return ptr;
}
