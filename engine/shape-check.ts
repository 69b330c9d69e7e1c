/**
 * Checks that an untrusted value (a queue message's body) has the shape a type promises, and
 * says where it does not: `stage: expected an integer ≥ 0, got "first"`.
 *
 * Why not zod, which checks the API's bodies and stored manifests: every worker reads every
 * message through these checks, `tessera process` included, and loading zod costs a one-shot
 * process ~50 ms of the 150 ms start-up budget (bench:scale, "Start-up"). The messages need
 * only these few checks. Like zod's `object`, keys a shape does not name are let through.
 */

/** Adds what is wrong with `value` (found at `path`) to `problems`; adds nothing when it fits. */
export type Check = (value: unknown, path: string, problems: string[]) => void;

const describe = (value: unknown): string =>
  value === undefined
    ? "nothing"
    : typeof value === "string"
      ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
      : Array.isArray(value)
        ? "an array"
        : value === null || typeof value !== "object"
          ? String(value)
          : "an object";

const expect = (path: string, what: string, value: unknown): string =>
  `${path || "(body)"}: expected ${what}, got ${describe(value)}`;

/** A finite number at least `min`; an integer when `integer` is set. */
export const number =
  (min: number, integer: boolean): Check =>
  (v, path, problems) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
      problems.push(expect(path, `${integer ? "an integer" : "a number"} ≥ ${min}`, v));
  };

/** A count: an integer ≥ 0. */
export const count: Check = number(0, true);

/** A string, at least `minLength` long. */
export const string =
  (minLength = 0): Check =>
  (v, path, problems) => {
    if (typeof v !== "string" || v.length < minLength)
      problems.push(expect(path, minLength > 0 ? "a non-empty string" : "a string", v));
  };

export const boolean: Check = (v, path, problems) => {
  if (typeof v !== "boolean") problems.push(expect(path, "true or false", v));
};

/** One of the given values. */
export const oneOf =
  (values: readonly unknown[]): Check =>
  (v, path, problems) => {
    if (!values.includes(v)) problems.push(expect(path, `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, v));
  };

/** Absent, or what `check` accepts. */
export const optional =
  (check: Check): Check =>
  (v, path, problems) => {
    if (v !== undefined) check(v, path, problems);
  };

/** An array whose every item `item` accepts. */
export const arrayOf =
  (item: Check): Check =>
  (v, path, problems) => {
    if (!Array.isArray(v)) problems.push(expect(path, "an array", v));
    else for (const [i, x] of v.entries()) item(x, `${path}.${i}`, problems);
  };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An object whose named keys `fields` accept; other keys are let through. */
export const object =
  (fields: Record<string, Check>): Check =>
  (v, path, problems) => {
    if (!isRecord(v)) {
      problems.push(expect(path, "an object", v));
      return;
    }
    for (const [key, check] of Object.entries(fields)) check(v[key], path ? `${path}.${key}` : key, problems);
  };

/** An object whose `kind` picks the shape it must have. */
export const byKind =
  (shapes: Record<string, Check>): Check =>
  (v, path, problems) => {
    const kind = isRecord(v) ? v.kind : undefined;
    const shape = typeof kind === "string" && Object.hasOwn(shapes, kind) ? shapes[kind] : undefined;
    if (shape) shape(v, path, problems);
    else oneOf(Object.keys(shapes))(kind, path ? `${path}.kind` : "kind", problems);
  };

/** What is wrong with `value`, the first `max` problems on one line; undefined when nothing is. */
export function shapeProblem(check: Check, value: unknown, max = 3): string | undefined {
  const problems: string[] = [];
  check(value, "", problems);
  if (problems.length === 0) return undefined;
  const more = problems.length > max ? `; and ${problems.length - max} more` : "";
  return `${problems.slice(0, max).join("; ")}${more}`.slice(0, 1000);
}
