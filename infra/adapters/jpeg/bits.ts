/**
 * Bit-level plumbing for entropy-coded data: removing and adding byte stuffing, and a writer that
 * appends bit ranges of one buffer to another at any alignment. Working on un-stuffed data makes a
 * position in the scan a plain bit offset, so the walker can record it and the cutter can copy from it.
 */

/**
 * Zero bytes after un-stuffed data. The scan walker checks for the end of the data once per MCU, so
 * corrupt data can carry it one MCU past the end: at most 10 blocks × 64 symbols × 27 bits < 2.2 KB.
 */
export const PADDING = 4096;

/** Zeroed bytes for a result: a plain array, or one over shared memory (sharedBytes). */
export type ByteAlloc = (length: number) => Uint8Array;
export const plainBytes: ByteAlloc = (length) => new Uint8Array(length);
/** Over a SharedArrayBuffer: another thread given it reads the same memory, nothing copied. */
export const sharedBytes: ByteAlloc = (length) => new Uint8Array(new SharedArrayBuffer(length));

/**
 * The entropy-coded bytes [start, end) of `bytes` with every 0x00 that follows a 0xFF removed,
 * followed by PADDING zero bytes, in memory from `alloc`. The range must hold no markers
 * (restart markers included).
 */
export function unstuff(
  bytes: Uint8Array,
  start: number,
  end: number,
  alloc: ByteAlloc = plainBytes,
): { data: Uint8Array; length: number } {
  const data = alloc(end - start + PADDING);
  let o = 0;
  let i = start;
  while (i < end) {
    let f = bytes.indexOf(0xff, i);
    if (f < 0 || f >= end) f = end;
    data.set(bytes.subarray(i, f), o);
    o += f - i;
    if (f >= end) break;
    data[o++] = 0xff;
    i = f + 2;
  }
  return { data, length: o };
}

/** Copies data[0, length) to out at `at`, writing 0xFF as 0xFF 0x00; returns the end offset. */
export function stuff(data: Uint8Array, length: number, out: Uint8Array, at: number): number {
  let o = at;
  let i = 0;
  while (i < length) {
    let f = data.indexOf(0xff, i);
    if (f < 0 || f >= length) f = length;
    out.set(data.subarray(i, f), o);
    o += f - i;
    if (f >= length) break;
    out[o++] = 0xff;
    out[o++] = 0;
    i = f + 1;
  }
  return o;
}

/** How many 0xFF bytes data[0, length) holds: the bytes stuffing adds. */
export function countFF(data: Uint8Array, length: number): number {
  let count = 0;
  for (let f = data.indexOf(0xff); f >= 0 && f < length; f = data.indexOf(0xff, f + 1)) count++;
  return count;
}

/** The `count` (0..25) bits of `data` starting at bit `pos`, as an unsigned number. Needs 4 readable bytes from pos / 8. */
export function readBits(data: Uint8Array, pos: number, count: number): number {
  if (count === 0) return 0;
  const i = pos >>> 3;
  const w = (((data[i] ?? 0) << 24) | ((data[i + 1] ?? 0) << 16) | ((data[i + 2] ?? 0) << 8) | (data[i + 3] ?? 0)) << (pos & 7);
  return w >>> (32 - count);
}

/** Appends bits to a zero-filled buffer sized by the caller. */
export class BitWriter {
  readonly buffer: Uint8Array;
  /** Bits written so far. */
  pos = 0;

  constructor(capacityBytes: number) {
    this.buffer = new Uint8Array(capacityBytes);
  }

  /** Appends the low `count` bits of `value`, most significant first (count up to 31). */
  write(value: number, count: number): void {
    const buf = this.buffer;
    let n = count;
    while (n > 0) {
      const free = 8 - (this.pos & 7);
      const k = Math.min(n, free);
      const bits = (value >>> (n - k)) & ((1 << k) - 1);
      const at = this.pos >>> 3;
      buf[at] = (buf[at] ?? 0) | (bits << (free - k));
      this.pos += k;
      n -= k;
    }
  }

  /** Appends `count` bits of `src` starting at bit `from` (src needs PADDING bytes after the last bit read). */
  copy(src: Uint8Array, from: number, count: number): void {
    let p = from;
    let left = count;
    const head = Math.min(left, (8 - (this.pos & 7)) & 7);
    if (head > 0) {
      this.write(readBits(src, p, head), head);
      p += head;
      left -= head;
    }
    const whole = left >>> 3;
    const o = this.pos >>> 3;
    const shift = p & 7;
    const i = p >>> 3;
    if (shift === 0) {
      this.buffer.set(src.subarray(i, i + whole), o);
    } else {
      // Four bytes a step: each output word is the source word shifted, its low bits the next
      // byte's high ones (a quarter of the steps of a byte loop; this copy is most of a cut).
      const buf = this.buffer;
      const back = 8 - shift;
      const from = new DataView(src.buffer, src.byteOffset, src.byteLength);
      const into = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      let j = 0;
      for (; j + 4 <= whole; j += 4) into.setUint32(o + j, (from.getUint32(i + j) << shift) | ((src[i + j + 4] ?? 0) >>> back));
      for (; j < whole; j++) buf[o + j] = (((src[i + j] ?? 0) << shift) | ((src[i + j + 1] ?? 0) >>> back)) & 0xff;
    }
    this.pos += whole * 8;
    p += whole * 8;
    left -= whole * 8;
    if (left > 0) this.write(readBits(src, p, left), left);
  }

  /** Fills the rest of the current byte with 1-bits, as JPEG requires before a marker; returns the length in bytes. */
  padToByte(): number {
    const rest = (8 - (this.pos & 7)) & 7;
    if (rest > 0) this.write((1 << rest) - 1, rest);
    return this.pos >>> 3;
  }
}
