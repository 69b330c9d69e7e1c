// Reordering step cards by dragging their handle. Pointer events rather than HTML drag and drop,
// which phones do not fire for touch. The card moves in the DOM while it is dragged, so the list
// shows where it will land; on release the owner gets (from, to) and renders the new order.
// Escape or a cancelled pointer puts it back (the owner is told from === to).

export function watchStepDrag(list: HTMLElement, onDrop: (from: number, to: number) => void): void {
  list.addEventListener("pointerdown", (down) => {
    const handle = (down.target as Element | null)?.closest<HTMLElement>(".drag-handle");
    const card = handle?.closest<HTMLElement>("li");
    if (!handle || !card || down.button !== 0) return;
    down.preventDefault(); // no text selection, no scrolling from the handle
    const cards = () => [...list.children] as HTMLElement[];
    const from = cards().indexOf(card);
    // Listened for on the document, not captured by the handle: moving the card in the DOM
    // releases a pointer capture, and the rest of the drag would be lost with it.
    card.classList.add("dragging");
    list.classList.add("reordering");

    const move = (e: PointerEvent) => {
      if (e.pointerId !== down.pointerId) return;
      // Before the first other card whose middle is below the pointer; after them all otherwise.
      const before = cards().find((c) => {
        if (c === card) return false;
        const box = c.getBoundingClientRect();
        return e.clientY < box.top + box.height / 2;
      });
      if (before && card.nextElementSibling !== before) list.insertBefore(card, before);
      if (!before && list.lastElementChild !== card) list.append(card);
    };
    const finish = (cancelled: boolean) => {
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", up);
      document.removeEventListener("pointercancel", cancel);
      document.removeEventListener("keydown", onEscape, true);
      card.classList.remove("dragging");
      list.classList.remove("reordering");
      onDrop(from, cancelled ? from : cards().indexOf(card));
    };
    const up = (e: PointerEvent) => e.pointerId === down.pointerId && finish(false);
    const cancel = (e: PointerEvent) => e.pointerId === down.pointerId && finish(true);
    const onEscape = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      finish(true);
    };
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", up);
    document.addEventListener("pointercancel", cancel);
    document.addEventListener("keydown", onEscape, true);
  });
}
