// Dragging a split: the stage's before/after (before-after.ts) and the viewer's divider handle
// (viewer-divider.ts) both turn a pointer's x across an element into 0..100.

/**
 * From a press on `target` until its release, calls `onValue` with the pointer's x across
 * `frame` as a whole percentage (clamped to 0..100) at every move, and at the press itself when
 * `atPress`. The pointer is captured, so the drag keeps following it outside `target`.
 */
export function dragPercent(
  target: HTMLElement,
  frame: HTMLElement,
  onValue: (value: number) => void,
  options: { atPress?: boolean; preventDefault?: boolean } = {},
): void {
  target.addEventListener("pointerdown", (e) => {
    if (options.preventDefault) e.preventDefault();
    target.setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) => {
      const box = frame.getBoundingClientRect();
      onValue(Math.round(Math.max(0, Math.min(1, (ev.clientX - box.left) / box.width)) * 100));
    };
    if (options.atPress) move(e);
    const up = () => {
      target.removeEventListener("pointermove", move);
      target.removeEventListener("pointerup", up);
      target.removeEventListener("pointercancel", up);
    };
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", up);
    target.addEventListener("pointercancel", up);
  });
}
