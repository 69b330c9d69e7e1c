// Analysis ops return data (keypoints, lines, regions, detections) instead of an image. They are
// the last step of a pipeline and run on luma. Like every other op they are distributed over
// tiles: each tile turns its window of grey pixels into a partial result for the pixels it owns
// (its core), and one reduce turns the partials of every tile into the answer. The contract that
// makes tiled == whole byte for byte: a partial depends only on the pixels of the window, the
// core's place in the image and the params; the reduce depends only on the multiset of
// partials (it must not care how the image was cut), and the whole image is one tile.

import type { Heap } from "../wasm.js";

/** A rectangle in pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * One tile's input: a window of luma (one byte per pixel, row-major, `width × height`) cut from
 * the image with a halo of `halo(params)` pixels around the core where the image has them (the
 * window is clipped at the image edges, never padded).
 */
export interface AnalysisTile {
  readonly grey: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The pixels this tile owns, in window coordinates. Cores of all tiles partition the image. */
  readonly core: Box;
  /** The window's top-left corner in image coordinates. */
  readonly origin: { readonly x: number; readonly y: number };
  /** The whole image's size. */
  readonly image: { readonly width: number; readonly height: number };
}

/** A keypoint in source-pixel coordinates (OpenCV's KeyPoint fields). */
export interface Keypoint {
  x: number;
  y: number;
  response: number;
  size: number;
  angle: number;
  /** 32 bytes, base64 (ORB only). */
  descriptor?: string;
}

/** A line in normal form, as OpenCV's HoughLines: rho in pixels, theta in radians. */
export interface HoughLine {
  rho: number;
  theta: number;
  votes: number;
}

export interface Component {
  area: number;
  /** [x, y, width, height] */
  bbox: [number, number, number, number];
  /** [cx, cy] */
  centroid: [number, number];
}

export interface Detection {
  label: string;
  score: number;
  /** [x, y, width, height] */
  bbox: [number, number, number, number];
}

/** The data an analysis op returns; the engine adds width, height, pipeline and op. */
export interface AnalysisData {
  keypoints?: Keypoint[];
  lines?: HoughLine[];
  components?: Component[];
  detections?: Detection[];
}

/**
 * An analysis op as the engine drives it. `Partial` must survive structuredClone (it crosses
 * threads) and JSON (it crosses machines): plain objects, arrays and numbers, or typed arrays
 * the op encodes itself.
 */
export interface AnalysisOp<Params, Partial> {
  readonly name: string;
  /** Pixels of context a tile needs on each side of its core for its partial to be exact. */
  halo(params: Params): number;
  /** The partial result of one tile. `heap` is the calling thread's kernel instance's memory. */
  tile(heap: Heap, tile: AnalysisTile, params: Params): Partial;
  /** Every tile's partial, in any order, to the answer. Deterministic, sorted output. */
  reduce(partials: readonly Partial[], image: { width: number; height: number }, params: Params): AnalysisData;
}
