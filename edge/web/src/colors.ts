// Colours by worker process: the tile map, its legend and the cluster table give a process the
// same colour, and each of its worker loops (`<process>/<n>`) a shade of it.

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

/**
 * Lightness offsets of the shades, loop 0 first: loop 0 has the process's own colour, the next
 * ones alternate darker and lighter, so neighbouring loops stay apart and a loop's shade never
 * depends on how many loops there are.
 */
const SHADES = [0, -13, 13, -7, 7, -19, 19, -3, 3, -10, 10, -16, 16];

/** Lightness (%) of shade `shade` of any hue. */
export function shadeLightness(shade: number): number {
  return 52 + (SHADES[Math.abs(Math.trunc(shade)) % SHADES.length] ?? 0);
}

/** The colour of worker process `id`; with `shade`, the colour of its loop number `shade`. */
export function workerColor(id: string, alpha = 1, shade = 0): string {
  const hsl = `${workerHue(id)} 70% ${shadeLightness(shade)}%`;
  return alpha === 1 ? `hsl(${hsl})` : `hsl(${hsl} / ${alpha})`;
}
