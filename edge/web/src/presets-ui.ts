// The presets list: save the current pipeline under a name, load, rename (inline) and delete,
// with Restore right after a delete. The store writes through to localStorage at each change.

import { byId, h, showError } from "./dom.ts";
import type { PipelineSnapshot } from "./pipeline-snapshot.ts";
import { type Preset, PresetError, type PresetStore } from "./presets.ts";

export interface PresetHost {
  /** The whole pipeline now, or null while it has an error. */
  current(): PipelineSnapshot | null;
  /** Replaces the pipeline (an undoable change). */
  load(snapshot: PipelineSnapshot): void;
}

export class PresetsPanel {
  private readonly list = byId<HTMLUListElement>("presets");
  private readonly nameInput = byId<HTMLInputElement>("preset-name");
  private readonly status = byId("library-status");
  private readonly count = byId("presets-count");
  /** The preset whose name is being edited, if any. */
  private renaming: string | null = null;

  constructor(
    private readonly store: PresetStore,
    private readonly host: PresetHost,
  ) {
    byId<HTMLFormElement>("preset-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.save();
    });
    this.render();
  }

  /** A message about the last action: polite, or an error (role=alert). */
  say(message: string, error = false, action?: { label: string; run: () => void }): void {
    showError("library-error", error ? message : null);
    this.status.replaceChildren(
      error ? "" : message,
      action && !error
        ? h("button", { class: "ghost small", text: action.label, attrs: { type: "button" }, on: { click: action.run } })
        : "",
    );
  }

  private attempt(run: () => void): void {
    try {
      run();
    } catch (err) {
      if (!(err instanceof PresetError)) throw err;
      this.say(err.message, true);
    }
  }

  private save(): void {
    const snapshot = this.host.current();
    if (!snapshot || snapshot.text === "") {
      const why = snapshot ? "is empty: add a step" : "has an error: fix it";
      this.say(`The pipeline ${why} before saving it as a preset.`, true);
      return;
    }
    this.attempt(() => {
      const existed = this.store.get(this.nameInput.value.trim()) !== undefined;
      const name = this.store.save(this.nameInput.value, snapshot);
      this.nameInput.value = "";
      this.render();
      this.say(existed ? `Preset “${name}” updated.` : `Saved preset “${name}”.`);
    });
  }

  private load(preset: Preset): void {
    try {
      this.host.load(preset.snapshot);
      this.say(`Loaded preset “${preset.name}”.`);
    } catch (err) {
      this.say(`Preset “${preset.name}” cannot be loaded: ${(err as Error).message}`, true);
    }
  }

  private remove(preset: Preset): void {
    this.attempt(() => {
      this.store.delete(preset.name);
      this.render();
      this.say(`Deleted preset “${preset.name}”.`, false, {
        label: "Restore",
        run: () =>
          this.attempt(() => {
            this.store.save(preset.name, preset.snapshot);
            this.render();
            this.say(`Restored preset “${preset.name}”.`);
          }),
      });
      this.nameInput.focus();
    });
  }

  private rename(from: string, to: string): void {
    this.attempt(() => {
      const name = this.store.rename(from, to);
      this.renaming = null;
      this.render();
      this.say(name === from ? "Name unchanged." : `Renamed “${from}” to “${name}”.`);
      this.list.querySelector<HTMLElement>(`[data-preset="${CSS.escape(name)}"] .preset-load`)?.focus();
    });
  }

  private render(): void {
    const presets = this.store.list();
    this.count.textContent = String(presets.length);
    byId("presets-empty").hidden = presets.length > 0;
    this.list.replaceChildren(...presets.map((p) => (p.name === this.renaming ? this.renameRow(p) : this.row(p))));
  }

  private row(preset: Preset): HTMLLIElement {
    const bypass = preset.snapshot.bypassed.length ? ` (${preset.snapshot.bypassed.length} bypassed)` : "";
    return h(
      "li",
      { attrs: { "data-preset": preset.name } },
      h(
        "button",
        {
          class: "preset-load",
          attrs: { type: "button", "aria-label": `Load preset ${preset.name}` },
          on: { click: () => this.load(preset) },
        },
        h("strong", { text: preset.name }),
        h("span", { class: "mono small muted preset-text", text: `${preset.snapshot.text}${bypass}` }),
      ),
      h("button", {
        class: "ghost small",
        text: "Rename",
        attrs: { type: "button", "aria-label": `Rename preset ${preset.name}` },
        on: {
          click: () => {
            this.renaming = preset.name;
            this.render();
            this.list.querySelector<HTMLInputElement>(".preset-rename input")?.select();
          },
        },
      }),
      h("button", {
        class: "ghost small danger",
        text: "Delete",
        attrs: { type: "button", "aria-label": `Delete preset ${preset.name}` },
        on: { click: () => this.remove(preset) },
      }),
    );
  }

  private renameRow(preset: Preset): HTMLLIElement {
    const input = h("input", {
      attrs: { type: "text", maxlength: 60, autocomplete: "off", "aria-label": `New name for preset ${preset.name}` },
    });
    input.value = preset.name;
    const cancel = () => {
      this.renaming = null;
      this.render();
      this.list.querySelector<HTMLElement>(`[data-preset="${CSS.escape(preset.name)}"] .preset-load`)?.focus();
    };
    const form = h(
      "form",
      {
        class: "preset-rename",
        on: {
          submit: (e) => {
            e.preventDefault();
            this.rename(preset.name, input.value);
          },
          keydown: (e) => {
            if (e.key === "Escape") {
              e.preventDefault();
              cancel();
            }
          },
        },
      },
      input,
      h("button", { class: "small", text: "Save name", attrs: { type: "submit" } }),
      h("button", { class: "ghost small", text: "Cancel", attrs: { type: "button" }, on: { click: cancel } }),
    );
    return h("li", { attrs: { "data-preset": preset.name } }, form);
  }
}
