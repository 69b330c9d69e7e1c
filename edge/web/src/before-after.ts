// The before/after comparison: the original is drawn over the result, clipped to the left of the
// split. Dragging on the image moves the split; the range input keeps it usable from the keyboard.

import { byId } from "./dom.ts";
import { dragPercent } from "./drag-percent.ts";

export function watchBeforeAfter(): void {
  const stage = byId("stage");
  const compare = byId<HTMLInputElement>("compare");

  function setSplit(value: number): void {
    stage.style.setProperty("--split", `${value}%`);
    compare.setAttribute("aria-valuetext", `${value}% original, ${100 - value}% processed`);
  }

  compare.addEventListener("input", () => setSplit(compare.valueAsNumber));
  setSplit(compare.valueAsNumber);
  dragPercent(
    stage,
    stage,
    (value) => {
      compare.value = String(value);
      setSplit(value);
    },
    { atPress: true },
  );
}
