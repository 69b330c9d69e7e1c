// The pure parts of editing: undo/redo with bursts merged, and the op picker's search.

import { ops } from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { localOpViews } from "../../edge/web/src/builder.ts";
import { searchOps } from "../../edge/web/src/op-search.ts";
import { UndoHistory } from "../../edge/web/src/undo-history.ts";

describe("undo history", () => {
  it("undoes and redoes whole states; a new change drops what could be redone", () => {
    const h = new UndoHistory("a", (x, y) => x === y);
    expect(h.canUndo).toBe(false);
    h.record("b");
    h.record("b"); // no change: nothing recorded
    h.record("c");
    expect(h.undo()).toBe("b");
    expect(h.undo()).toBe("a");
    expect(h.undo()).toBeNull();
    expect(h.redo()).toBe("b");
    h.record("d");
    expect(h.canRedo).toBe(false);
    expect(h.undo()).toBe("b");
  });

  it("merges a burst of the same group into one step, but not one after a pause or another group", () => {
    let now = 0;
    const h = new UndoHistory(
      "sigma=1",
      (x, y) => x === y,
      () => now,
    );
    for (const v of [2, 3, 4]) {
      now += 50;
      h.record(`sigma=${v}`, "param:1:sigma");
    }
    expect(h.undo()).toBe("sigma=1");
    expect(h.redo()).toBe("sigma=4");
    now += 50;
    h.record("sigma=5", "param:1:sigma"); // right after a redo: a step of its own
    now += 5000;
    h.record("sigma=6", "param:1:sigma"); // after a pause: another
    now += 50;
    h.record("sigma=6 radius=2", "param:1:radius"); // another control: another
    expect([h.undo(), h.undo(), h.undo()]).toEqual(["sigma=6", "sigma=5", "sigma=4"]);
  });
});

describe("op search", () => {
  const views = localOpViews();

  it("lists every op for an empty query, and ranks a name match first", () => {
    expect(searchOps(views, "  ").map((o) => o.name)).toEqual([...ops.keys()]);
    const blur = searchOps(views, "blur").map((o) => o.name);
    expect(blur.slice(0, 2).sort()).toEqual(["box-blur", "gaussian-blur"]);
    expect(blur.every((name) => views.find((v) => v.name === name))).toBe(true);
    expect(searchOps(views, "sobel")[0]?.name).toBe("sobel");
  });

  it("needs every word, in any of name, category, kind or description, ignoring case", () => {
    const hits = searchOps(views, "GLOBAL threshold").map((o) => o.name);
    expect(hits).toContain("otsu-threshold");
    expect(hits).not.toContain("threshold"); // a point op
    expect(searchOps(views, "no-such-op")).toEqual([]);
  });
});
