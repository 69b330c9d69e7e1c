// The job's tile map: the tile grid over the job's picture, each finished tile in the colour of
// the worker process that did it (a shade of it per worker loop), and the legend of processes
// with their tile counts and loops, in the same colours as the cluster panel's table.

import type { JobView } from "../../api-types.ts";
import { workerColor } from "./colors.ts";
import { h } from "./dom.ts";
import { fitWithin, type Rect, scaleRect, tileRect } from "./geometry.ts";
import { processOf, tilesByProcess } from "./worker-ids.ts";

const GRID_MAX_SIDE = 720;

/**
 * Draws `job`'s grid over `backdrop` (dimmed until the job succeeded) on `canvas`. With no job (an
 * upload in progress) it draws the picture alone, at the size of `image`.
 */
export function drawTileMap(
  canvas: HTMLCanvasElement,
  job: JobView | null,
  backdrop: CanvasImageSource | null,
  image: { width: number; height: number } = job ?? { width: 1, height: 1 },
): void {
  const size = fitWithin(Math.max(1, image.width), Math.max(1, image.height), GRID_MAX_SIDE);
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  const w = Math.round(size.width * dpr);
  const hgt = Math.round(size.height * dpr);
  if (canvas.width !== w || canvas.height !== hgt) {
    canvas.width = w;
    canvas.height = hgt;
  }
  canvas.style.aspectRatio = `${size.width} / ${size.height}`;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, w, hgt);
  if (backdrop) {
    ctx.globalAlpha = job?.status === "succeeded" ? 1 : 0.55;
    ctx.drawImage(backdrop, 0, 0, w, hgt);
    ctx.globalAlpha = 1;
  } else {
    ctx.fillStyle = "rgb(127 127 127 / 0.15)";
    ctx.fillRect(0, 0, w, hgt);
  }
  if (!job) return;
  const scale = w / Math.max(1, job.width);
  const grid = job.grid;
  if (!grid || grid.cols <= 0 || grid.rows <= 0 || grid.tileSize <= 0) return;
  const done = job.status === "succeeded";
  for (const [tile, worker] of Object.entries(job.tileWorkers ?? {})) {
    const r = scaleRect(tileRect(Number(tile), grid, job), scale);
    const { process, loop } = processOf(worker);
    ctx.fillStyle = workerColor(process, done ? 0.25 : 0.5, loop);
    ctx.fillRect(r.x, r.y, r.width, r.height);
  }
  ctx.strokeStyle = "rgb(255 255 255 / 0.55)";
  ctx.lineWidth = Math.max(1, dpr);
  ctx.beginPath();
  for (let c = 1; c < grid.cols; c++) {
    const x = Math.round(c * grid.tileSize * scale) + 0.5;
    ctx.moveTo(x, 0);
    ctx.lineTo(x, hgt);
  }
  for (let r = 1; r < grid.rows; r++) {
    const y = Math.round(r * grid.tileSize * scale) + 0.5;
    ctx.moveTo(0, y);
    ctx.lineTo(w, y);
  }
  ctx.stroke();
}

/**
 * The legend: one item per worker process of the current stage, in its colour, with its tile
 * count and a shade per loop (none for an upload).
 */
export function renderLegend(list: HTMLElement, job: JobView | null): void {
  list.replaceChildren(
    ...tilesByProcess(job?.tileWorkers ?? {}).map(({ process, tiles, loops }) =>
      h(
        "li",
        { attrs: { "data-worker": process } },
        swatch(process),
        h("span", { class: "mono", text: process }),
        h("span", { class: "muted", text: ` ${plural(tiles, "tile")}` }),
        loops.length > 1 || loops[0]?.id !== process
          ? h(
              "span",
              { class: "loops", attrs: { role: "img", "aria-label": loopSummary(loops) } },
              ...loops.map((l) => swatch(process, l.loop, `${l.id}: ${plural(l.tiles, "tile")}`)),
            )
          : null,
      ),
    ),
  );
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function loopSummary(loops: { id: string; tiles: number }[]): string {
  return `${plural(loops.length, "loop")}: ${loops.map((l) => `${l.id} ${plural(l.tiles, "tile")}`).join(", ")}`;
}

/**
 * A coloured dot for worker process `worker` (with `shade`, for its loop of that number), styled
 * through the CSSOM so a strict CSP allows it.
 */
export function swatch(worker: string, shade?: number, title?: string): HTMLElement {
  const dot = h("span", { class: shade === undefined ? "swatch" : "swatch shade", attrs: { "aria-hidden": "true" } });
  dot.style.background = workerColor(worker, 1, shade ?? 0);
  if (title) dot.title = title;
  return dot;
}

/**
 * The tile map as an overlay over a picture shown elsewhere (the preview stage, the viewer): the
 * finished tiles of `job`, translucent in their worker's colour, and the grid lines. `canvas` is
 * resized to its own box in device pixels, and `place` maps a rectangle of the job's image (in
 * its pixels) to that canvas, since the stage scales the picture and the viewer zooms and pans
 * it. Returns the number of finished tiles drawn.
 */
export function drawTileOverlay(canvas: HTMLCanvasElement, job: JobView | null, place: (r: Rect) => Rect): number {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const hgt = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== hgt) {
    canvas.width = w;
    canvas.height = hgt;
  }
  const ctx = canvas.getContext("2d");
  ctx?.clearRect(0, 0, w, hgt);
  const grid = job?.grid;
  if (!ctx || !job || !grid || grid.cols <= 0 || grid.rows <= 0 || grid.tileSize <= 0) return 0;
  const tiles = Object.entries(job.tileWorkers ?? {});
  for (const [tile, worker] of tiles) {
    const r = place(tileRect(Number(tile), grid, job));
    const { process, loop } = processOf(worker);
    ctx.fillStyle = workerColor(process, 0.3, loop);
    ctx.fillRect(r.x, r.y, r.width, r.height);
  }
  ctx.strokeStyle = "rgb(255 255 255 / 0.6)";
  ctx.lineWidth = Math.max(1, dpr);
  ctx.beginPath();
  for (let c = 0; c <= grid.cols; c++) {
    const r = place({ x: Math.min(job.width, c * grid.tileSize), y: 0, width: 0, height: job.height });
    ctx.moveTo(Math.round(r.x) + 0.5, r.y);
    ctx.lineTo(Math.round(r.x) + 0.5, r.y + r.height);
  }
  for (let row = 0; row <= grid.rows; row++) {
    const r = place({ x: 0, y: Math.min(job.height, row * grid.tileSize), width: job.width, height: 0 });
    ctx.moveTo(r.x, Math.round(r.y) + 0.5);
    ctx.lineTo(r.x + r.width, Math.round(r.y) + 0.5);
  }
  ctx.stroke();
  return tiles.length;
}
