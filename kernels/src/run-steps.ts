// Running a parsed pipeline on an RGBA image in wasm memory: steps grouped by fuse(), each
// group run from one buffer into the other, ping-ponging between A and B.

import { KernelError } from "./errors.js";
import { executors, runResolved } from "./exec.js";
import type { Pipeline, Step } from "./pipeline.js";
import type { Heap } from "./wasm.js";

/**
 * Groups steps for execution: runs of two or more per-channel table ops become one group
 * (one pass over the pixels instead of several, byte-identical since each table is exact);
 * every other step is its own group.
 */
export function fuse(steps: Pipeline): Step[][] {
  const groups: Step[][] = [];
  for (const step of steps) {
    const last = groups[groups.length - 1];
    const tableOp = executors[step.op]?.lut !== undefined;
    if (tableOp && last && executors[last[0]?.op ?? ""]?.lut !== undefined) last.push(step);
    else groups.push([step]);
  }
  return groups;
}

/** Runs every step on the w×h image at `a`, ping-ponging between A and B; returns the result's offset. */
export function runSteps(heap: Heap, steps: Pipeline, a: number, b: number, scratch: number, w: number, h: number): number {
  let src = a;
  let dst = b;
  for (const group of fuse(steps)) {
    heap.wasm.scratchReset(scratch);
    runGroup(heap, group, src, dst, w, h);
    [src, dst] = [dst, src];
  }
  return src;
}

/** One group of fuse() on RGBA: a resolved global step, a single step or a fused table. */
export function runGroup(heap: Heap, group: readonly Step[], src: number, dst: number, w: number, h: number): void {
  guard(group, w, h, () => {
    const step = group[0] as Step;
    if (step.resolution) {
      runResolved(heap, step, src, dst, w, h);
    } else if (group.length === 1) {
      executors[step.op]?.run(heap, step.params, src, dst, w, h);
    } else {
      const table = heap.take(256);
      heap.u8.set(composedTable(heap, group), table);
      heap.wasm.applyLut(src, dst, w * h, table);
    }
  });
}

/** Runs `body`, turning anything but a KernelError into KERNEL_FAILED naming the steps. */
export function guard(group: readonly Step[], w: number, h: number, body: () => void): void {
  try {
    body();
  } catch (cause) {
    if (cause instanceof KernelError) throw cause;
    const names = group.map((s) => s.op).join(" | ");
    throw new KernelError("KERNEL_FAILED", `kernel ${names} failed on a ${w}×${h} image: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** The group's per-channel tables composed into one (a single pass instead of several). */
export function composedTable(heap: Heap, group: readonly Step[]): Uint8Array {
  const next = heap.take(256);
  let composed = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (const step of group) {
    executors[step.op]?.lut?.(heap, step.params, next);
    const t = heap.u8.slice(next, next + 256);
    composed = composed.map((v) => t[v] ?? v);
  }
  return composed;
}
