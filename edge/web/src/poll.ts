// Background polling that pauses while the tab is hidden, so an idle tab costs the gateway nothing.

/** Runs `task` every `ms` while the page is visible (one at a time, never overlapping). */
export function every(ms: number, task: () => Promise<void>): void {
  const tick = async () => {
    if (!document.hidden) await task();
    setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
}
