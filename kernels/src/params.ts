// Param validation: one function checks every param of every op, so the API, the CLI and the
// UI all show the same sentence for the same mistake.

import { PipelineError } from "./errors.js";
import type { LabelsParam, OpSpec, ParamSpec, Params, ParamValue } from "./registry.js";

/** Human form of a param's allowed values, e.g. "a number between 0.3 and 50". */
export function describeAllowed(spec: ParamSpec): string {
  switch (spec.type) {
    case "int":
      return `an integer between ${spec.min} and ${spec.max}`;
    case "number":
      return `a number between ${spec.min} and ${spec.max}`;
    case "number?":
      return `a number between ${spec.min} and ${spec.max}, or left out`;
    case "enum":
      return `one of ${spec.values.map((v) => `"${v}"`).join(", ")}`;
    case "kernel":
      return `a list of 1, 9, 25, 49 or 81 numbers (an odd square up to ${spec.maxSide}×${spec.maxSide}), each between ${spec.min} and ${spec.max}`;
    case "labels":
      return `"all", or labels joined by "+" from: ${spec.values.join(", ")}`;
  }
}

const normalLabel = (label: string): string => label.trim().toLowerCase().replace(/[-_]+/g, " ").replace(/\s+/g, " ");

/** A labels param's canonical text, or undefined when `value` is not "all" or known labels. */
function labelsOf(spec: LabelsParam, value: unknown): string | undefined {
  const names = typeof value === "string" ? value.split(/[+,]/) : Array.isArray(value) ? value : undefined;
  if (!names?.every((n) => typeof n === "string")) return undefined;
  const wanted = new Set(names.map(normalLabel).filter((n) => n !== ""));
  if (wanted.size === 1 && wanted.has("all")) return "all";
  if (wanted.size === 0 || wanted.has("all") || ![...wanted].every((n) => spec.values.includes(n))) return undefined;
  return spec.values.filter((v) => wanted.has(v)).join("+");
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return value.length > 12 ? `a list of ${value.length} values` : JSON.stringify(value);
  if (typeof value === "number") return String(value);
  return value === null ? "null" : typeof value;
}

/** The one error builder: "step 2 gaussian-blur: sigma must be a number between 0.3 and 50, got 1e9 (default 1)". */
export function invalidParam(step: number, op: string, spec: ParamSpec, got: unknown): PipelineError {
  const def = spec.default === null ? "leave it out for the default" : `default ${show(spec.default)}`;
  return new PipelineError(`step ${step} ${op}: ${spec.name} must be ${describeAllowed(spec)}, got ${show(got)} (${def})`, {
    step,
    op,
    param: spec.name,
  });
}

function inRange(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= min && v <= max;
}

function checkValue(step: number, op: string, spec: ParamSpec, value: unknown): ParamValue {
  switch (spec.type) {
    case "int":
      if (inRange(value, spec.min, spec.max) && Number.isInteger(value)) return value;
      break;
    case "number":
      if (inRange(value, spec.min, spec.max)) return value;
      break;
    case "number?":
      if (value === null || value === undefined) return null;
      if (inRange(value, spec.min, spec.max)) return value;
      break;
    case "enum":
      if (typeof value === "string" && spec.values.includes(value)) return value;
      // JSON steps may say `"nonmax": true` for a yes/no enum: the same value as the text `nonmax=true`.
      if (typeof value === "boolean" && spec.values.includes(String(value))) return String(value);
      break;
    case "labels": {
      const labels = labelsOf(spec, value);
      if (labels !== undefined) return labels;
      break;
    }
    case "kernel": {
      if (!Array.isArray(value)) break;
      const side = Math.sqrt(value.length);
      const squareOdd = Number.isInteger(side) && side % 2 === 1 && side <= spec.maxSide;
      if (squareOdd && value.every((v) => inRange(v, spec.min, spec.max))) return Object.freeze([...value]);
      break;
    }
  }
  throw invalidParam(step, op, spec, value);
}

/**
 * Checks `given` against the op's params and returns a complete, frozen param object with
 * defaults filled in. Unknown params are errors (a typo must not be silently ignored).
 */
export function resolveParams(step: number, op: OpSpec, given: Readonly<Record<string, unknown>>): Params {
  for (const name of Object.keys(given)) {
    if (!op.params.some((p) => p.name === name)) {
      const known = op.params.map((p) => p.name);
      const hint = known.length === 0 ? `${op.name} takes no params` : `${op.name} takes ${known.join(", ")}`;
      throw new PipelineError(`step ${step} ${op.name}: unknown param "${name}"; ${hint}`, { step, op: op.name, param: name });
    }
  }
  const out: Record<string, ParamValue> = {};
  for (const spec of op.params) {
    const value = Object.hasOwn(given, spec.name) ? given[spec.name] : spec.default;
    out[spec.name] = checkValue(step, op.name, spec, value);
  }
  const problem = op.check?.(out);
  if (problem) throw new PipelineError(`step ${step} ${op.name}: ${problem}`, { step, op: op.name });
  return Object.freeze(out);
}
