/**
 * The op registry: the single source of truth for op names, params, ranges, defaults, the
 * halo each op needs and whether it is a point, local or global op. The gateway's validation,
 * the UI's controls, the CLI and the docs are all generated from this table.
 * Names and params are public API: add, never rename.
 *
 * This module holds the shapes (OpSpec, ParamSpec) and the lookup; the ops themselves are
 * defined in op-definitions.ts, one entry each, in documentation order.
 */

import { analysisDefinitions } from "./analysis/definitions.js";
import { opDefinitions } from "./op-definitions.js";

/** `analysis`: returns data instead of an image; the last step of a pipeline (analysis/definitions.ts). */
export type OpKind = "point" | "local" | "global" | "analysis";
export type OpCategory = "blur" | "edge" | "colour" | "tone" | "threshold" | "analysis";

interface ParamBase {
  name: string;
  description: string;
}
export interface IntParam extends ParamBase {
  type: "int";
  min: number;
  max: number;
  default: number;
}
export interface NumberParam extends ParamBase {
  type: "number";
  min: number;
  max: number;
  default: number;
}
export interface EnumParam extends ParamBase {
  type: "enum";
  values: readonly string[];
  default: string;
}
/** An odd square matrix, row-major; `maxSide` bounds its side, values bound by min/max. */
export interface KernelParam extends ParamBase {
  type: "kernel";
  maxSide: number;
  min: number;
  max: number;
  default: readonly number[];
}
/** A number that may be left out; the op then derives it (convolve's divisor). */
export interface OptionalNumberParam extends ParamBase {
  type: "number?";
  min: number;
  max: number;
  default: null;
}
/**
 * Labels from a fixed vocabulary (`values`): "all", or one or more joined by "+" (a JSON list
 * too). Case, "-" and "_" for spaces are forgiven; the value is kept as its canonical text,
 * the labels in vocabulary order joined by "+", so equal requests are equal params.
 */
export interface LabelsParam extends ParamBase {
  type: "labels";
  values: readonly string[];
  default: "all";
}
export type ParamSpec = IntParam | NumberParam | EnumParam | KernelParam | OptionalNumberParam | LabelsParam;
export type ParamValue = number | string | readonly number[] | null;
export type Params = Readonly<Record<string, ParamValue>>;

export interface OpSpec {
  name: string;
  category: OpCategory;
  kind: OpKind;
  description: string;
  params: readonly ParamSpec[];
  /** Halo in pixels the op reads around each output pixel (for global ops: of its local part). */
  radius(params: Params): number;
  /** Cross-param rules that ranges alone cannot say; returns a message or null. */
  check?(params: Params): string | null;
}

/** Every op by name. Iteration order is the documentation order. */
export const ops: ReadonlyMap<string, OpSpec> = new Map([...opDefinitions, ...analysisDefinitions].map((op) => [op.name, op]));

export function getOp(name: string): OpSpec | undefined {
  return ops.get(name);
}
