// Corner response of grey u8 for goodFeaturesToTrack: OpenCV's cornerMinEigenVal (Shi-Tomasi)
// and cornerHarris with a 3×3 Sobel aperture, reproduced operation for operation so that the
// f32 results are OpenCV's to the bit (opencv.js runs the scalar paths: no FMA, no SIMD):
//
//   scale  f = (float)(1 / (4 · block · 255)); the Sobel taps are f and 2f
//   Dx     rows r = p[x+1] − p[x−1] (exact); Dx = (r[y−1] + r[y+1])·f + r[y]·2f
//   Dy     rows s = (p[x−1]·f + p[x]·2f) + p[x+1]·f, each step rounded; Dy = s[y+1] − s[y−1]
//   cov    a = Dx², b = Dx·Dy, c = Dy² (f32), summed over the block × block box in f64, left to
//          right then top to bottom (OpenCV's running sums are exact for the same data bar
//          rare cancellations), then rounded to f32; the box spans x − ⌊block/2⌋ .. onwards
//   min-eigenvalue  (a/2 + c/2) − √((a/2 − c/2)² + b²), all f32
//   Harris          (float)((double)(a·c − b·b) − k·(a + c)·(a + c)), k in f64
//
// Borders: reflect-101 at every edge of the window, as OpenCV does at the image's. A tile's
// window only differs from the image at edges that have a halo, which absorbs the difference.
//
// Streaming, one output row at a time (no full planes besides the output):
//   src row ─▶ rx, ry (ringA, 3 rows) ─▶ Dx, Dy ─▶ a, b, c widened to f64 once, padded by the
//   box radius ─▶ horizontal box sums (ringB, `block` rows: a box spans that many, reflected
//   or not, and a small ring stays in cache) ─▶ vertical box sum ─▶ response row

import { take } from "./memory";
import { roundUp4 } from "./rows";

export { cornerMax, cornerSelect } from "./corners-select";

/** OpenCV's borderInterpolate for BORDER_REFLECT_101. */
function reflect(p: i32, len: i32): i32 {
  if (len == 1) return 0;
  while (p < 0 || p >= len) p = p < 0 ? -p : 2 * len - 2 - p;
  return p;
}

/** Four u8 pixels as f32 lanes. */
// @ts-ignore: decorator
@inline function bytesToF32(p: usize): v128 {
  return f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))));
}

/** Source row `y` to the Sobel row passes: rx = p[x+1] − p[x−1], ry = (p[x−1]f + p[x]2f) + p[x+1]f. */
function sobelRows(src: usize, w: i32, W4: i32, y: i32, pr: usize, rx: usize, ry: usize, f1: v128, f0: v128): void {
  const row = src + <usize>(y * w);
  for (let x = 0; x < w; x += 4) v128.store(pr + (<usize>(x + 1) << 2), bytesToF32(row + <usize>x));
  store<f32>(pr, <f32>load<u8>(row + <usize>reflect(-1, w)));
  store<f32>(pr + (<usize>(w + 1) << 2), <f32>load<u8>(row + <usize>reflect(w, w)));
  for (let x = 0; x < W4; x += 4) {
    const o = <usize>x << 2;
    const l = v128.load(pr + o), c = v128.load(pr + o, 4), r = v128.load(pr + o, 8);
    v128.store(rx + o, f32x4.sub(r, l));
    v128.store(ry + o, f32x4.add(f32x4.add(f32x4.mul(l, f1), f32x4.mul(c, f0)), f32x4.mul(r, f1)));
  }
}

/** Copies the reflect-101 border of an f64 product row padded by `left` (box radius) and `right`. */
function padProducts(p: usize, w: i32, left: i32, right: i32): void {
  for (let i = 0; i < left; i++) store<f64>(p + (<usize>i << 3), load<f64>(p + (<usize>(left + reflect(i - left, w)) << 3)));
  for (let i = w; i < w + right; i++) {
    store<f64>(p + (<usize>(left + i) << 3), load<f64>(p + (<usize>(left + reflect(i, w)) << 3)));
  }
}

/** Stores f32x4 `v` as four f64 at `p`. */
// @ts-ignore: decorator
@inline function storeF64(p: usize, v: v128): void {
  v128.store(p, f64x2.promote_low_f32x4(v));
  v128.store(p, f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15)), 16);
}

/** out[x] = Σ_{i<block} p[x + i] (f64), left to right, for x < W4. */
function boxRow(p: usize, W4: i32, block: i32, out: usize): void {
  if (block == 3) {
    for (let x = 0; x < W4; x += 2) {
      const at = p + (<usize>x << 3);
      v128.store(out + (<usize>x << 3), f64x2.add(f64x2.add(v128.load(at), v128.load(at, 8)), v128.load(at, 16)));
    }
    return;
  }
  for (let x = 0; x < W4; x += 2) {
    const at = p + (<usize>x << 3);
    let acc = v128.load(at);
    for (let i = 1; i < block; i++) acc = f64x2.add(acc, v128.load(at + (<usize>i << 3)));
    v128.store(out + (<usize>x << 3), acc);
  }
}

/** Σ of the f64 rows whose addresses are the `block` u32s at `rows`, at byte offset `at`, top to bottom, as f32x4 of 4 pixels. */
// @ts-ignore: decorator
@inline function boxColumn(rows: usize, block: i32, at: usize): v128 {
  let lo = v128.load(<usize>load<u32>(rows) + at);
  let hi = v128.load(<usize>load<u32>(rows) + at, 16);
  for (let i = 1; i < block; i++) {
    const r = <usize>load<u32>(rows + (<usize>i << 2)) + at;
    lo = f64x2.add(lo, v128.load(r));
    hi = f64x2.add(hi, v128.load(r, 16));
  }
  return i8x16.shuffle(
    f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23,
  );
}

/** Sum of three f64 rows at byte offset `at` ((r0 + r1) + r2), as f32x4 of 4 pixels. */
// @ts-ignore: decorator
@inline function boxColumn3(r0: usize, r1: usize, r2: usize, at: usize): v128 {
  const lo = f64x2.add(f64x2.add(v128.load(r0 + at), v128.load(r1 + at)), v128.load(r2 + at));
  const hi = f64x2.add(f64x2.add(v128.load(r0 + at, 16), v128.load(r1 + at, 16)), v128.load(r2 + at, 16));
  return i8x16.shuffle(
    f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23,
  );
}

/** Harris in OpenCV's precision: (float)((double)(a·c − b·b) − k·(a + c)·(a + c)). */
// @ts-ignore: decorator
@inline function harris(a: v128, b: v128, c: v128, k: v128): v128 {
  const det = f32x4.sub(f32x4.mul(a, c), f32x4.mul(b, b));
  const tr = f32x4.add(a, c);
  const detHi = i8x16.shuffle(det, det, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
  const trHi = i8x16.shuffle(tr, tr, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
  const tLo = f64x2.promote_low_f32x4(tr);
  const tHi = f64x2.promote_low_f32x4(trHi);
  const lo = f64x2.sub(f64x2.promote_low_f32x4(det), f64x2.mul(f64x2.mul(k, tLo), tLo));
  const hi = f64x2.sub(f64x2.promote_low_f32x4(detHi), f64x2.mul(f64x2.mul(k, tHi), tHi));
  return i8x16.shuffle(
    f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23,
  );
}

/** Shi-Tomasi in OpenCV's precision: (a/2 + c/2) − √((a/2 − c/2)² + b²), all f32. */
// @ts-ignore: decorator
@inline function minEigen(a: v128, b: v128, c: v128): v128 {
  const half = f32x4.splat(0.5);
  const ha = f32x4.mul(a, half);
  const hc = f32x4.mul(c, half);
  const d = f32x4.sub(ha, hc);
  return f32x4.sub(f32x4.add(ha, hc), f32x4.sqrt(f32x4.add(f32x4.mul(d, d), f32x4.mul(b, b))));
}

/**
 * Writes the f32 corner response of `src` (u8 grey, `w` × `h`) to `dst` (f32, `w` × `h`,
 * row-major, 16 writable bytes past its end). `block` ≥ 1 is the box side; `useHarris`
 * picks Harris with `k`, else the minimum eigenvalue. `src` needs 4 readable bytes past its end.
 */
export function cornerResponse(src: usize, dst: usize, w: i32, h: i32, block: i32, useHarris: bool, k: f64): void {
  if (w <= 0 || h <= 0 || block <= 0) return;
  const W4 = roundUp4(w);
  const r = block >> 1;
  const scale = <f32>(1.0 / (4.0 * <f64>block * 255.0));
  const f1 = f32x4.splat(scale);
  const f0 = f32x4.splat(scale * 2);
  const kv = f64x2.splat(k);

  const fBytes = <usize>(W4 + 8) << 2;
  const pr = take(fBytes);
  const aBytes = <usize>W4 << 2;
  const ringA = take(aBytes * 6); // slot s: rx at 2s, ry at 2s + 1
  const pBytes = <usize>(W4 + block + 4) << 3;
  const prod = take(pBytes * 3);
  const slots = block; // a row's box spans `block` rows, reflected or not
  const chBytes = <usize>W4 << 3;
  const ringB = take(chBytes * 3 * <usize>slots);
  const rows = take(<usize>block << 2);

  let aReady = -1;
  let bReady = -1;
  for (let y = 0; y < h; y++) {
    let need = 0;
    for (let i = 0; i < block; i++) need = max(need, reflect(y - r + i, h));
    while (bReady < need) {
      bReady++;
      const j = bReady;
      const needA = reflect(j + 1, h) > j ? j + 1 : j;
      while (aReady < needA) {
        aReady++;
        const slot = ringA + aBytes * <usize>((aReady % 3) * 2);
        sobelRows(src, w, W4, aReady, pr, slot, slot + aBytes, f1, f0);
      }
      const up = ringA + aBytes * <usize>((reflect(j - 1, h) % 3) * 2);
      const mid = ringA + aBytes * <usize>((j % 3) * 2);
      const down = ringA + aBytes * <usize>((reflect(j + 1, h) % 3) * 2);
      const pa = prod, pb = prod + pBytes, pc = prod + pBytes * 2;
      const body = <usize>r << 3;
      for (let x = 0; x < W4; x += 4) {
        const o = <usize>x << 2;
        const dx = f32x4.add(f32x4.mul(f32x4.add(v128.load(up + o), v128.load(down + o)), f1), f32x4.mul(v128.load(mid + o), f0));
        const dy = f32x4.sub(v128.load(down + aBytes + o), v128.load(up + aBytes + o));
        const at = body + (<usize>x << 3);
        storeF64(pa + at, f32x4.mul(dx, dx));
        storeF64(pb + at, f32x4.mul(dx, dy));
        storeF64(pc + at, f32x4.mul(dy, dy));
      }
      const out = ringB + chBytes * 3 * <usize>(j % slots);
      for (let ch = 0; ch < 3; ch++) {
        const p = prod + pBytes * <usize>ch;
        padProducts(p, w, r, block - 1 - r);
        boxRow(p, W4, block, out + chBytes * <usize>ch);
      }
    }
    for (let i = 0; i < block; i++) {
      store<u32>(rows + (<usize>i << 2), <u32>(ringB + chBytes * 3 * <usize>(reflect(y - r + i, h) % slots)));
    }
    const dstRow = dst + (<usize>(y * w) << 2);
    if (block == 3) {
      const r0 = <usize>load<u32>(rows), r1 = <usize>load<u32>(rows, 4), r2 = <usize>load<u32>(rows, 8);
      const cb = chBytes, cc = chBytes * 2;
      for (let x = 0; x < w; x += 4) {
        const at = <usize>x << 3;
        const a = boxColumn3(r0, r1, r2, at);
        const b = boxColumn3(r0 + cb, r1 + cb, r2 + cb, at);
        const c = boxColumn3(r0 + cc, r1 + cc, r2 + cc, at);
        v128.store(dstRow + (<usize>x << 2), useHarris ? harris(a, b, c, kv) : minEigen(a, b, c));
      }
      continue;
    }
    for (let x = 0; x < w; x += 4) {
      const at = <usize>x << 3;
      const a = boxColumn(rows, block, at);
      const b = boxColumn(rows, block, at + chBytes);
      const c = boxColumn(rows, block, at + chBytes * 2);
      v128.store(dstRow + (<usize>x << 2), useHarris ? harris(a, b, c, kv) : minEigen(a, b, c));
    }
  }
}
