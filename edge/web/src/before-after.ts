// The before/after comparison: the original is drawn over the result, clipped to the left of the
// split. Dragging on the image moves the split; the range input keeps it usable from the keyboard.

import { byId } from "./dom.ts";

export function watchBeforeAfter(): void {
  const stage = byId("stage");
  const compare = byId<HTMLInputElement>("compare");

  function setSplit(value: number): void {
    stage.style.setProperty("--split", `${value}%`);
    compare.setAttribute("aria-valuetext", `${value}% original, ${100 - value}% processed`);
  }

  compare.addEventListener("input", () => setSplit(compare.valueAsNumber));
  setSplit(compare.valueAsNumber);
  stage.addEventListener("pointerdown", (e) => {
    stage.setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) => {
      const box = stage.getBoundingClientRect();
      const value = Math.round(Math.max(0, Math.min(1, (ev.clientX - box.left) / box.width)) * 100);
      compare.value = String(value);
      setSplit(value);
    };
    move(e);
    const up = () => {
      stage.removeEventListener("pointermove", move);
      stage.removeEventListener("pointerup", up);
      stage.removeEventListener("pointercancel", up);
    };
    stage.addEventListener("pointermove", move);
    stage.addEventListener("pointerup", up);
    stage.addEventListener("pointercancel", up);
  });
}
