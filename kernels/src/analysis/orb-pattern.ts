// The steered-BRIEF sampling pattern of the orb op: 256 pairs of points, ours, not OpenCV's.
//
// OpenCV's ORB samples the 256 pairs of its bit_pattern_31, learned from data and shipped as a
// table in its source. We do not copy that table; we generate our own, deterministically, in
// the spirit of BRIEF's "G II" pattern (both points of a pair drawn i.i.d. from an isotropic
// Gaussian around the centre):
//
//   - a xorshift32 generator seeded with 0x4f524221 ("ORB!") draws each coordinate as the sum
//     of three uniform integers in −5..5 (an Irwin–Hall approximation of a Gaussian of σ ≈ 5.5,
//     integers only, so every platform draws the same numbers);
//   - a point farther than 15 from the centre is redrawn, so a point rotated by any angle stays
//     inside the 31 × 31 patch (and rounds to within ±15: the kernels rely on that);
//   - a pair of two equal points, or a pair already drawn (in either order), is redrawn.
//
// Consequence: our descriptors are binary 256-bit ORB descriptors that match each other under
// Hamming distance like OpenCV's do, but they are not bit-compatible with OpenCV's descriptors
// (a different pattern compares different pixels). Keypoints, responses, sizes and angles are
// OpenCV's; only the descriptor bits differ.

let pattern: Int8Array | undefined;

/**
 * 512 points as i8 (x, y), pairs consecutive: point 2i and 2i + 1 form pair i. Drawn on first
 * use, not when the module loads: drawing takes ~3 ms, and every kernel thread loads this
 * module while it boots but few ever run orb.
 */
export function orbPattern(): Int8Array {
  pattern ??= makePattern();
  return pattern;
}

function makePattern(): Int8Array {
  let s = 0x4f524221;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const uniform = (): number => (next() % 11) - 5;
  // A point packed in one number, (x + 15) · 32 + (y + 15): every module that imports the
  // kernels builds this table at load, so it allocates nothing per draw.
  const point = (): number => {
    for (;;) {
      const x = uniform() + uniform() + uniform();
      const y = uniform() + uniform() + uniform();
      if (x * x + y * y <= 225) return (x + 15) * 32 + (y + 15);
    }
  };
  const out = new Int8Array(1024);
  const seen = new Set<number>();
  for (let i = 0; i < 256; ) {
    const p0 = point();
    const p1 = point();
    if (p0 === p1 || seen.has(p0 * 1024 + p1)) continue;
    seen.add(p0 * 1024 + p1);
    seen.add(p1 * 1024 + p0);
    out[4 * i] = (p0 >> 5) - 15;
    out[4 * i + 1] = (p0 & 31) - 15;
    out[4 * i + 2] = (p1 >> 5) - 15;
    out[4 * i + 3] = (p1 & 31) - 15;
    i++;
  }
  return out;
}
