// The viewer's before/after divider, dragged by its handle. Dragging inside the viewer pans the
// image, so only the handle moves the divider; it moves the page's one Before / after slider
// (and tells its listeners), which keeps the stage, the viewer and the keyboard in step.

import { dragPercent } from "./drag-percent.ts";

export function watchViewerDivider(handle: HTMLElement, frame: HTMLElement, compare: HTMLInputElement): void {
  dragPercent(
    handle,
    frame,
    (value) => {
      if (compare.valueAsNumber === value) return;
      compare.value = String(value);
      compare.dispatchEvent(new Event("input", { bubbles: true }));
    },
    { preventDefault: true },
  );
}
