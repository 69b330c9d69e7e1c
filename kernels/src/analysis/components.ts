// components(connectivity=8, min-area=1): the connected regions of pixels with luma ≥ 128, as
// OpenCV's connectedComponentsWithStats on that binary image (its background label 0 is not
// reported), with regions smaller than min-area left out.
//
// Order: by each region's first pixel in raster order. That is OpenCV's label order for
// 4-connectivity; for 8-connectivity OpenCV labels 2×2 blocks (Spaghetti), so its order can
// differ, and raster order is the one that does not depend on the algorithm.
//
// Tiles: each labels its core alone (no halo) in wasm (kernels/assembly/components.ts) and
// hands over per-region stats in image coordinates plus the labels along its core's four edges;
// the reduce joins regions across borders (components-merge.ts). The centroid is Σx / area and
// Σy / area with the sums kept as exact integers (below 2^53) and divided once at the end, which
// is what OpenCV does with its 64-bit integer moments, so whole and tiled agree to the bit.

import { PipelineError } from "../errors.js";
import type { Heap } from "../wasm.js";
import { FIELDS, mergeRegions } from "./components-merge.js";
import { checkTile, placeWindow } from "./luma-window.js";
import type { AnalysisOp, AnalysisTile, Component } from "./types.js";

export interface ComponentsParams {
  /** 4: edge neighbours only; 8: diagonal neighbours too. */
  readonly connectivity: 4 | 8;
  /** Regions with fewer pixels are left out (the pipeline's `min-area`). */
  readonly minArea: number;
}

export const COMPONENTS_DEFAULTS: ComponentsParams = Object.freeze({ connectivity: 8, minArea: 1 });

/** The registry's range for min-area (analysis/definitions.ts). */
const MAX_AREA = 1_000_000_000;

/**
 * A tile's partial result. Edge arrays hold the tile's own region numbers (1-based index into
 * `regions`), 0 for background pixels.
 */
export interface ComponentsPartial {
  /** The core in image coordinates: [x, y, width, height]. */
  box: [number, number, number, number];
  /** FIELDS numbers per region: area, minX, minY, maxX, maxY, Σx, Σy, first (y·W + x), image coordinates. */
  regions: number[];
  top: number[];
  bottom: number[];
  left: number[];
  right: number[];
}

interface ComponentsExports {
  labelComponents(src: number, stride: number, w: number, h: number, eight: number, info: number): void;
}

function bad(param: string, allowed: string, got: unknown): PipelineError {
  const shown = typeof got === "string" ? JSON.stringify(got) : String(got);
  return new PipelineError(`components: ${param} must be ${allowed}, got ${shown}`, { op: "components", param });
}

/**
 * Checks params and returns them typed: the engine's (analysisParams: `minArea`), or any
 * object, where the pipeline spelling `min-area` is taken too.
 */
export function checkComponentsParams(params: unknown): ComponentsParams {
  if (typeof params !== "object" || params === null)
    throw new PipelineError("components: params must be an object", { op: "components" });
  const given = params as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (name !== "connectivity" && name !== "minArea" && name !== "min-area") {
      throw new PipelineError(`components: unknown param "${name}"; components takes connectivity, min-area`, {
        op: "components",
        param: name,
      });
    }
  }
  const connectivity = given.connectivity ?? COMPONENTS_DEFAULTS.connectivity;
  const minArea = given.minArea ?? given["min-area"] ?? COMPONENTS_DEFAULTS.minArea;
  if (connectivity !== 4 && connectivity !== 8) throw bad("connectivity", "4 or 8 (default 8)", connectivity);
  if (typeof minArea !== "number" || !Number.isInteger(minArea) || minArea < 1 || minArea > MAX_AREA) {
    throw bad("min-area", `an integer between 1 and ${MAX_AREA} (default 1)`, minArea);
  }
  return { connectivity, minArea };
}

function tile(heap: Heap, t: AnalysisTile, params: ComponentsParams): ComponentsPartial {
  const p = checkComponentsParams(params);
  checkTile("components", t);
  const { width: w, height: h } = t.core;
  const ox = t.origin.x + t.core.x;
  const oy = t.origin.y + t.core.y;
  const partial: ComponentsPartial = { box: [ox, oy, w, h], regions: [], top: [], bottom: [], left: [], right: [] };
  if (w === 0 || h === 0) return partial;

  const at = placeWindow(heap, t, 65536);
  const info = heap.take(16);
  (heap.wasm as unknown as ComponentsExports).labelComponents(at.core, at.stride, w, h, p.connectivity === 8 ? 1 : 0, info);
  const [labels = 0, statsPtr = 0, edgesPtr = 0] = new Uint32Array(heap.wasm.memory.buffer, info, 3);
  const stats = new Float64Array(heap.wasm.memory.buffer, statsPtr, labels * FIELDS);
  const W = t.image.width;
  const regions = new Array<number>(labels * FIELDS);
  for (let i = 0; i < labels * FIELDS; i += FIELDS) {
    const area = stats[i] as number;
    const first = stats[i + 7] as number;
    const fy = Math.floor(first / w);
    regions[i] = area;
    regions[i + 1] = (stats[i + 1] as number) + ox;
    regions[i + 2] = (stats[i + 2] as number) + oy;
    regions[i + 3] = (stats[i + 3] as number) + ox;
    regions[i + 4] = (stats[i + 4] as number) + oy;
    // Shifting the sums to image coordinates adds area·offset: still exact integers.
    regions[i + 5] = (stats[i + 5] as number) + area * ox;
    regions[i + 6] = (stats[i + 6] as number) + area * oy;
    regions[i + 7] = (fy + oy) * W + (first - fy * w) + ox;
  }
  const edges = new Int32Array(heap.wasm.memory.buffer, edgesPtr, 2 * (w + h));
  partial.regions = regions;
  partial.top = Array.from(edges.subarray(0, w));
  partial.bottom = Array.from(edges.subarray(w, 2 * w));
  partial.left = Array.from(edges.subarray(2 * w, 2 * w + h));
  partial.right = Array.from(edges.subarray(2 * w + h));
  return partial;
}

function reduce(
  partials: readonly ComponentsPartial[],
  image: { width: number; height: number },
  params: ComponentsParams,
): { components: Component[] } {
  const p = checkComponentsParams(params);
  const merged = mergeRegions(partials, image, p.connectivity === 8)
    .filter((s) => (s[0] as number) >= p.minArea)
    .sort((a, b) => (a[7] as number) - (b[7] as number));
  return {
    components: merged.map((s) => {
      const [area = 0, minX = 0, minY = 0, maxX = 0, maxY = 0, sumX = 0, sumY = 0] = s;
      return { area, bbox: [minX, minY, maxX - minX + 1, maxY - minY + 1], centroid: [sumX / area, sumY / area] };
    }),
  };
}

/** The `components` analysis op: connected regions of luma ≥ 128 with area, bbox and centroid. */
export const componentsOp: AnalysisOp<ComponentsParams, ComponentsPartial> = {
  name: "components",
  halo: (params) => {
    checkComponentsParams(params);
    return 0;
  },
  tile,
  reduce,
};
