// What the page remembers of a pipeline: its text form (every step, in the CLI's syntax) and
// which steps are bypassed. The URL, the last session, presets and undo all hold this, so a
// pipeline comes back exactly as it was left, bypasses included, though the syntax has none.

import { type BuilderStep, fromText, toText } from "./builder.ts";

export interface PipelineSnapshot {
  /** The text form of every step, bypassed ones included ("" for no steps). */
  readonly text: string;
  /** 0-based indexes of the bypassed steps, ascending. */
  readonly bypassed: readonly number[];
}

/** The snapshot of builder steps. Throws the PipelineError of an invalid step, like toText. */
export function snapshotOf(steps: readonly BuilderStep[]): PipelineSnapshot {
  return { text: toText(steps), bypassed: steps.flatMap((s, i) => (s.bypassed ? [i] : [])) };
}

/** Builder steps from a snapshot; bypass indexes past the last step are ignored. Throws PipelineError. */
export function stepsOf(snapshot: PipelineSnapshot): BuilderStep[] {
  const bypassed = new Set(snapshot.bypassed);
  return fromText(snapshot.text).map((s, i) => (bypassed.has(i) ? { ...s, bypassed: true } : s));
}

export function sameSnapshot(a: PipelineSnapshot | null, b: PipelineSnapshot | null): boolean {
  if (a === null || b === null) return a === b;
  return a.text === b.text && a.bypassed.length === b.bypassed.length && a.bypassed.every((v, i) => v === b.bypassed[i]);
}

/** Checks a snapshot read back from storage (another version of the page, or a hand edit, may have written it). */
export function asSnapshot(value: unknown): PipelineSnapshot | null {
  const v = value as { text?: unknown; bypassed?: unknown } | null;
  if (typeof v?.text !== "string") return null;
  const bypassed = Array.isArray(v.bypassed) ? v.bypassed.filter((n): n is number => Number.isInteger(n) && n >= 0) : [];
  return { text: v.text, bypassed: [...new Set(bypassed)].sort((a, b) => a - b) };
}

/** "2, 3" for the 1-based step numbers a person reads (the URL's `bypass` parameter holds the same). */
export function stepNumbers(bypassed: readonly number[]): string {
  return bypassed.map((i) => i + 1).join(",");
}

/** The inverse of stepNumbers; anything that is not a positive integer is skipped. */
export function parseStepNumbers(text: string): number[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => /^[1-9]\d*$/.test(s))
    .map((s) => Number(s) - 1);
}
