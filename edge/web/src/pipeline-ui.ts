// The pipeline builder's DOM: a searchable "add step" picker, one card per step with a control per
// param (param-control.ts), and the editable text form. Structural changes re-render the list;
// moving a control only updates the state, so a slider drag is never interrupted. Each change is
// reported with the pipeline that runs (bypassed steps left out) and a snapshot of the whole
// pipeline, which the page keeps in the URL, localStorage and the undo history.

import type { OpView } from "../../api-types.ts";
import { localKind, moveKeepingAnalysisLast, placeStep } from "./analysis-steps.ts";
import {
  type BuilderStep,
  bypassNoteText,
  fromText,
  type ParamValue,
  removeStep,
  reuseKeys,
  setParam,
  toggleBypass,
  toRunText,
} from "./builder.ts";
import { h } from "./dom.ts";
import { searchOps } from "./op-search.ts";
import { type PipelineSnapshot, snapshotOf, stepsOf } from "./pipeline-snapshot.ts";
import { type StepAction, stepCard } from "./step-card.ts";
import { watchStepDrag } from "./step-drag.ts";

export interface PipelineElements {
  search: HTMLInputElement;
  addSelect: HTMLSelectElement;
  addButton: HTMLButtonElement;
  addHelp: HTMLElement;
  list: HTMLOListElement;
  empty: HTMLElement;
  text: HTMLTextAreaElement;
  error: HTMLElement;
  bypassNote: HTMLElement;
  /** Says why an add or a move did something other than asked (the analysis op stays last). */
  builderNote: HTMLElement;
}

export interface PipelineChange {
  /** The text form of the steps that run (bypassed ones left out); null while the pipeline has an error. */
  run: string | null;
  /** The whole pipeline, to remember; null while it has an error. */
  snapshot: PipelineSnapshot | null;
  /** What changed, so that undo merges a burst ("param:<step>:<name>", "text"); null for a one-off edit. */
  group: string | null;
  /** True for restore() (undo, redo, a preset, an import, the page loading): not an edit to record. */
  restored: boolean;
}

export type PipelineListener = (change: PipelineChange) => void;

const TEXT_DEBOUNCE_MS = 250;

export class PipelineEditor {
  private ops = new Map<string, OpView>();
  private opList: readonly OpView[] = [];
  private steps: BuilderStep[] = [];
  private textTimer: ReturnType<typeof setTimeout> | undefined;
  private lastRun: string | null = "";
  private lastSnapshot: PipelineSnapshot | null = { text: "", bypassed: [] };

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
    el.search.addEventListener("input", () => this.renderOpOptions());
    el.search.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !(e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.add();
      } else if (e.key === "Escape" && el.search.value !== "") {
        e.preventDefault();
        el.search.value = "";
        this.renderOpOptions();
      }
    });
    el.text.addEventListener("input", () => {
      clearTimeout(this.textTimer);
      this.textTimer = setTimeout(() => this.applyText(), TEXT_DEBOUNCE_MS);
    });
    el.text.addEventListener("change", () => this.flushText());
    watchStepDrag(el.list, (from, to) => {
      const refused = from !== to && this.move(from, to);
      this.render();
      if (from !== to && !refused) this.sync(null);
    });
  }

  /** The text form of the steps that run, or null while the pipeline has an error. */
  get text(): string | null {
    return this.lastRun;
  }

  /**
   * What runs up to and including step `index` (bypassed steps left out): the pipeline whose output
   * that step's thumbnail shows. Null while the pipeline has an error or past its end.
   */
  runTextUpTo(index: number): string | null {
    if (this.lastRun === null || index < 0 || index >= this.steps.length) return null;
    return toRunText(this.steps.slice(0, index + 1));
  }

  /** The op of step `index`. */
  opAt(index: number): string | undefined {
    return this.steps[index]?.op;
  }

  /** The whole pipeline (bypassed steps included), or null while it has an error. */
  get snapshot(): PipelineSnapshot | null {
    return this.lastSnapshot;
  }

  setOps(list: readonly OpView[]): void {
    this.opList = list;
    this.ops = new Map(list.map((op) => [op.name, op]));
    this.renderOpOptions();
    this.render();
  }

  /** Replaces the pipeline with a text form (as if typed). */
  setText(text: string): void {
    this.el.text.value = text;
    this.applyText();
  }

  /** Replaces the whole pipeline (undo, redo, a preset, an import). Throws PipelineError if its text is invalid. */
  restore(snapshot: PipelineSnapshot): void {
    clearTimeout(this.textTimer);
    this.steps = stepsOf(snapshot);
    this.render();
    this.sync(null, true, true);
  }

  /** Parses text typed but not yet parsed (the 250 ms pause), so what is shown is what runs. */
  flushText(): void {
    if (this.textTimer === undefined) return;
    clearTimeout(this.textTimer);
    this.applyText();
  }

  private renderOpOptions(): void {
    const query = this.el.search.value;
    const selected = this.el.addSelect.value;
    const hits = searchOps(this.opList, query);
    const option = (op: OpView) => h("option", { text: op.name, attrs: { value: op.name } });
    if (hits.length === 0) {
      this.el.addSelect.replaceChildren(h("option", { text: `No op matches “${query.trim()}”`, attrs: { value: "" } }));
    } else if (query.trim() !== "") {
      // Ranked, best first: the first is selected, so Enter in the search adds it.
      this.el.addSelect.replaceChildren(...hits.map(option));
    } else {
      const groups = new Map<string, OpView[]>();
      for (const op of hits) groups.set(op.category, [...(groups.get(op.category) ?? []), op]);
      this.el.addSelect.replaceChildren(
        ...[...groups].map(([category, members]) => h("optgroup", { attrs: { label: category } }, ...members.map(option))),
      );
      if (selected && this.ops.has(selected)) this.el.addSelect.value = selected;
    }
    this.el.addButton.disabled = hits.length === 0;
    this.showOpHelp();
  }

  private showOpHelp(): void {
    const op = this.ops.get(this.el.addSelect.value);
    this.el.addHelp.textContent = op ? `${op.name} (${op.kind}): ${op.description}` : "";
  }

  private add(): void {
    const op = this.ops.get(this.el.addSelect.value);
    if (!op) return;
    const placed = placeStep(this.steps, op, this.kindOf);
    this.steps = placed.steps;
    this.render();
    this.sync(null);
    this.say(placed.note);
    const card = this.el.list.children[placed.index];
    (card?.querySelector<HTMLElement>("input, select, textarea") ?? card?.querySelector<HTMLElement>("button"))?.focus();
  }

  private applyText(): void {
    this.textTimer = undefined;
    const text = this.el.text.value;
    try {
      this.steps = reuseKeys(this.steps, fromText(text));
      this.render();
      this.sync("text", false);
    } catch (err) {
      this.showError((err as Error).message);
      this.emit(null, null, "text", false);
    }
  }

  /**
   * After a change: rewrite the text form (unless it is being typed in, or `rewrite` says not to)
   * and notify. `group` names a burst for undo; `restored` marks a change that is not an edit.
   */
  private sync(group: string | null, rewrite = true, restored = false): void {
    this.say(null);
    try {
      const snapshot = snapshotOf(this.steps);
      const run = toRunText(this.steps);
      if (rewrite && (restored || document.activeElement !== this.el.text)) this.el.text.value = snapshot.text;
      this.showError(null);
      this.emit(run, snapshot, group, restored);
    } catch (err) {
      this.showError((err as Error).message);
      this.emit(null, null, group, restored);
    }
  }

  private emit(run: string | null, snapshot: PipelineSnapshot | null, group: string | null, restored: boolean): void {
    this.lastRun = run;
    this.lastSnapshot = snapshot;
    this.showBypassNote();
    this.onChange({ run, snapshot, group, restored });
  }

  private showError(message: string | null): void {
    this.el.error.hidden = message === null;
    this.el.error.textContent = message ?? "";
    this.el.text.setAttribute("aria-invalid", message === null ? "false" : "true");
  }

  private showBypassNote(): void {
    const note = bypassNoteText(this.steps);
    this.el.bypassNote.hidden = note === "";
    this.el.bypassNote.textContent = note;
  }

  private render(): void {
    this.el.empty.hidden = this.steps.length > 0;
    const count = this.steps.length;
    this.el.list.replaceChildren(
      ...this.steps.map((step, index) =>
        stepCard(
          { step, index, count, op: this.ops.get(step.op) },
          (action) => this.act(step, index, action),
          (name, value) => this.update(step.key, name, value),
        ),
      ),
    );
  }

  /** A button on a step's card was pressed. */
  private act(step: BuilderStep, index: number, action: StepAction): void {
    if (action === "bypass") this.steps = toggleBypass(this.steps, index);
    else if (action === "remove") this.steps = removeStep(this.steps, index);
    else if (this.move(index, index + (action === "up" ? -1 : 1))) return; // refused: nothing changed
    this.render();
    this.sync(null);
    this.refocus(step.key, action);
  }

  /** The op's kind by the gateway's list, else the bundled registry (an op the gateway lacks). */
  private readonly kindOf = (name: string): string | undefined => this.ops.get(name)?.kind ?? localKind(name);

  /** Moves a step unless that would put a step after an analysis op; true when refused (and said why). */
  private move(from: number, to: number): boolean {
    const { steps, refused } = moveKeepingAnalysisLast(this.steps, from, to, this.kindOf);
    this.steps = steps;
    this.say(refused);
    return refused !== null;
  }

  private say(note: string | null): void {
    this.el.builderNote.hidden = note === null;
    this.el.builderNote.textContent = note ?? "";
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
    this.sync(`param:${key}:${name}`);
  }
}
