// Per-channel tables (contrast, gamma, posterize, fused chains, equalize's resolved table).
// WebAssembly has no gather, so a lookup is a scalar load per byte. Pair tables halve the
// loads: the 256-byte table applied to two bytes at once, 65,536 u16 entries (128 KB) each, one
// for R and G and one for B with alpha passed through. They are built once per table and kept
// in static memory for the calls that follow with the same table (a point pipeline runs band
// by band, a few hundred calls per image). On 12 MP of RGBA in 128 KB bands: 17 ms with three
// byte lookups per pixel, 9.5 ms with one pair and one byte lookup, 8 ms with two pairs.

/** The table the pair tables were built from, the pair table, and the one that keeps alpha. */
const PAIR_SOURCE = memory.data(256, 16);
const PAIR = memory.data(65536 << 1, 16);
const PAIR_ALPHA = memory.data(65536 << 1, 16);
let pairBuilt = false;

/** Below this many bytes to look up, building a pair table costs more than it saves. */
const PAIR_MIN_BYTES: usize = 1 << 16;

/** Makes PAIR the pair table of the 256-byte table at `lut`, unless it already is. */
function pairFor(lut: usize): void {
  if (pairBuilt) {
    let same = true;
    for (let i: usize = 0; i < 256 && same; i += 16) same = v128.all_true<i8>(i8x16.eq(v128.load(lut + i), v128.load(PAIR_SOURCE + i)));
    if (same) return;
  }
  memory.copy(PAIR_SOURCE, lut, 256);
  for (let hi: u32 = 0; hi < 256; hi++) {
    const high = <u32>load<u8>(lut + hi) << 8;
    const row = PAIR + (hi << 9);
    const alphaRow = PAIR_ALPHA + (hi << 9);
    for (let lo: u32 = 0; lo < 256; lo++) {
      const low = <u32>load<u8>(lut + lo);
      store<u16>(row + (lo << 1), <u16>(high | low));
      store<u16>(alphaRow + (lo << 1), <u16>((hi << 8) | low));
    }
  }
  pairBuilt = true;
}

/** Table lookup on R, G, B of `n` RGBA pixels with the 256-byte table at `lut`; alpha kept. */
export function applyLut(src: usize, dst: usize, n: usize, lut: usize): void {
  const bytes = n << 2;
  if (bytes < PAIR_MIN_BYTES) {
    for (let i: usize = 0; i < bytes; i += 4) {
      const p = load<u32>(src + i);
      const r = <u32>load<u8>(lut + (p & 0xff));
      const g = <u32>load<u8>(lut + ((p >> 8) & 0xff));
      const b = <u32>load<u8>(lut + ((p >> 16) & 0xff));
      store<u32>(dst + i, (p & 0xff000000) | (b << 16) | (g << 8) | r);
    }
    return;
  }
  pairFor(lut);
  // Two u16 stores, not one u32: no shifts or masks, and faster here by ~15 %.
  for (let i: usize = 0; i < bytes; i += 4) {
    store<u16>(dst + i, load<u16>(PAIR + (<usize>load<u16>(src + i) << 1)));
    store<u16>(dst + i, load<u16>(PAIR_ALPHA + (<usize>load<u16>(src + i, 2) << 1)), 2);
  }
}

/** Table lookup on `n` grey8 pixels. */
export function applyLutGrey(src: usize, dst: usize, n: usize, lut: usize): void {
  let i: usize = 0;
  if (n >= PAIR_MIN_BYTES) {
    pairFor(lut);
    for (; i + 4 <= n; i += 4) {
      const v = load<u32>(src + i);
      const lo = <u32>load<u16>(PAIR + ((v & 0xffff) << 1));
      const hi = <u32>load<u16>(PAIR + ((v >> 16) << 1));
      store<u32>(dst + i, lo | (hi << 16));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const v = load<u32>(src + i);
      const a = <u32>load<u8>(lut + (v & 0xff));
      const b = <u32>load<u8>(lut + ((v >> 8) & 0xff));
      const c = <u32>load<u8>(lut + ((v >> 16) & 0xff));
      const d = <u32>load<u8>(lut + (v >> 24));
      store<u32>(dst + i, a | (b << 8) | (c << 16) | (d << 24));
    }
  }
  for (; i < n; i++) store<u8>(dst + i, load<u8>(lut + load<u8>(src + i)));
}
