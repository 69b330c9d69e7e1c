// STUB: replaced by the canny kernel.
export function canny(src: usize, dst: usize, w: i32, h: i32, sigma: f64, low: f64, high: f64): void {
  memory.copy(dst, src, <usize>(w * h) << 2);
}
