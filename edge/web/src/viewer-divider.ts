// The viewer's before/after divider, dragged by its handle. Dragging inside the viewer pans the
// image, so only the handle moves the divider; it moves the page's one Before / after slider
// (and tells its listeners), which keeps the stage, the viewer and the keyboard in step.

export function watchViewerDivider(handle: HTMLElement, frame: HTMLElement, compare: HTMLInputElement): void {
  handle.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    handle.setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) => {
      const box = frame.getBoundingClientRect();
      const value = Math.round(Math.max(0, Math.min(1, (ev.clientX - box.left) / box.width)) * 100);
      if (compare.valueAsNumber === value) return;
      compare.value = String(value);
      compare.dispatchEvent(new Event("input", { bubbles: true }));
    };
    const up = () => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
      handle.removeEventListener("pointercancel", up);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
    handle.addEventListener("pointercancel", up);
  });
}
