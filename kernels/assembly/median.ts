// STUB: replaced by the median kernel.
export function median(src: usize, dst: usize, w: i32, h: i32, radius: i32): void {
  memory.copy(dst, src, <usize>(w * h) << 2);
}
