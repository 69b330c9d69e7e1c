// Canny, phase 2 (global): hysteresis over the class map that canny-classify.ts writes
// (step 6 of the definition at the top of canny.ts). An edge may run across every tile, so
// the distributed engine runs this once, as a reduction, on the stitched class map.

import { STRONG, WEAK } from "./canny-classify";
import { take } from "./memory";
import { alphaMask, greyPixels } from "./pixels";

/**
 * From a class map (R byte: 255 strong, 128 weak, anything else none), writes 255 for strong
 * pixels and for weak pixels joined to a strong one by an 8-connected path of weak pixels,
 * 0 elsewhere; grey RGBA, alpha kept. `src` may equal `dst`.
 *
 *   pass 1 (SIMD): dst = normalised classes (0 / 128 / 255), counting candidates
 *   pass 2: scan for strong pixels; flood each into its weak neighbours with an explicit
 *           stack (each weak pixel is pushed at most once: it turns 255 when pushed)
 *   pass 3 (SIMD): weak pixels never reached become 0
 */
export function cannyHysteresis(src: usize, dst: usize, w: i32, h: i32): void {
  if (w <= 0 || h <= 0) return;
  const n = w * h;
  const bytes = <usize>n << 2;
  const rMask = i32x4.splat(0xff);
  const weakV = i32x4.splat(WEAK);
  const strongV = i32x4.splat(STRONG);

  // Pass 1.
  let count = i32x4.splat(0);
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) {
    const v = v128.load(src + i);
    const r = v128.and(v, rMask);
    const isStrong = i32x4.eq(r, strongV);
    const isWeak = i32x4.eq(r, weakV);
    count = i32x4.sub(count, v128.or(isStrong, isWeak));
    v128.store(dst + i, greyPixels(v128.or(v128.and(isStrong, strongV), v128.and(isWeak, weakV)), v));
  }
  let candidates = i32x4.extract_lane(count, 0) + i32x4.extract_lane(count, 1) + i32x4.extract_lane(count, 2) + i32x4.extract_lane(count, 3);
  for (; i < bytes; i += 4) {
    const v = load<u32>(src + i);
    const r = v & 0xff;
    const grey: u32 = r == STRONG ? STRONG : r == WEAK ? WEAK : 0;
    if (grey != 0) candidates++;
    store<u32>(dst + i, (v & 0xff000000) | (grey * 0x010101));
  }

  // Pass 2. The stack never holds more than one entry per candidate.
  const stack = take(<usize>(candidates + 1) << 2);
  i = 0;
  for (; i < bytes; i += 16) {
    // Skip four pixels at a time when none is strong (most of an edge map is empty).
    if (i + 16 <= bytes && !v128.any_true(i32x4.eq(v128.and(v128.load(dst + i), rMask), strongV))) continue;
    const end = i + 16 < bytes ? i + 16 : bytes;
    for (let j = i; j < end; j += 4) {
      if ((load<u32>(dst + j) & 0xff) == STRONG) flood(dst, w, h, <i32>(j >> 2), stack);
    }
  }

  // Pass 3.
  i = 0;
  for (; i + 16 <= bytes; i += 16) {
    const v = v128.load(dst + i);
    v128.store(dst + i, v128.bitselect(v128.and(v, alphaMask()), v, i32x4.eq(v128.and(v, rMask), weakV)));
  }
  for (; i < bytes; i += 4) {
    const v = load<u32>(dst + i);
    if ((v & 0xff) == WEAK) store<u32>(dst + i, v & 0xff000000);
  }
}

/** Marks pixel q strong if it is weak; returns the new stack top. */
// @ts-ignore: decorator
@inline function grow(map: usize, q: i32, stack: usize, top: usize): usize {
  const at = map + (<usize>q << 2);
  const v = load<u32>(at);
  if ((v & 0xff) != WEAK) return top;
  store<u32>(at, v | 0x00ffffff);
  store<u32>(top, <u32>q);
  return top + 4;
}

/** Spreads strong pixel `p` through its 8-connected weak neighbours, depth first. */
function flood(map: usize, w: i32, h: i32, p: i32, stack: usize): void {
  let top = stack;
  store<u32>(top, <u32>p);
  top += 4;
  while (top > stack) {
    top -= 4;
    const q = <i32>load<u32>(top);
    const y = q / w;
    const x = q - y * w;
    if (x > 0 && x < w - 1 && y > 0 && y < h - 1) {
      // Interior: all eight neighbours exist.
      top = grow(map, q - w - 1, stack, top);
      top = grow(map, q - w, stack, top);
      top = grow(map, q - w + 1, stack, top);
      top = grow(map, q - 1, stack, top);
      top = grow(map, q + 1, stack, top);
      top = grow(map, q + w - 1, stack, top);
      top = grow(map, q + w, stack, top);
      top = grow(map, q + w + 1, stack, top);
    } else {
      const y0 = y > 0 ? y - 1 : 0;
      const y1 = y < h - 1 ? y + 1 : h - 1;
      const x0 = x > 0 ? x - 1 : 0;
      const x1 = x < w - 1 ? x + 1 : w - 1;
      for (let yy = y0; yy <= y1; yy++) {
        for (let xx = x0; xx <= x1; xx++) top = grow(map, yy * w + xx, stack, top);
      }
    }
  }
}
