// Shared by the analysis-op tests (test/kernels/analysis-*.test.ts): the kernel instance's
// analysis heap, whole-image tiles and results, the tiled == whole check and the bad-params
// check. Their input images are test/helpers/grey-images.ts.

import {
  type AnalysisData,
  type AnalysisOp,
  type AnalysisTile,
  analyseTiled,
  analyseWhole,
  type GreyImage,
  type Kernels,
  type Keypoint,
  PipelineError,
} from "@tessera/kernels";
import { expect } from "vitest";
import { kernels } from "./kernels.js";

/** The analysis ops' memory of this test file's kernel instance. */
export const analysisHeap = async (): Promise<Kernels["analysisHeap"]> => (await kernels()).analysisHeap;

/** A keypoint op's keypoints on the image as one tile. */
export async function wholeKeypoints<P, T>(op: AnalysisOp<P, T>, image: GreyImage, params: P): Promise<Keypoint[]> {
  return analyseWhole(await analysisHeap(), op, image, params).keypoints ?? [];
}

/** The whole image as one tile, for calling tile() directly. */
export function wholeTile(image: GreyImage): AnalysisTile {
  return {
    grey: image.data,
    width: image.width,
    height: image.height,
    core: { x: 0, y: 0, width: image.width, height: image.height },
    origin: { x: 0, y: 0 },
    image: { width: image.width, height: image.height },
  };
}

/** Tile sizes that cut the test images unevenly, one of them not square. */
export const TILINGS: [number, number][] = [
  [64, 64],
  [100, 100],
  [257, 257],
  [96, 160],
];

/** Expects the op's result on every tiling to be the whole image's, byte for byte (JSON); returns the whole result. */
export function expectTiledEqualsWhole<P, T>(
  heap: Kernels["analysisHeap"],
  op: AnalysisOp<P, T>,
  image: GreyImage,
  params: P,
  tilings: readonly (readonly [number, number])[] = TILINGS,
  label = "tiles",
): AnalysisData {
  const whole = analyseWhole(heap, op, image, params);
  const json = JSON.stringify(whole);
  for (const [tw, th] of tilings) {
    expect(JSON.stringify(analyseTiled(heap, op, image, params, tw, th)), `${label} ${tw}×${th}`).toBe(json);
  }
  return whole;
}

/** Expects `parse` to refuse each case's params with a PipelineError naming `param`, its message matching. */
export function expectParamErrors(
  parse: (given: Record<string, unknown>) => unknown,
  cases: readonly [Record<string, unknown>, string, RegExp][],
): void {
  for (const [given, param, message] of cases) {
    let error: unknown;
    try {
      parse(given);
    } catch (e) {
      error = e;
    }
    expect(error, JSON.stringify(given)).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).param).toBe(param);
    expect((error as PipelineError).message).toMatch(message);
  }
}
