// The raw WebAssembly exports and the linear-memory bookkeeping around them. Pointers are
// byte offsets into `memory`; the wasm side treats them as unsigned 32-bit.

import { KernelError } from "./errors.js";

export interface WasmExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  scratchReset(base: number): void;
  ensureMemory(end: number): void;
  take(bytes: number): number;
  invert(src: number, dst: number, n: number): void;
  brightness(src: number, dst: number, n: number, delta: number): void;
  applyLut(src: number, dst: number, n: number, lut: number): void;
  lutContrast(lut: number, factor: number): void;
  lutGamma(lut: number, gamma: number): void;
  lutPosterize(lut: number, levels: number): void;
  grayscale(src: number, dst: number, n: number, wr: number, wg: number, wb: number): void;
  threshold(src: number, dst: number, n: number, minLuma: number): void;
  colorMatrix(src: number, dst: number, n: number, matrix: number): void;
  lumaHistogram(src: number, n: number, hist: number): void;
  boxBlur(src: number, dst: number, w: number, h: number, radius: number): void;
  gaussianBlur(src: number, dst: number, w: number, h: number, sigma: number): void;
  sharpen(src: number, dst: number, w: number, h: number, sigma: number, amount: number): void;
  median(src: number, dst: number, w: number, h: number, radius: number): void;
  convolve(src: number, dst: number, w: number, h: number, kernel: number, side: number, divisor: number, offset: number): void;
  convolveInt(
    src: number,
    dst: number,
    w: number,
    h: number,
    taps: number,
    count: number,
    side: number,
    lanes: number,
    shift: number,
    bias: number,
    scale: number,
    divisor: number,
    offset: number,
  ): void;
  convolveSeparable(
    src: number,
    dst: number,
    w: number,
    h: number,
    u: number,
    v: number,
    side: number,
    unsigned: number,
    shift: number,
    bias: number,
    scale: number,
    divisor: number,
    offset: number,
  ): void;
  gradient(src: number, dst: number, w: number, h: number, edge: number, centre: number, one: number): void;
  laplacian(src: number, dst: number, w: number, h: number, one: number): void;
  grayscaleTo1(src: number, dst: number, n: number, wr: number, wg: number, wb: number): void;
  thresholdTo1(src: number, dst: number, n: number, minLuma: number): void;
  thresholdGrey(src: number, dst: number, n: number, minValue: number): void;
  greyHistogram(src: number, n: number, hist: number): void;
  applyLutGrey(src: number, dst: number, n: number, lut: number): void;
  expandGrey(src: number, dst: number, n: number): void;
  packGrey(src: number, dst: number, n: number): void;
  expandRgb(src: number, dst: number, n: number): void;
  packRgb(src: number, dst: number, n: number): void;
  canny(src: number, dst: number, w: number, h: number, sigma: number, low: number, high: number): void;
  cannyClassify(src: number, dst: number, w: number, h: number, sigma: number, low: number, high: number): void;
  cannyHysteresis(src: number, dst: number, w: number, h: number): void;
  cannyHysteresisGrey(map: number, w: number, h: number): void;
  cannySpreadGrey(map: number, w: number, h: number): void;
  cannyClearWeakGrey(map: number, n: number): void;
  greyIntoRgb(grey: number, rgba: number, n: number): void;
}

export const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Typed views over wasm memory that follow it when it grows (growth detaches old views). */
export class Heap {
  readonly wasm: WasmExports;
  private u8view = new Uint8Array(0);
  private f32view = new Float32Array(0);
  private u32view = new Uint32Array(0);

  constructor(wasm: WasmExports) {
    this.wasm = wasm;
  }

  get u8(): Uint8Array {
    if (this.u8view.buffer !== this.wasm.memory.buffer) this.u8view = new Uint8Array(this.wasm.memory.buffer);
    return this.u8view;
  }
  get f32(): Float32Array {
    if (this.f32view.buffer !== this.wasm.memory.buffer) this.f32view = new Float32Array(this.wasm.memory.buffer);
    return this.f32view;
  }
  get u32(): Uint32Array {
    if (this.u32view.buffer !== this.wasm.memory.buffer) this.u32view = new Uint32Array(this.wasm.memory.buffer);
    return this.u32view;
  }

  /** Scratch bytes for parameters (tables, matrices); valid until the next scratchReset. */
  take(bytes: number): number {
    return this.wasm.take(bytes) >>> 0;
  }

  /** Makes [0, end) addressable, translating the host's refusal into IMAGE_TOO_LARGE. */
  ensure(end: number): void {
    try {
      this.wasm.ensureMemory(end);
    } catch (cause) {
      throw new KernelError("IMAGE_TOO_LARGE", `could not grow kernel memory to ${end} bytes; use a smaller image or tile it`, {
        cause,
      });
    }
  }
}

/** What the kernels' module imports: an abort that throws a KernelError. */
export const KERNEL_IMPORTS = {
  env: {
    abort(_message: number, _file: number, line: number, column: number): never {
      throw new KernelError("KERNEL_FAILED", `kernel aborted at line ${line}:${column}`);
    },
  },
};

/** Another instance of a compiled module, synchronously (cheap: the code is compiled once). */
export function instantiate(module: WebAssembly.Module): WasmExports {
  return new WebAssembly.Instance(module, KERNEL_IMPORTS).exports as unknown as WasmExports;
}
