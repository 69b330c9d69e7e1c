// Compact images in run(): grey (one byte per pixel) through the steps that have a grey path,
// and the check that a one-channel result is grey.

import { KernelError } from "./errors.js";
import { applyTableGrey, executors } from "./exec.js";
import type { Channels } from "./image.js";
import type { Pipeline, Step } from "./pipeline.js";
import { composedTable, fuse, guard, runGroup } from "./run-steps.js";
import type { Heap } from "./wasm.js";

/**
 * runSteps for run(): the image at `a` has `channels` (1 or 4) bytes per pixel. Steps with a
 * grey kernel stay on one byte per pixel; any other widens the image to RGBA first. With
 * `oneOut`, a last step that writes grey writes it one byte per pixel.
 */
export function runCompact(
  heap: Heap,
  steps: Pipeline,
  a: number,
  b: number,
  scratch: number,
  w: number,
  h: number,
  channels: 1 | 4,
  oneOut: boolean,
): { ptr: number; channels: 1 | 4 } {
  let src = a;
  let dst = b;
  const groups = fuse(steps);
  groups.forEach((group, i) => {
    heap.wasm.scratchReset(scratch);
    const step = group[0] as Step;
    const ex = executors[step.op];
    const table = group.length > 1 || ex?.lut !== undefined;
    if (channels === 1 && hasGreyPath(group)) {
      guard(group, w, h, () => {
        if (table) applyTableGrey(heap, composedTable(heap, group), src, dst, w * h);
        else ex?.grey?.(heap, step.params, src, dst, w, h);
      });
    } else {
      if (channels === 1) {
        heap.wasm.expandGrey(src, dst, w * h);
        [src, dst] = [dst, src];
        channels = 4;
      }
      // A grey-writing step goes compact when every later step can work on one byte per pixel.
      const compact = oneOut && !step.resolution && groups.slice(i + 1).every(hasGreyPath) && ex?.toGrey;
      if (compact) {
        guard(group, w, h, () => compact(heap, step.params, src, dst, w, h));
        channels = 1;
      } else {
        runGroup(heap, group, src, dst, w, h);
      }
    }
    [src, dst] = [dst, src];
  });
  return { ptr: src, channels };
}

/** Whether a group of fuse() runs on a grey8 image as it is (a table, or a grey kernel). */
function hasGreyPath(group: readonly Step[]): boolean {
  const step = group[0] as Step;
  const ex = executors[step.op];
  return !step.resolution && (group.length > 1 || ex?.lut !== undefined || ex?.grey !== undefined);
}

/**
 * Refuses `channels: 1` when the result would not be grey: after the last step that writes
 * grey (or from a grey input), every step must keep grey grey.
 */
export function checkGreyResult(steps: Pipeline, input: Channels): void {
  let grey = input === 1;
  let colourStep: Step | undefined;
  for (const step of steps) {
    const tone = executors[step.op]?.tone;
    if (tone === "writes-grey") grey = true;
    else if (tone === "colour") {
      grey = false;
      colourStep = step;
    }
  }
  if (grey) return;
  const why = colourStep
    ? `${colourStep.op} makes colour`
    : `the input is ${input === 3 ? "RGB" : "RGBA"} and no step writes grey`;
  throw new KernelError(
    "INVALID_IMAGE",
    `options.channels 1 needs a grey result, but ${why}; end the pipeline with a grey op (grayscale, threshold, otsu-threshold, sobel, prewitt, scharr, laplacian, canny) or ask for channels 3 or 4`,
  );
}
