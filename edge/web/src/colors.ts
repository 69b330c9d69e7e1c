// A stable colour per worker id: the same id gets the same colour in every session and panel.

/** FNV-1a, 32-bit. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Hue 0..359 for a worker id; well spread for similar ids ("worker-1", "worker-2"). */
export function workerHue(id: string): number {
  // Multiply by the golden ratio's fraction so neighbouring hashes land far apart on the wheel.
  return Math.floor(((hashString(id) * 0.618033988749895) % 1) * 360);
}

export function workerColor(id: string, alpha = 1): string {
  const hue = workerHue(id);
  return alpha === 1 ? `hsl(${hue} 70% 52%)` : `hsl(${hue} 70% 52% / ${alpha})`;
}
