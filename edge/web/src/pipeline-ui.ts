// The pipeline builder's DOM: an "add step" picker, one card per step with a control per param
// (param-control.ts), and the editable text form. Structural changes re-render the list; moving
// a control only updates the state, so a slider drag is never interrupted.

import type { OpView } from "../../api-types.ts";
import {
  addStep,
  type BuilderStep,
  fromText,
  moveStep,
  type ParamValue,
  removeStep,
  reuseKeys,
  setParam,
  toText,
} from "./builder.ts";
import { h } from "./dom.ts";
import { paramControl } from "./param-control.ts";

export interface PipelineElements {
  addSelect: HTMLSelectElement;
  addButton: HTMLButtonElement;
  addHelp: HTMLElement;
  list: HTMLOListElement;
  empty: HTMLElement;
  text: HTMLTextAreaElement;
  error: HTMLElement;
}

/** `text` is the valid text form, or null while the pipeline has an error (shown inline). */
export type PipelineListener = (text: string | null) => void;

const TEXT_DEBOUNCE_MS = 250;

export class PipelineEditor {
  private ops = new Map<string, OpView>();
  private steps: BuilderStep[] = [];
  private textTimer: ReturnType<typeof setTimeout> | undefined;
  private lastValid: string | null = "";

  constructor(
    private readonly el: PipelineElements,
    private readonly onChange: PipelineListener,
  ) {
    el.addButton.addEventListener("click", () => this.add());
    el.addSelect.addEventListener("change", () => this.showOpHelp());
    el.addSelect.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.add();
      }
    });
    el.text.addEventListener("input", () => {
      clearTimeout(this.textTimer);
      this.textTimer = setTimeout(() => this.applyText(), TEXT_DEBOUNCE_MS);
    });
    el.text.addEventListener("change", () => {
      clearTimeout(this.textTimer);
      this.applyText();
    });
  }

  /** The valid text form, or null while the pipeline has an error. */
  get text(): string | null {
    return this.lastValid;
  }

  setOps(list: readonly OpView[]): void {
    this.ops = new Map(list.map((op) => [op.name, op]));
    const selected = this.el.addSelect.value;
    const groups = new Map<string, OpView[]>();
    for (const op of list) groups.set(op.category, [...(groups.get(op.category) ?? []), op]);
    this.el.addSelect.replaceChildren(
      ...[...groups].map(([category, members]) =>
        h(
          "optgroup",
          { attrs: { label: category } },
          ...members.map((op) => h("option", { text: op.name, attrs: { value: op.name } })),
        ),
      ),
    );
    if (selected && this.ops.has(selected)) this.el.addSelect.value = selected;
    this.showOpHelp();
    this.render();
  }

  /** Replaces the pipeline with a text form (as if typed). */
  setText(text: string): void {
    this.el.text.value = text;
    this.applyText();
  }

  private showOpHelp(): void {
    const op = this.ops.get(this.el.addSelect.value);
    this.el.addHelp.textContent = op ? `${op.name} (${op.kind}): ${op.description}` : "";
  }

  private add(): void {
    const op = this.ops.get(this.el.addSelect.value);
    if (!op) return;
    this.steps = addStep(this.steps, op);
    this.render();
    this.sync();
    const card = this.el.list.lastElementChild;
    (card?.querySelector<HTMLElement>("input, select, textarea") ?? card?.querySelector<HTMLElement>("button"))?.focus();
  }

  private applyText(): void {
    const text = this.el.text.value;
    try {
      this.steps = reuseKeys(this.steps, fromText(text));
      this.render();
      this.showError(null);
      this.emit(text.trim() === "" ? "" : toText(this.steps));
    } catch (err) {
      this.showError((err as Error).message);
      this.emit(null);
    }
  }

  /** After a change from the controls: rewrite the text form (unless being typed in) and notify. */
  private sync(): void {
    try {
      const text = toText(this.steps);
      if (document.activeElement !== this.el.text) this.el.text.value = text;
      this.showError(null);
      this.emit(text);
    } catch (err) {
      this.showError((err as Error).message);
      this.emit(null);
    }
  }

  private emit(text: string | null): void {
    this.lastValid = text;
    this.onChange(text);
  }

  private showError(message: string | null): void {
    this.el.error.hidden = message === null;
    this.el.error.textContent = message ?? "";
    this.el.text.setAttribute("aria-invalid", message === null ? "false" : "true");
  }

  private render(): void {
    this.el.empty.hidden = this.steps.length > 0;
    this.el.list.replaceChildren(...this.steps.map((step, i) => this.renderStep(step, i)));
  }

  private renderStep(step: BuilderStep, index: number): HTMLLIElement {
    const op = this.ops.get(step.op);
    const n = index + 1;
    const last = index === this.steps.length - 1;
    const act = (action: string, label: string, symbol: string, disabled: boolean, run: () => void) =>
      h("button", {
        class: "icon",
        text: symbol,
        attrs: { type: "button", "aria-label": `${label} step ${n} (${step.op})`, title: label, "data-action": action, disabled },
        on: {
          click: () => {
            run();
            this.render();
            this.sync();
            this.refocus(step.key, action);
          },
        },
      });
    const head = h(
      "div",
      { class: "step-head" },
      h("span", { class: "step-n", text: String(n), attrs: { "aria-hidden": "true" } }),
      h("strong", { class: "step-name", text: step.op }),
      op ? h("span", { class: `kind kind-${op.kind}`, text: op.kind }) : null,
      h(
        "span",
        { class: "step-actions" },
        act("up", "Move up", "↑", index === 0, () => {
          this.steps = moveStep(this.steps, index, -1);
        }),
        act("down", "Move down", "↓", last, () => {
          this.steps = moveStep(this.steps, index, 1);
        }),
        act("remove", "Remove", "✕", false, () => {
          this.steps = removeStep(this.steps, index);
        }),
      ),
    );
    const params = (op?.params ?? []).map((p) => paramControl(step, p, (v) => this.update(step.key, p.name, v)));
    return h(
      "li",
      { class: "step", attrs: { "data-key": step.key, "aria-label": `Step ${n}: ${step.op}` } },
      head,
      op?.description ? h("p", { class: "muted small step-desc", text: op.description }) : null,
      params.length ? h("div", { class: "params" }, ...params) : null,
    );
  }

  /** After a move or removal, keep the keyboard where it was: the same button of the moved step, or a neighbour. */
  private refocus(key: number, action: string): void {
    const card = this.el.list.querySelector<HTMLElement>(`[data-key="${key}"]`);
    const target =
      card?.querySelector<HTMLButtonElement>(`button[data-action="${action}"]:not([disabled])`) ??
      card?.querySelector<HTMLButtonElement>("button:not([disabled])") ??
      this.el.list.querySelector<HTMLButtonElement>("li:last-child button[data-action='remove']") ??
      this.el.addSelect;
    target.focus();
  }

  private update(key: number, name: string, value: ParamValue): void {
    const index = this.steps.findIndex((s) => s.key === key);
    if (index < 0) return;
    this.steps = setParam(this.steps, index, name, value);
    this.sync();
  }
}
