// Canny's hysteresis on a grey8 class map, one byte per pixel (255 strong, 128 weak, anything
// else none), in place: the passes of canny-hysteresis.ts on a quarter of the memory. The
// engine's finish packs a layer's RGBA bands into such a map, runs this, and writes the edges
// back into the bands with their alpha (greyIntoRgb; kernels/src/hysteresis.ts).

import { STRONG, WEAK } from "./canny-classify";
import { take } from "./memory";
import { greyPixels } from "./pixels";

/**
 * Writes 255 over strong pixels and over weak pixels joined to a strong one by an 8-connected
 * path of weak pixels, 0 everywhere else, in the `w × h` bytes at `map`.
 *
 *   pass 1 (SIMD): keep 255 and 128, zero the rest, counting candidates
 *   pass 2: scan for strong pixels; flood each into its weak neighbours with an explicit
 *           stack (each weak pixel is pushed at most once: it turns 255 when pushed)
 *   pass 3 (SIMD): weak pixels never reached become 0
 */
export function cannyHysteresisGrey(map: usize, w: i32, h: i32): void {
  if (w <= 0 || h <= 0) return;
  cannySpreadGrey(map, w, h);
  cannyClearWeakGrey(map, <usize>w * <usize>h);
}

/**
 * Passes 1 and 2 alone: weak pixels joined to a strong one become strong (255), the others stay
 * weak (128). A map that is too large for one piece of memory is reduced a band at a time with
 * this (the neighbouring bands' edge rows above and below as seeds), again until no band
 * changes, and only then cleared (ClassMap.spread; engine/edge-sweep.ts).
 */
export function cannySpreadGrey(map: usize, w: i32, h: i32): void {
  if (w <= 0 || h <= 0) return;
  const n = <usize>w * <usize>h;
  const weakV = i8x16.splat(<i8>WEAK);
  const strongV = i8x16.splat(<i8>STRONG);

  // Pass 1.
  let candidates: usize = 0;
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) {
    const v = v128.load(map + i);
    const keep = v128.or(i8x16.eq(v, strongV), i8x16.eq(v, weakV));
    v128.store(map + i, v128.and(v, keep));
    candidates += <usize>popcnt(i8x16.bitmask(keep));
  }
  for (; i < n; i++) {
    const v = <u32>load<u8>(map + i);
    if (v == STRONG || v == WEAK) candidates++;
    else store<u8>(map + i, 0);
  }

  // Pass 2. The stack never holds more than one entry per candidate, plus the seed.
  const stack = take((candidates + 1) << 2);
  for (i = 0; i < n; i += 16) {
    // Skip sixteen pixels at a time when none is strong (most of an edge map is empty).
    if (i + 16 <= n && !v128.any_true(i8x16.eq(v128.load(map + i), strongV))) continue;
    const end = i + 16 < n ? i + 16 : n;
    for (let j = i; j < end; j++) {
      if (<u32>load<u8>(map + j) == STRONG) flood(map, w, h, <i32>j, stack);
    }
  }
}

/** Pass 3 alone: the `n` weak pixels at `map` that no flood reached become 0. */
export function cannyClearWeakGrey(map: usize, n: usize): void {
  const weakV = i8x16.splat(<i8>WEAK);
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) {
    const v = v128.load(map + i);
    v128.store(map + i, v128.andnot(v, i8x16.eq(v, weakV)));
  }
  for (; i < n; i++) {
    if (<u32>load<u8>(map + i) == WEAK) store<u8>(map + i, 0);
  }
}

/** Grey8 `grey` into the R, G and B of the RGBA8 pixels at `rgba`, their alpha kept. */
export function greyIntoRgb(grey: usize, rgba: usize, n: usize): void {
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) {
    const g = v128.load(grey + i);
    const lo = i16x8.extend_low_i8x16_u(g);
    const hi = i16x8.extend_high_i8x16_u(g);
    const o = rgba + (i << 2);
    v128.store(o, greyPixels(i32x4.extend_low_i16x8_u(lo), v128.load(o)));
    v128.store(o, greyPixels(i32x4.extend_high_i16x8_u(lo), v128.load(o, 16)), 16);
    v128.store(o, greyPixels(i32x4.extend_low_i16x8_u(hi), v128.load(o, 32)), 32);
    v128.store(o, greyPixels(i32x4.extend_high_i16x8_u(hi), v128.load(o, 48)), 48);
  }
  for (; i < n; i++) {
    const at = rgba + (i << 2);
    store<u32>(at, (load<u32>(at) & 0xff000000) | (<u32>load<u8>(grey + i) * 0x010101));
  }
}

/** Marks pixel q strong if it is weak; returns the new stack top. */
// @ts-ignore: decorator
@inline function grow(map: usize, q: i32, stack: usize, top: usize): usize {
  const at = map + <usize>q;
  if (<u32>load<u8>(at) != WEAK) return top;
  store<u8>(at, <u8>STRONG);
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
