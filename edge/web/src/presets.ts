// Named presets: pipelines saved under a name in localStorage, kept in the order they were
// first saved. Every change is written at once, so a preset survives a reload or a crash.

import { type KeyValueStore, readJson, writeJson } from "./local-store.ts";
import { asSnapshot, type PipelineSnapshot } from "./pipeline-snapshot.ts";

export const PRESETS_KEY = "tessera.presets.v1";
const MAX_NAME = 60;

export interface Preset {
  readonly name: string;
  readonly snapshot: PipelineSnapshot;
}

/** A refused change: the message says why, in words for the user. */
export class PresetError extends Error {}

/** A trimmed name, or a PresetError saying what is wrong with it. */
export function checkName(raw: string): string {
  const name = raw.trim().replace(/\s+/g, " ");
  if (name === "") throw new PresetError("Give the preset a name.");
  if (name.length > MAX_NAME) throw new PresetError(`A preset name has at most ${MAX_NAME} characters.`);
  return name;
}

export class PresetStore {
  constructor(private readonly store: KeyValueStore | undefined) {}

  list(): Preset[] {
    const raw = readJson(this.store, PRESETS_KEY);
    if (!Array.isArray(raw)) return [];
    const out: Preset[] = [];
    for (const item of raw) {
      const name = (item as { name?: unknown })?.name;
      const snapshot = asSnapshot((item as { snapshot?: unknown })?.snapshot);
      if (typeof name === "string" && snapshot && !out.some((p) => p.name === name)) out.push({ name, snapshot });
    }
    return out;
  }

  get(name: string): Preset | undefined {
    return this.list().find((p) => p.name === name);
  }

  /** Saves under `name`, replacing a preset of that name in its place. Returns the stored name. */
  save(rawName: string, snapshot: PipelineSnapshot): string {
    const name = checkName(rawName);
    const list = this.list();
    const at = list.findIndex((p) => p.name === name);
    if (at >= 0) list[at] = { name, snapshot };
    else list.push({ name, snapshot });
    this.write(list);
    return name;
  }

  /** Renames a preset; refuses a name another preset has. Returns the new name. */
  rename(from: string, rawTo: string): string {
    const to = checkName(rawTo);
    const list = this.list();
    const at = list.findIndex((p) => p.name === from);
    const preset = list[at];
    if (!preset) throw new PresetError(`There is no preset named “${from}”.`);
    if (to !== from && list.some((p) => p.name === to)) throw new PresetError(`A preset named “${to}” exists already.`);
    list[at] = { name: to, snapshot: preset.snapshot };
    this.write(list);
    return to;
  }

  delete(name: string): void {
    this.write(this.list().filter((p) => p.name !== name));
  }

  private write(list: readonly Preset[]): void {
    const why = writeJson(this.store, PRESETS_KEY, list);
    if (why) throw new PresetError(`Presets cannot be saved: ${why}.`);
  }
}
