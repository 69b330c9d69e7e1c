// The pipeline builder's state, without the DOM: a list of steps with their params, built from
// the op registry that GET /v1/ops serves. The text form is always produced and parsed by
// @tessera/kernels (formatPipeline / parsePipeline), so the UI and the gateway agree on it.

import { formatPipeline, ops as localOps, parsePipeline } from "@tessera/kernels";
import type { OpView } from "../../api-types.ts";

export type ParamValue = number | string | number[] | null;
export type OpParam = OpView["params"][number];

export interface BuilderStep {
  /** Stable identity for the DOM (survives reordering). */
  readonly key: number;
  readonly op: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Left out of the preview and the job, but kept in the list and the text form. */
  readonly bypassed?: boolean;
}

let nextKey = 1;
const newKey = (): number => nextKey++;

/** GET /v1/ops may answer an array or `{ ops: [...] }`; both are accepted. */
export function normalizeOps(body: unknown): OpView[] {
  const list = Array.isArray(body) ? body : (body as { ops?: unknown })?.ops;
  if (!Array.isArray(list)) throw new Error("GET /v1/ops did not return a list of ops");
  return list as OpView[];
}

/** The registry compiled into @tessera/kernels, as OpViews: the fallback when /v1/ops cannot be read. */
export function localOpViews(): OpView[] {
  return [...localOps.values()].map((op) => ({
    name: op.name,
    category: op.category,
    kind: op.kind,
    description: op.description,
    params: op.params.map((p) => ({ ...p, default: p.default as OpParam["default"] }) as OpParam),
  }));
}

export function defaultParams(op: OpView): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const p of op.params) out[p.name] = Array.isArray(p.default) ? [...p.default] : p.default;
  return out;
}

export function addStep(steps: readonly BuilderStep[], op: OpView, at = steps.length): BuilderStep[] {
  const out = [...steps];
  out.splice(at, 0, { key: newKey(), op: op.name, params: defaultParams(op) });
  return out;
}

export function removeStep(steps: readonly BuilderStep[], index: number): BuilderStep[] {
  return steps.filter((_, i) => i !== index);
}

/** Moves step `index` by `delta` places, clamped to the list. */
export function moveStep(steps: readonly BuilderStep[], index: number, delta: number): BuilderStep[] {
  const to = Math.max(0, Math.min(steps.length - 1, index + delta));
  if (to === index || index < 0 || index >= steps.length) return [...steps];
  const out = [...steps];
  const [step] = out.splice(index, 1);
  if (step) out.splice(to, 0, step);
  return out;
}

export function setParam(steps: readonly BuilderStep[], index: number, name: string, value: ParamValue): BuilderStep[] {
  return steps.map((s, i) => (i === index ? { ...s, params: { ...s.params, [name]: value } } : s));
}

/** Turns step `index`'s bypass on or off. */
export function toggleBypass(steps: readonly BuilderStep[], index: number): BuilderStep[] {
  return steps.map((s, i) => (i === index ? { ...s, bypassed: !s.bypassed } : s));
}

/** What the builder says about bypassed steps; "" when none is. */
export function bypassNoteText(steps: readonly BuilderStep[]): string {
  const off = steps.flatMap((s, i) => (s.bypassed ? [`${i + 1} (${s.op})`] : []));
  if (off.length === 0) return "";
  if (off.length === steps.length) {
    return "Every step is bypassed: the preview shows the image as it is, and there is nothing to process.";
  }
  const one = off.length === 1;
  return `${one ? "Step" : "Steps"} ${off.join(", ")} ${one ? "is" : "are"} bypassed: the preview and Process leave ${one ? "it" : "them"} out. The text form lists every step.`;
}

/** The text form of the steps that run: the bypassed ones left out. Throws like toText. */
export function toRunText(steps: readonly BuilderStep[]): string {
  return toText(steps.filter((s) => !s.bypassed));
}

/** The JSON step form that parsePipeline accepts: `[{"op":"sobel"}, ...]`. */
export function toJsonSteps(steps: readonly BuilderStep[]): Record<string, unknown>[] {
  return steps.map((s) => ({ op: s.op, ...s.params }));
}

/**
 * The text form of the steps (only params that differ from their defaults). Throws the
 * PipelineError of the first invalid step. An empty list is the empty string.
 */
export function toText(steps: readonly BuilderStep[]): string {
  if (steps.length === 0) return "";
  return formatPipeline(parsePipeline(toJsonSteps(steps)));
}

/** Parses a text (or JSON) pipeline into builder steps with every param filled in. Throws PipelineError. */
export function fromText(text: string): BuilderStep[] {
  if (text.trim() === "") return [];
  return parsePipeline(text).map((s) => ({
    key: newKey(),
    op: s.op,
    params: Object.fromEntries(Object.entries(s.params).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as Record<
      string,
      ParamValue
    >,
  }));
}

/**
 * Re-keys parsed steps so the ones that kept their op keep their DOM identity (focus survives a
 * text edit) and their bypass (the text form has no syntax for it).
 */
export function reuseKeys(previous: readonly BuilderStep[], next: readonly BuilderStep[]): BuilderStep[] {
  return next.map((s, i) => {
    const old = previous[i];
    return old && old.op === s.op ? { ...s, key: old.key, bypassed: old.bypassed ?? false } : s;
  });
}

/** Parses a kernel textarea: numbers separated by spaces, commas, semicolons or newlines; brackets allowed. */
export function parseKernelText(text: string): number[] | string {
  const cleaned = text.replace(/[[\]]/g, " ").trim();
  if (cleaned === "") return [];
  const parts = cleaned.split(/[\s,;]+/).filter((s) => s !== "");
  const values = parts.map((s) => (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s) ? Number(s) : Number.NaN));
  return values.some((v) => Number.isNaN(v)) ? text : values;
}

/** A kernel as rows of its square, for the textarea. */
export function formatKernelText(values: readonly number[]): string {
  const side = Math.round(Math.sqrt(values.length));
  if (side * side !== values.length || side === 0) return values.join(" ");
  const rows: string[] = [];
  for (let r = 0; r < side; r++) rows.push(values.slice(r * side, (r + 1) * side).join(" "));
  return rows.join("\n");
}

/** Slider granularity for a number range: a power of ten giving roughly 100–1000 positions. */
export function sliderStep(param: Pick<OpParam, "type" | "min" | "max">): number {
  if (param.type === "int") return 1;
  const span = (param.max ?? 1) - (param.min ?? 0);
  if (!(span > 0)) return 0.01;
  return 10 ** Math.floor(Math.log10(span / 100));
}

/** Rounds a slider value to its step, without binary float noise (0.30000000000000004). */
export function roundToStep(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Number((Math.round(value / step) * step).toFixed(decimals));
}
