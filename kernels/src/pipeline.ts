// Pipelines: the text form `gaussian-blur(sigma=2) | sobel` and the JSON form
// `[{"op":"gaussian-blur","sigma":2},{"op":"sobel"}]` both parse to the same Step list.

import { PipelineError } from "./errors.js";
import { resolveParams } from "./params.js";
import { ops, type Params } from "./registry.js";

export interface Step {
  readonly op: string;
  readonly params: Params;
  /**
   * Set only on global steps that the engine has resolved for tiled execution (see
   * global.ts): the step then runs tile by tile like a point or local op.
   */
  readonly resolution?: Resolution;
}

/**
 * What a global step became once its whole-image reduction is known:
 * - `table`: equalize / normalize as a 256-entry table on R, G, B (from the summed histogram);
 * - `threshold`: otsu-threshold as "luma S ≥ minLuma";
 * - `canny-classify`: canny's local phase only (none/weak/strong classes); the hysteresis
 *   that follows needs the whole class map and runs separately (`Kernels.hysteresis`).
 */
export type Resolution =
  | { readonly kind: "table"; readonly table: readonly number[] }
  | { readonly kind: "threshold"; readonly minLuma: number }
  | { readonly kind: "canny-classify" };
export type Pipeline = readonly Step[];

/** The longest pipeline accepted; a guard against pathological input, not a tuning knob. */
export const MAX_STEPS = 256;

/** Anything `parsePipeline` accepts: text, JSON text, a JSON step array, or parsed steps. */
export type PipelineInput = string | readonly unknown[];

/**
 * Parses and validates a pipeline. Throws a PipelineError naming the step, the param, the
 * allowed range and the fix.
 */
export function parsePipeline(input: PipelineInput): Pipeline {
  if (typeof input === "string") {
    const text = input.trim();
    if (text.startsWith("[")) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new PipelineError(`pipeline JSON is malformed: ${(err as Error).message}`);
      }
      return analysisLast(fromJson(json));
    }
    return analysisLast(fromText(text));
  }
  return analysisLast(fromJson(input));
}

/**
 * An analysis op returns data, not an image: nothing can follow it, so it must be the last
 * step (image ops may come before it).
 */
function analysisLast(steps: Pipeline): Pipeline {
  const at = steps.findIndex((s, i) => i < steps.length - 1 && ops.get(s.op)?.kind === "analysis");
  if (at < 0) return steps;
  const op = steps[at]?.op ?? "";
  const next = steps[at + 1]?.op ?? "";
  throw new PipelineError(
    `step ${at + 1} ${op}: ${op} is an analysis op (it returns data, not an image), so it must be the last step, but step ${at + 2} ${next} follows it; move ${op} to the end`,
    { step: at + 1, op },
  );
}

function checkLength(n: number): void {
  if (n === 0) throw new PipelineError('pipeline is empty; give at least one step, e.g. "gaussian-blur(sigma=2)"');
  if (n > MAX_STEPS) throw new PipelineError(`pipeline has ${n} steps; at most ${MAX_STEPS} are allowed`);
}

function makeStep(index: number, name: unknown, given: Readonly<Record<string, unknown>>): Step {
  const step = index + 1;
  if (typeof name !== "string" || name === "") {
    throw new PipelineError(`step ${step}: missing op name; each step needs "op", e.g. {"op":"sobel"}`, { step });
  }
  const op = ops.get(name);
  if (!op) {
    const near = closestOp(name);
    const hint = near ? `did you mean "${near}"? ` : "";
    throw new PipelineError(`step ${step}: unknown op "${name}"; ${hint}GET /v1/ops or \`tessera ops\` lists them`, {
      step,
      op: name,
    });
  }
  return Object.freeze({ op: op.name, params: resolveParams(step, op, given) });
}

function fromJson(json: unknown): Pipeline {
  if (!Array.isArray(json)) throw new PipelineError('pipeline JSON must be an array of steps, e.g. [{"op":"sobel"}]');
  checkLength(json.length);
  return Object.freeze(
    json.map((raw, i) => {
      if (raw && typeof raw === "object" && "op" in raw && "params" in raw && typeof raw.params === "object") {
        // Already-parsed Step objects (for example from another parsePipeline call).
        const step = makeStep(i, raw.op, (raw.params ?? {}) as Record<string, unknown>);
        const resolution = "resolution" in raw ? checkResolution(i + 1, step.op, raw.resolution) : undefined;
        return resolution ? Object.freeze({ ...step, resolution }) : step;
      }
      if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
        throw new PipelineError(`step ${i + 1}: must be an object like {"op":"sobel"}, got ${JSON.stringify(raw)}`, {
          step: i + 1,
        });
      }
      const { op, ...params } = raw as Record<string, unknown>;
      return makeStep(i, op, params);
    }),
  );
}

const RESOLUTION_FOR: Readonly<Record<string, Resolution["kind"]>> = {
  equalize: "table",
  normalize: "table",
  "otsu-threshold": "threshold",
  canny: "canny-classify",
};

function checkResolution(step: number, op: string, r: unknown): Resolution | undefined {
  if (r === undefined) return undefined;
  const res = r as Resolution;
  const ok =
    !!res &&
    RESOLUTION_FOR[op] === res.kind &&
    (res.kind !== "table" ||
      (Array.isArray(res.table) &&
        res.table.length === 256 &&
        res.table.every((v) => Number.isInteger(v) && v >= 0 && v <= 255))) &&
    (res.kind !== "threshold" || Number.isInteger(res.minLuma));
  if (!ok) {
    throw new PipelineError(`step ${step} ${op}: resolution ${JSON.stringify(r)?.slice(0, 80)} does not fit this op`, {
      step,
      op,
    });
  }
  return Object.freeze(res);
}

// ─── text form ──────────────────────────────────────────────────────────────────────────────

const NAME = /^[a-z][a-z0-9-]*$/;

function fromText(text: string): Pipeline {
  const parts = splitTop(text, "|");
  checkLength(parts.length === 1 && parts[0]?.trim() === "" ? 0 : parts.length);
  return Object.freeze(parts.map((part, i) => parseStepText(part.trim(), i)));
}

function parseStepText(part: string, index: number): Step {
  const step = index + 1;
  const open = part.indexOf("(");
  const name = (open < 0 ? part : part.slice(0, open)).trim();
  if (!NAME.test(name)) {
    throw new PipelineError(`step ${step}: "${part}" is not a step; write name or name(param=value, ...)`, { step });
  }
  const given: Record<string, unknown> = {};
  if (open >= 0) {
    if (!part.endsWith(")"))
      throw new PipelineError(`step ${step} ${name}: missing ")" at the end of "${part}"`, { step, op: name });
    const inner = part.slice(open + 1, -1).trim();
    for (const assignment of inner === "" ? [] : splitTop(inner, ",")) {
      const eq = assignment.indexOf("=");
      const key = assignment.slice(0, eq).trim();
      if (eq < 0 || !NAME.test(key)) {
        throw new PipelineError(`step ${step} ${name}: "${assignment.trim()}" is not param=value`, { step, op: name });
      }
      given[key] = parseValue(assignment.slice(eq + 1).trim());
    }
  }
  return makeStep(index, name, given);
}

/** number, [n, n, ...], or a bare word (enum value). Anything else is kept as a string. */
function parseValue(text: string): unknown {
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) return text;
    const inner = text.slice(1, -1).trim();
    return inner === "" ? [] : inner.split(",").map((s) => parseNumber(s.trim()) ?? s.trim());
  }
  return parseNumber(text) ?? text.replace(/^"(.*)"$/, "$1");
}

function parseNumber(text: string): number | undefined {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) && !/^[-+]?(Infinity|NaN)$/.test(text)) return undefined;
  return Number(text);
}

/** Splits on `sep` outside brackets and parentheses. */
function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** The text form of a pipeline, params that differ from their defaults only. */
export function formatPipeline(pipeline: Pipeline): string {
  return pipeline
    .map((s) => {
      const spec = ops.get(s.op);
      const args = (spec?.params ?? [])
        .filter((p) => s.params[p.name] !== null && JSON.stringify(s.params[p.name]) !== JSON.stringify(p.default))
        .map((p) => {
          const v = s.params[p.name];
          return `${p.name}=${Array.isArray(v) ? `[${v.join(",")}]` : String(v)}`;
        });
      return args.length ? `${s.op}(${args.join(", ")})` : s.op;
    })
    .join(" | ");
}

function closestOp(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3; // suggest only near misses
  for (const candidate of ops.keys()) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
