// What the page remembers of a pipeline, without a browser: snapshots (text form + bypassed
// steps), the URL that holds one, the last session and named presets in a key-value store.

import { describe, expect, it } from "vitest";
import { addStep, localOpViews, toggleBypass, toRunText } from "../../edge/web/src/builder.ts";
import { loadLastSession, SESSION_KEY, saveLastSession } from "../../edge/web/src/last-session.ts";
import type { KeyValueStore } from "../../edge/web/src/local-store.ts";
import { asSnapshot, sameSnapshot, snapshotOf, stepsOf } from "../../edge/web/src/pipeline-snapshot.ts";
import { snapshotFromUrl, urlWithSnapshot } from "../../edge/web/src/pipeline-url.ts";
import { PRESETS_KEY, PresetError, PresetStore } from "../../edge/web/src/presets.ts";

class MemoryStore implements KeyValueStore {
  readonly map = new Map<string, string>();
  full = false;
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.full) throw new DOMException("quota exceeded", "QuotaExceededError");
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

const op = (name: string) => {
  const found = localOpViews().find((v) => v.name === name);
  if (!found) throw new Error(`no op ${name}`);
  return found;
};

describe("pipeline snapshots", () => {
  it("keep every step and which are bypassed; the run text leaves those out", () => {
    let steps = addStep(addStep(addStep([], op("gaussian-blur")), op("sobel")), op("invert"));
    steps = toggleBypass(steps, 1);
    const snapshot = snapshotOf(steps);
    expect(snapshot).toEqual({ text: "gaussian-blur | sobel | invert", bypassed: [1] });
    expect(toRunText(steps)).toBe("gaussian-blur | invert");
    const back = stepsOf(snapshot);
    expect(back.map((s) => [s.op, s.bypassed ?? false])).toEqual([
      ["gaussian-blur", false],
      ["sobel", true],
      ["invert", false],
    ]);
    expect(toRunText(toggleBypass(back, 1))).toBe("gaussian-blur | sobel | invert");
    // A bypass index past the end (a hand-edited link) is ignored.
    expect(stepsOf({ text: "invert", bypassed: [4] }).map((s) => s.bypassed ?? false)).toEqual([false]);
  });

  it("are checked when read back from storage", () => {
    expect(asSnapshot({ text: "invert", bypassed: [2, 0, 2, -1, 1.5, "x"] })).toEqual({ text: "invert", bypassed: [0, 2] });
    expect(asSnapshot({ text: "invert" })).toEqual({ text: "invert", bypassed: [] });
    expect(asSnapshot({ bypassed: [] })).toBeNull();
    expect(asSnapshot("invert")).toBeNull();
    expect(sameSnapshot({ text: "a", bypassed: [1] }, { text: "a", bypassed: [1] })).toBe(true);
    expect(sameSnapshot({ text: "a", bypassed: [1] }, { text: "a", bypassed: [] })).toBe(false);
  });
});

describe("the pipeline in the URL", () => {
  it("round-trips text and bypassed steps (numbered from 1), keeping other parameters", () => {
    const href = urlWithSnapshot("http://host/ui/?theme=x#top", { text: "gaussian-blur(sigma=2) | sobel", bypassed: [1] });
    expect(new URL(href).searchParams.get("pipeline")).toBe("gaussian-blur(sigma=2) | sobel");
    expect(new URL(href).searchParams.get("bypass")).toBe("2");
    expect(new URL(href).searchParams.get("theme")).toBe("x");
    expect(new URL(href).hash).toBe("#top");
    expect(snapshotFromUrl(href)).toEqual({ text: "gaussian-blur(sigma=2) | sobel", bypassed: [1] });
    const cleared = urlWithSnapshot(href, { text: "invert", bypassed: [] });
    expect(new URL(cleared).searchParams.has("bypass")).toBe(false);
    expect(snapshotFromUrl("http://host/?pipeline=invert&bypass=0,x,2")).toEqual({ text: "invert", bypassed: [1] });
    expect(snapshotFromUrl("http://host/")).toBeNull();
  });
});

describe("the last session", () => {
  it("is stored and read back; a damaged entry or no storage reads as nothing", () => {
    const store = new MemoryStore();
    expect(loadLastSession(store)).toBeNull();
    saveLastSession(store, { text: "median(radius=2)", bypassed: [0] });
    expect(loadLastSession(store)).toEqual({ text: "median(radius=2)", bypassed: [0] });
    store.map.set(SESSION_KEY, "{not json");
    expect(loadLastSession(store)).toBeNull();
    expect(loadLastSession(undefined)).toBeNull();
    store.full = true;
    expect(() => saveLastSession(store, { text: "invert", bypassed: [] })).not.toThrow();
  });
});

describe("presets", () => {
  const edges = { text: "gaussian-blur(sigma=2) | sobel", bypassed: [] };
  const soft = { text: "box-blur(radius=3)", bypassed: [] };

  it("save, replace, rename and delete, in the order first saved", () => {
    const store = new MemoryStore();
    const presets = new PresetStore(store);
    expect(presets.save("  Edges  ", edges)).toBe("Edges");
    presets.save("Soft", soft);
    presets.save("Edges", { ...edges, bypassed: [1] }); // replaces in place
    expect(presets.list().map((p) => [p.name, p.snapshot.bypassed])).toEqual([
      ["Edges", [1]],
      ["Soft", []],
    ]);
    expect(presets.rename("Edges", "Crisp edges")).toBe("Crisp edges");
    expect(() => presets.rename("Crisp edges", "Soft")).toThrow("A preset named “Soft” exists already.");
    expect(() => presets.rename("Nope", "X")).toThrow(PresetError);
    presets.delete("Soft");
    expect(new PresetStore(store).list().map((p) => p.name)).toEqual(["Crisp edges"]); // another page reads the same
  });

  it("refuse empty or long names, and say when the browser will not store them", () => {
    const store = new MemoryStore();
    const presets = new PresetStore(store);
    expect(() => presets.save("   ", edges)).toThrow("Give the preset a name.");
    expect(() => presets.save("x".repeat(61), edges)).toThrow(/at most 60 characters/);
    store.full = true;
    expect(() => presets.save("Edges", edges)).toThrow(/Presets cannot be saved: the browser refused to store it/);
    expect(() => new PresetStore(undefined).save("Edges", edges)).toThrow(/does not allow local storage/);
  });

  it("skip damaged entries", () => {
    const store = new MemoryStore();
    store.map.set(
      PRESETS_KEY,
      JSON.stringify([{ name: "ok", snapshot: edges }, { name: 3 }, { name: "ok", snapshot: soft }, null]),
    );
    expect(new PresetStore(store).list()).toEqual([{ name: "ok", snapshot: edges }]);
    store.map.set(PRESETS_KEY, "[oops");
    expect(new PresetStore(store).list()).toEqual([]);
  });
});
