// Keyboard shortcuts for the whole page: Ctrl/Cmd+Z undo, Ctrl/Cmd+Shift+Z (or Ctrl+Y) redo,
// Ctrl/Cmd+Enter process. In a text field Ctrl+Z stays the field's own undo, as people expect;
// Ctrl+Enter works everywhere, since no field uses it.

export interface ShortcutActions {
  undo(): void;
  redo(): void;
  submit(): void;
}

/** Whether the focused element edits text by itself (its own undo and caret). */
function editsText(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement) return true;
  if (el instanceof HTMLElement && el.isContentEditable) return true;
  if (!(el instanceof HTMLInputElement)) return false;
  return !["range", "checkbox", "radio", "button", "submit", "reset", "file", "color"].includes(el.type);
}

export function watchShortcuts(actions: ShortcutActions): void {
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.isComposing) return;
    const key = e.key.toLowerCase();
    if (key === "enter") {
      e.preventDefault();
      actions.submit();
      return;
    }
    if (editsText(document.activeElement)) return;
    if (key === "z") {
      e.preventDefault();
      if (e.shiftKey) actions.redo();
      else actions.undo();
    } else if (key === "y" && !e.shiftKey) {
      e.preventDefault();
      actions.redo();
    }
  });
}
