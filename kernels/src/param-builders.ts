// Shorthands for the params of op definitions (op-definitions.ts, analysis/definitions.ts).

import type { EnumParam, IntParam, NumberParam } from "./registry.js";

/** The radius of an op that reads no neighbours. */
export const none = (): number => 0;

export const int = (name: string, min: number, max: number, def: number, description: string): IntParam => ({
  name,
  type: "int",
  min,
  max,
  default: def,
  description,
});

export const number = (name: string, min: number, max: number, def: number, description: string): NumberParam => ({
  name,
  type: "number",
  min,
  max,
  default: def,
  description,
});

export const choice = (name: string, values: readonly string[], def: string, description: string): EnumParam => ({
  name,
  type: "enum",
  values,
  default: def,
  description,
});
