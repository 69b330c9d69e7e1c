// The control of one param on a step's card, by the param's type: a select for an enum, a
// textarea for a kernel matrix, a number field that may be left empty for an optional number,
// and a slider with a number field beside it for the rest. Each control reports every change
// through `set` and never re-renders itself, so a slider drag is never interrupted.

import {
  type BuilderStep,
  formatKernelText,
  type OpParam,
  type ParamValue,
  parseKernelText,
  roundToStep,
  sliderStep,
} from "./builder.ts";
import { h, uid } from "./dom.ts";

/** The labelled control of param `p` of `step`, with its help line; `set` receives each new value. */
export function paramControl(step: BuilderStep, p: OpParam, set: (value: ParamValue) => void): HTMLElement {
  const id = uid(`p-${step.key}-${p.name}`);
  const value = step.params[p.name] ?? null;
  const describe = uid("d");
  const help = h("span", { class: "muted small", attrs: { id: describe }, text: paramHelp(p) });
  const label = h("label", { attrs: { for: id }, text: p.name });

  if (p.type === "enum") {
    const select = h(
      "select",
      { attrs: { id, "aria-describedby": describe }, on: { change: () => set(select.value) } },
      ...(p.values ?? []).map((v) => h("option", { text: v, attrs: { value: v } })),
    );
    select.value = String(value);
    return h("div", { class: "param" }, label, select, help);
  }
  if (p.type === "labels") {
    // "all", or labels joined by "+": free text, checked by the parser like any param.
    const input = h("input", {
      attrs: { id, type: "text", spellcheck: "false", "aria-describedby": describe },
      on: { input: () => set(input.value) },
    });
    input.value = String(value ?? "all");
    return h("div", { class: "param param-wide" }, label, input, help);
  }
  if (p.type === "kernel") {
    const area = h("textarea", {
      class: "mono",
      attrs: { id, rows: 3, spellcheck: "false", "aria-describedby": describe },
      on: { input: () => set(parseKernelText(area.value)) },
    });
    area.value = Array.isArray(value) ? formatKernelText(value) : String(value ?? "");
    return h("div", { class: "param param-wide" }, label, area, help);
  }
  if (p.type === "number?") {
    const input = h("input", {
      attrs: { id, type: "number", step: "any", min: p.min, max: p.max, placeholder: "auto", "aria-describedby": describe },
      on: {
        input: () => {
          if (input.value.trim() === "") set(null);
          else if (Number.isFinite(input.valueAsNumber)) set(input.valueAsNumber);
        },
      },
    });
    input.value = typeof value === "number" ? String(value) : "";
    return h("div", { class: "param" }, label, input, help);
  }
  // int or number: a slider and a number field that follow each other
  const step1 = sliderStep(p);
  const min = p.min ?? 0;
  const max = p.max ?? 100;
  const range = h("input", {
    attrs: { id, type: "range", min, max, step: step1, "aria-describedby": describe },
  });
  const field = h("input", {
    class: "num",
    attrs: {
      type: "number",
      min,
      max,
      step: p.type === "int" ? 1 : "any",
      "aria-label": `${p.name} value`,
      "aria-describedby": describe,
    },
  });
  range.value = String(value);
  field.value = String(value);
  range.addEventListener("input", () => {
    const v = p.type === "int" ? Math.round(range.valueAsNumber) : roundToStep(range.valueAsNumber, step1);
    field.value = String(v);
    set(v);
  });
  field.addEventListener("input", () => {
    if (field.value.trim() === "" || !Number.isFinite(field.valueAsNumber)) return;
    const v = field.valueAsNumber;
    if (v >= min && v <= max) range.value = String(v);
    set(v); // out of range or not an integer: the kernels' message says so, inline
  });
  return h("div", { class: "param" }, label, h("div", { class: "slider" }, range, field), help);
}

function paramHelp(p: OpParam): string {
  const range = p.min !== undefined && p.max !== undefined && p.type !== "enum" ? `${p.min}…${p.max}` : "";
  const def =
    p.default === null
      ? "default: auto"
      : `default ${Array.isArray(p.default) ? `[${p.default.join(", ")}]` : String(p.default)}`;
  return [p.description, range, def].filter(Boolean).join(" · ");
}
