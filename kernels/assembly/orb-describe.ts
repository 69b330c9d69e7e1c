// ORB's per-keypoint kernels on one pyramid level (u8, `w` wide, row-major). Keypoints are given
// as u32 indices y·w + x of their centre; every kernel reads at most 19 pixels around a centre,
// which the caller keeps inside the level buffer (OpenCV keeps keypoints 31 pixels from a
// level's edges, so no border rule is ever needed).
//
//   orbHarris    OpenCV's HarrisResponses: 3×3 Sobel sums (unscaled ints) over the 7×7 block,
//                then its f32 formula ((a·b − c·c) − k·(a + b)·(a + b))·scale⁴, k = 0.04f,
//                scale = 1 / (4·7·255); bit-exact with OpenCV's responses.
//   orbAngles    the intensity centroid over OpenCV's circular patch of radius 15 (the row
//                half-widths UMAX): the moments m01, m10 (orb.ts takes their atan2).
//   orbDescribe  steered BRIEF: the 7×7 Gaussian (σ 2) of the patch, then 256 comparisons of
//                pattern point pairs rotated by the angle (the pattern comes from JS, ≤ 15 from
//                the centre, so a rotated point rounds to within ±15).

import { take } from "./memory";

/** Half-widths of the circular patch's rows v = 0..15: OpenCV's umax for patchSize 31 (√(225 − v²) rounded, then made symmetric). */
const UMAX = memory.data<u8>([15, 15, 15, 15, 14, 14, 14, 13, 13, 12, 11, 10, 9, 8, 6, 3]);

/** The 7 taps of the σ = 2 Gaussian in 1/256: OpenCV's fixed-point kernel for 8-bit images (sums to 256). */
const GAUSS = memory.data<u16>([18, 34, 48, 56, 48, 34, 18]);

/** Eight u8 at `p` as u16 lanes. */
// @ts-ignore: decorator
@inline function u16x8(p: usize): v128 {
  return i16x8.extend_low_i8x16_u(v128.load64_zero(p));
}

/** Sum of the four i32 lanes. */
// @ts-ignore: decorator
@inline function lanes(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** Writes the f32 Harris response of each of the `n` keypoints at `pts` to `out`. */
export function orbHarris(img: usize, w: i32, pts: usize, n: i32, out: usize): void {
  const step = <usize>w;
  const scale: f32 = <f32>1 / (<f32>(4 * 7) * <f32>255);
  const scale4 = scale * scale * scale * scale;
  const k: f32 = 0.04;
  // Lanes 0..6 are the block's 7 columns; lane 7 is masked out.
  const mask = i16x8.replace_lane(i16x8.splat(-1), 7, 0);
  for (let i = 0; i < n; i++) {
    const centre = img + <usize>load<u32>(pts + (<usize>i << 2));
    let a = i32x4.splat(0), b = i32x4.splat(0), c = i32x4.splat(0);
    for (let r = -3; r <= 3; r++) {
      const row = centre + <usize>(r * w) - 3;
      const up = row - step, down = row + step;
      const ul = u16x8(up - 1), uc = u16x8(up), ur = u16x8(up + 1);
      const ml = u16x8(row - 1), mr = u16x8(row + 1);
      const dl = u16x8(down - 1), dc = u16x8(down), dr = u16x8(down + 1);
      // |Ix|, |Iy| ≤ 1020: i16; the squares go through the i32 dot product.
      let ix = i16x8.add(i16x8.shl(i16x8.sub(mr, ml), 1), i16x8.add(i16x8.sub(ur, ul), i16x8.sub(dr, dl)));
      let iy = i16x8.add(i16x8.shl(i16x8.sub(dc, uc), 1), i16x8.add(i16x8.sub(dl, ul), i16x8.sub(dr, ur)));
      ix = v128.and(ix, mask);
      iy = v128.and(iy, mask);
      a = i32x4.add(a, i32x4.dot_i16x8_s(ix, ix));
      b = i32x4.add(b, i32x4.dot_i16x8_s(iy, iy));
      c = i32x4.add(c, i32x4.dot_i16x8_s(ix, iy));
    }
    const fa = <f32>lanes(a), fb = <f32>lanes(b), fc = <f32>lanes(c);
    const t = fa + fb;
    store<f32>(out + (<usize>i << 2), (fa * fb - fc * fc - k * t * t) * scale4);
  }
}

/**
 * Writes the intensity moments (m01, m10) of each of the `n` keypoints at `pts` to `out` (i32
 * pairs). JS turns them into the angle, so that atan2 (and cos, sin below) stay out of the module.
 */
export function orbAngles(img: usize, w: i32, pts: usize, n: i32, out: usize): void {
  // Per row v = −15..15, 32 columns u = −15..16: weights u inside the row's half-width, else 0,
  // and 1 inside, else 0 (i16), so that each row is 4 dot products of each kind.
  const weights = take(31 * 128);
  for (let v = -15; v <= 15; v++) {
    const d = <i32>load<u8>(UMAX + <usize>abs(v));
    const row = weights + <usize>(v + 15) * 128;
    for (let j = 0; j < 32; j++) {
      const u = j - 15;
      const inside = u >= -d && u <= d;
      store<i16>(row + (<usize>j << 1), <i16>(inside ? u : 0));
      store<i16>(row + 64 + (<usize>j << 1), <i16>(inside ? 1 : 0));
    }
  }
  for (let i = 0; i < n; i++) {
    const centre = img + <usize>load<u32>(pts + (<usize>i << 2));
    let m10 = i32x4.splat(0);
    let m01 = 0;
    for (let v = -15; v <= 15; v++) {
      const p = centre + <usize>(v * w) - 15;
      const row = weights + <usize>(v + 15) * 128;
      let sum = i32x4.splat(0);
      for (let q = 0; q < 4; q++) {
        const px = u16x8(p + (<usize>q << 3));
        m10 = i32x4.add(m10, i32x4.dot_i16x8_s(px, v128.load(row + (<usize>q << 4))));
        sum = i32x4.add(sum, i32x4.dot_i16x8_s(px, v128.load(row + 64 + (<usize>q << 4))));
      }
      m01 += v * lanes(sum);
    }
    store<i32>(out + (<usize>i << 3), m01);
    store<i32>(out + (<usize>i << 3), lanes(m10), 4);
  }
}

/**
 * Writes 32 descriptor bytes per keypoint to `out`: bit k of byte j is (I(p₀) < I(p₁)) for pair
 * 8j + k of `pattern` (512 i8 (x, y) points, pairs consecutive), each point rotated as OpenCV
 * does (f32 x·cos − y·sin, rounded to nearest even) by the keypoint's angle, whose f32 (cos, sin)
 * are at `rotations`; I is the level blurred by the 7×7 Gaussian. `centres`: u32 centre indices.
 */
export function orbDescribe(img: usize, w: i32, centres: usize, n: i32, rotations: usize, pattern: usize, out: usize): void {
  // The blur of a 31 × 31 patch needs 37 × 37 source pixels. Columns are computed 32 wide
  // (−15..16) so each row is 4 vectors of 8: H (u16, rows −18..18), then B (u8, rows −15..15).
  const hBuf = take(37 * 64);
  const blurred = take(31 * 32);
  const stage = take(16);
  const round = i32x4.splat(1 << 15);
  for (let i = 0; i < n; i++) {
    const centre = img + <usize>load<u32>(centres + (<usize>i << 2));
    for (let r = 0; r < 37; r++) {
      const src = centre + <usize>((r - 18) * w) - 18;
      for (let q = 0; q < 4; q++) {
        let acc = i16x8.splat(0);
        for (let t = 0; t < 7; t++) {
          const wt = i16x8.splat(load<u16>(GAUSS + (<usize>t << 1)));
          acc = i16x8.add(acc, i16x8.mul(u16x8(src + <usize>((q << 3) + t)), wt));
        }
        v128.store(hBuf + <usize>r * 64 + (<usize>q << 4), acc);
      }
    }
    for (let r = 0; r < 31; r++) {
      for (let q = 0; q < 4; q++) {
        let lo = round, hi = round;
        for (let t = 0; t < 7; t++) {
          const wt = i16x8.splat(load<u16>(GAUSS + (<usize>t << 1)));
          const hv = v128.load(hBuf + <usize>(r + t) * 64 + (<usize>q << 4));
          lo = i32x4.add(lo, i32x4.extmul_low_i16x8_u(hv, wt));
          hi = i32x4.add(hi, i32x4.extmul_high_i16x8_u(hv, wt));
        }
        const packed = i16x8.narrow_i32x4_u(i32x4.shr_u(lo, 16), i32x4.shr_u(hi, 16));
        v128.store(stage, i8x16.narrow_i16x8_u(packed, packed));
        store<u64>(blurred + <usize>r * 32 + (<usize>q << 3), load<u64>(stage));
      }
    }
    const ca = load<f32>(rotations + (<usize>i << 3));
    const sa = load<f32>(rotations + (<usize>i << 3), 4);
    const desc = out + (<usize>i << 5);
    for (let j = 0; j < 32; j++) {
      let byte = 0;
      for (let k = 0; k < 8; k++) {
        const at = pattern + (<usize>((j << 3) + k) << 2);
        const v0 = sample(blurred, <f32>load<i8>(at), <f32>load<i8>(at, 1), ca, sa);
        const v1 = sample(blurred, <f32>load<i8>(at, 2), <f32>load<i8>(at, 3), ca, sa);
        byte |= <i32>(v0 < v1) << k;
      }
      store<u8>(desc + <usize>j, <u8>byte);
    }
  }
}

/** The blurred patch at pattern point (x, y) rotated by (cos, sin), rounded half to even. */
// @ts-ignore: decorator
@inline function sample(blurred: usize, x: f32, y: f32, ca: f32, sa: f32): u32 {
  const ix = <i32>nearest<f32>(x * ca - y * sa);
  const iy = <i32>nearest<f32>(x * sa + y * ca);
  return load<u8>(blurred + <usize>((iy + 15) * 32 + ix + 15));
}
