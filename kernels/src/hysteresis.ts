// Canny's hysteresis over a class map gathered a band at a time (Kernels.classMap), on one
// byte per pixel: what the wasm kernel behind Kernels.hysteresis does in one call.

import { KernelError } from "./errors.js";
import { MAX_PIXELS } from "./image.js";
import { align16, type Heap } from "./wasm.js";

/**
 * Canny's class map, one byte per pixel (0 none, 128 weak, 255 strong), in a kernels instance
 * of its own: gathered from the RGBA class map's bands (`pack`), reduced once (`reduce`), and
 * given back into RGBA rows whose alpha it keeps (`unpack`). The engine's finish so holds the
 * map (a quarter of the RGBA image) and the bands it is reading or encoding, never every band
 * at once; and since the map's memory is its own, it may be gathered across awaits while other
 * calls use the instance it came from, and is freed with it (a long-running coordinator's own
 * instance does not keep a gigapixel map's memory).
 *
 * Memory: [map | staging for one band of RGBA rows | the hysteresis' stack].
 */
export class ClassMap {
  private readonly map: number;
  private readonly staging: number;

  constructor(
    private readonly heap: Heap,
    readonly width: number,
    readonly height: number,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width * height > MAX_PIXELS)
      throw new KernelError("INVALID_IMAGE", `a class map is 1 to ${MAX_PIXELS} pixels, got ${width}×${height}`);
    this.map = align16(heap.wasm.heapBase());
    this.staging = align16(this.map + width * height);
    heap.ensure(this.staging);
  }

  /** Takes the classes of the RGBA rows `rgba` (whole rows, from row `y0`) into the map. */
  pack(y0: number, rgba: Uint8Array): void {
    const n = this.stage(y0, rgba);
    this.heap.wasm.packGrey(this.staging, this.map + y0 * this.width, n);
  }

  /** Weak pixels 8-connected to a strong one through weak pixels become 255, everything else 0. */
  reduce(): void {
    this.heap.wasm.scratchReset(this.staging); // the flood's stack, after the map
    this.heap.wasm.cannyHysteresisGrey(this.map, this.width, this.height);
  }

  /**
   * reduce() without its last pass: weak pixels joined to a strong one become strong (255), the
   * others stay weak (128), so that a band of a larger map can be spread again once its
   * neighbours' edge rows change, and cleared only at the end (engine/edge-sweep.ts).
   */
  spread(): void {
    this.heap.wasm.scratchReset(this.staging);
    this.heap.wasm.cannySpreadGrey(this.map, this.width, this.height);
  }

  /** reduce()'s last pass alone, after spread(): weak pixels become 0. */
  clearWeak(): void {
    this.heap.wasm.cannyClearWeakGrey(this.map, this.width * this.height);
  }

  /**
   * Writes the map's rows from `y0` into the R, G and B of the RGBA rows `rgba`, keeping their
   * alpha; `opaque`: A = 255 instead, and nothing is read from `rgba` (one copy less).
   */
  unpack(y0: number, rgba: Uint8Array, opaque = false): void {
    const grey = this.map + y0 * this.width;
    if (opaque) this.heap.wasm.expandGrey(grey, this.staging, this.rows(y0, rgba));
    else this.heap.wasm.greyIntoRgb(grey, this.staging, this.stage(y0, rgba));
    rgba.set(this.heap.u8.subarray(this.staging, this.staging + rgba.length));
  }

  /**
   * Copies the map's rows from `y0` into `grey` (whole rows, one byte a pixel): after reduce(),
   * an opaque image's edges as a grey image, with nothing to widen or read.
   */
  greyRows(y0: number, grey: Uint8Array): void {
    const from = this.greyAt(y0, grey);
    grey.set(this.heap.u8.subarray(from, from + grey.length));
  }

  /**
   * Takes grey rows (whole rows from row `y0`, one byte a pixel) into the map as they are: the
   * classes of an opaque image's canny stage, written as a grey layer, need no packing.
   */
  putGrey(y0: number, grey: Uint8Array): void {
    this.heap.u8.set(grey, this.greyAt(y0, grey));
  }

  /** Where `grey`'s rows start in the map, checked to be whole rows of it from row `y0`. */
  private greyAt(y0: number, grey: Uint8Array): number {
    const rows = grey.length / this.width;
    if (!Number.isInteger(y0) || y0 < 0 || !Number.isInteger(rows) || rows < 1 || y0 + rows > this.height) {
      throw new KernelError(
        "INVALID_IMAGE",
        `${grey.length} bytes from row ${y0} are not whole rows of the ${this.width}×${this.height} grey class map`,
      );
    }
    return this.map + y0 * this.width;
  }

  /** Copies `rgba` into the staging area, checked to be whole rows of the map from row `y0`; returns its pixels. */
  private stage(y0: number, rgba: Uint8Array): number {
    const n = this.rows(y0, rgba);
    this.heap.u8.set(rgba, this.staging);
    return n;
  }

  /** The pixels of `rgba`, checked to be whole rows of the map from row `y0`, with room staged for them. */
  private rows(y0: number, rgba: Uint8Array): number {
    const rowBytes = this.width * 4;
    const rows = rgba.length / rowBytes;
    if (!Number.isInteger(y0) || y0 < 0 || !Number.isInteger(rows) || rows < 1 || y0 + rows > this.height) {
      throw new KernelError(
        "INVALID_IMAGE",
        `${rgba.length} bytes from row ${y0} are not whole rows of the ${this.width}×${this.height} RGBA class map`,
      );
    }
    this.heap.ensure(this.staging + rgba.length);
    return rows * this.width;
  }
}
