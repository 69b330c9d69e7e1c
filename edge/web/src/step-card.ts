// One step's card in the pipeline builder: a drag handle, its number, op and kind, the bypass,
// move and remove buttons, and a control per param (param-control.ts).

import type { OpView } from "../../api-types.ts";
import type { BuilderStep, ParamValue } from "./builder.ts";
import { h } from "./dom.ts";
import { paramControl } from "./param-control.ts";

export type StepAction = "bypass" | "up" | "down" | "remove";

export interface StepCardInput {
  step: BuilderStep;
  index: number;
  /** How many steps the list has (the last one cannot move down). */
  count: number;
  /** The step's op from the registry; undefined for an op the gateway does not know. */
  op: OpView | undefined;
}

export function stepCard(
  { step, index, count, op }: StepCardInput,
  onAction: (action: StepAction) => void,
  onParam: (name: string, value: ParamValue) => void,
): HTMLLIElement {
  const n = index + 1;
  const button = (action: StepAction, label: string, symbol: string, disabled: boolean, attrs: Record<string, string> = {}) =>
    h("button", {
      class: `icon act-${action}`,
      text: symbol,
      attrs: {
        type: "button",
        "aria-label": `${label} step ${n} (${step.op})`,
        title: label,
        "data-action": action,
        disabled,
        ...attrs,
      },
      on: { click: () => onAction(action) },
    });
  const head = h(
    "div",
    { class: "step-head" },
    // Mouse and touch only: the ↑ ↓ buttons do the same from the keyboard.
    h("span", { class: "drag-handle", text: "⠿", attrs: { "aria-hidden": "true", title: "Drag to reorder" } }),
    h("span", { class: "step-n", text: String(n), attrs: { "aria-hidden": "true" } }),
    h("strong", { class: "step-name", text: step.op }),
    op ? h("span", { class: `kind kind-${op.kind}`, text: op.kind }) : null,
    step.bypassed ? h("span", { class: "kind kind-bypassed", text: "bypassed" }) : null,
    h(
      "span",
      { class: "step-actions" },
      button("bypass", "Bypass", "⊘", false, { "aria-pressed": step.bypassed ? "true" : "false" }),
      button("up", "Move up", "↑", index === 0),
      button("down", "Move down", "↓", index === count - 1),
      button("remove", "Remove", "✕", false),
    ),
  );
  const params = (op?.params ?? []).map((p) => paramControl(step, p, (v) => onParam(p.name, v)));
  return h(
    "li",
    {
      class: step.bypassed ? "step bypassed" : "step",
      attrs: { "data-key": step.key, "aria-label": `Step ${n}: ${step.op}${step.bypassed ? " (bypassed)" : ""}` },
    },
    head,
    op?.description ? h("p", { class: "muted small step-desc", text: op.description }) : null,
    params.length ? h("div", { class: "params" }, ...params) : null,
  );
}
