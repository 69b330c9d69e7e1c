// The result at full resolution, in the page: an OpenSeadragon viewer in place of the preview
// stage, over the followed job's result, with the uploaded file drawn over it to the left of the
// same before/after divider as the stage (clipped in the viewer's own coordinates, so panning and
// zooming move both), Fit, 1:1 and zoom buttons, and the tile map of a running job on top. A
// running job's tile map goes over the preview stage instead while the viewer is closed.
// OpenSeadragon is loaded the first time the viewer opens, so the page starts as light as before.

import type OpenSeadragon from "openseadragon";
import type { JobView } from "../../api-types.ts";
import type { Api } from "./api.ts";
import { byId } from "./dom.ts";
import type { Rect } from "./geometry.ts";
import { isTerminal } from "./job-state.ts";
import { drawTileOverlay } from "./tile-map.ts";
import { watchViewerDivider } from "./viewer-divider.ts";
import {
  devicePixelsPerImagePixel,
  imageOriginOnCanvas,
  imageRectOnCanvas,
  pixelAligned,
  resultImage,
  sourceImage,
  viewable,
  viewerOptions,
  zoomToOneToOne,
} from "./viewer-sources.ts";

type Osd = typeof OpenSeadragon;
type Item = OpenSeadragon.TiledImage;

export class ResultViewer {
  private osd: Osd | null = null;
  private viewer: OpenSeadragon.Viewer | null = null;
  private viewerReady: Promise<OpenSeadragon.Viewer> | null = null;
  /** The job whose result is shown, and the job the job panel follows (they differ while one runs). */
  private shown: JobView | null = null;
  private followed: JobView | null = null;
  private result: Item | null = null;
  private source: Item | null = null;
  /** The files this page uploaded, by job: the viewer's "before". */
  private readonly sources = new Map<string, File>();
  private sourceUrl: string | null = null;
  /** Bumped by each show and close, so a late answer for an earlier one is dropped. */
  private generation = 0;
  private animating = false;
  private smoothing = true;
  private readonly root = byId("viewer");
  private readonly frame = byId("viewer-frame");
  private readonly container = byId("viewer-osd");
  private readonly divider = byId("viewer-divider");
  private readonly tiles = byId<HTMLCanvasElement>("viewer-tiles");
  private readonly stageTiles = byId<HTMLCanvasElement>("stage-tiles");
  private readonly status = byId("viewer-status");
  private readonly openButton = byId<HTMLButtonElement>("view-result");
  private readonly compare = byId<HTMLInputElement>("compare");

  /** `pickedFile` is the image the page shows now: a running job of that file has its tiles drawn on the stage. */
  constructor(
    private readonly api: Api,
    private readonly pickedFile: () => File | null,
  ) {
    this.openButton.addEventListener("click", () => void this.open());
    byId("viewer-close").addEventListener("click", () => this.close());
    byId("viewer-fit").addEventListener("click", () => this.viewer?.viewport.goHome());
    byId("viewer-1to1").addEventListener("click", () => this.oneToOne());
    byId("viewer-zoom-in").addEventListener("click", () => this.viewer?.viewport.zoomBy(2).applyConstraints());
    byId("viewer-zoom-out").addEventListener("click", () => this.viewer?.viewport.zoomBy(0.5).applyConstraints());
    this.root.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      this.close();
    });
    this.compare.addEventListener("input", () => this.applySplit());
    watchViewerDivider(this.divider, this.frame, this.compare);
    new ResizeObserver(() => this.drawTiles()).observe(this.stageTiles);
  }

  get isOpen(): boolean {
    return !this.root.hidden;
  }

  /** Remembers the file a job of this page was submitted with, to show it beside the result. */
  rememberSource(jobId: string, file: File): void {
    this.sources.set(jobId, file);
  }

  /** The job panel's job changed (null: it shows an upload). An open viewer follows it to its result. */
  update(job: JobView | null): void {
    this.followed = job;
    this.openButton.hidden = !viewable(job);
    if (job && this.isOpen && viewable(job) && job.id !== this.shown?.id) void this.show(job);
    this.drawTiles();
  }

  /** Opens the viewer over the followed job's result, in place of the stage, and moves the focus into it. */
  async open(): Promise<void> {
    const job = this.followed;
    if (!job || !viewable(job)) return;
    const focus = () => this.container.querySelector<HTMLElement>(".openseadragon-canvas")?.focus({ preventScroll: true });
    const calm = matchMedia("(prefers-reduced-motion: reduce)").matches;
    this.root.hidden = false;
    byId("drop").hidden = true;
    this.openButton.setAttribute("aria-expanded", "true");
    this.root.scrollIntoView({ behavior: calm ? "auto" : "smooth", block: "nearest" });
    if (this.shown?.id === job.id) return focus(); // open already on this result
    this.drawTiles();
    const shown = this.show(job);
    focus();
    await shown;
    focus(); // OpenSeadragon's canvas exists once it has loaded
  }

  /** Closes the viewer (the stage comes back) and frees the result's pixels. */
  close(): void {
    if (!this.isOpen) return;
    this.generation++;
    const hadFocus = this.root.contains(document.activeElement);
    this.root.hidden = true;
    this.root.dataset.state = "closed";
    byId("drop").hidden = false;
    this.openButton.setAttribute("aria-expanded", "false");
    this.viewer?.world.removeAll();
    this.result = this.source = this.shown = null;
    this.revokeSource();
    this.drawTiles();
    if (hadFocus) (this.openButton.hidden ? byId("process") : this.openButton).focus();
  }

  private async show(job: JobView): Promise<void> {
    const generation = ++this.generation;
    this.root.dataset.state = "loading";
    this.root.dataset.job = job.id;
    this.status.textContent = `Loading ${job.width}×${job.height}…`;
    let viewer: OpenSeadragon.Viewer;
    try {
      viewer = await this.ensureViewer();
    } catch (err) {
      this.viewerReady = null; // try again on the next open
      if (generation === this.generation) this.fail(`The viewer could not load (${(err as Error).message}).`);
      return;
    }
    if (generation !== this.generation) return;
    // The same picture again (a pipeline tried once more): keep the part of it being looked at.
    const keep = this.result && this.shown?.width === job.width && this.shown.height === job.height;
    const bounds = keep ? viewer.viewport.getBounds(true) : null;
    this.shown = job;
    viewer.world.removeAll();
    this.result = this.source = null;
    this.revokeSource();
    const file = this.sources.get(job.id);
    this.divider.hidden = !file;
    const stale = (item: Item) => {
      if (generation === this.generation) return false;
      viewer.world.removeItem(item);
      return true;
    };
    viewer.addTiledImage({
      ...resultImage(this.api, job),
      success: (event) => {
        const item = (event as unknown as { item: Item }).item;
        if (stale(item)) return;
        this.result = item;
        if (bounds) viewer.viewport.fitBounds(bounds, true);
        else viewer.viewport.goHome(true);
        this.applySplit();
      },
      error: () => {
        if (generation === this.generation) this.fail(`The result of job ${job.id} could not be loaded.`);
      },
    });
    if (!file) return;
    this.sourceUrl = URL.createObjectURL(file);
    // Added after the result, so drawn over it (OpenSeadragon keeps the order of the calls).
    viewer.addTiledImage({
      ...sourceImage(this.sourceUrl),
      success: (event) => {
        const item = (event as unknown as { item: Item }).item;
        if (stale(item)) return;
        this.source = item;
        this.applySplit();
      },
      // A file this browser cannot draw at full size: the result alone, without a divider.
      error: () => {
        if (generation === this.generation) this.divider.hidden = true;
      },
    });
  }

  /** The viewer, made once: the first open and a job's success may both ask while the library loads. */
  private ensureViewer(): Promise<OpenSeadragon.Viewer> {
    this.viewerReady ??= this.makeViewer();
    return this.viewerReady;
  }

  private async makeViewer(): Promise<OpenSeadragon.Viewer> {
    const osd = (await import("openseadragon")).default;
    const viewer = osd(viewerOptions(this.container));
    // The canvas drawer draws each tile a pixel larger than it is, to hide hairline seams between
    // tiles at fractional positions. Where each pixel edge falls on a device pixel's (1:1 and its
    // multiples) there is no seam to hide, and the extra pixel would stretch every tile.
    const drawer = viewer.drawer as unknown as { minimumOverlapRequired(item: Item): boolean };
    const overlap = drawer.minimumOverlapRequired.bind(drawer);
    drawer.minimumOverlapRequired = (item) => !pixelAligned(osd, viewer, item) && overlap(item);
    viewer.addHandler("viewport-change", () => this.applySplit());
    viewer.addHandler("update-viewport", () => this.afterDraw());
    viewer.addHandler("animation-start", () => {
      this.animating = true;
    });
    viewer.addHandler("animation-finish", () => {
      this.animating = false;
      this.afterDraw();
    });
    this.osd = osd;
    this.viewer = viewer;
    return viewer;
  }

  private oneToOne(): void {
    if (this.osd && this.viewer && this.result) zoomToOneToOne(this.osd, this.viewer, this.result);
  }

  /** Clips the source to the left of the divider, which lies at a fraction of the viewer's width. */
  private applySplit(): void {
    const split = Number.isFinite(this.compare.valueAsNumber) ? this.compare.valueAsNumber / 100 : 0.5;
    this.frame.style.setProperty("--split", `${split * 100}%`);
    const { osd, source } = this;
    if (!osd || !source) return;
    const x = source.viewerElementToImageCoordinates(new osd.Point(split * this.container.clientWidth, 0)).x;
    const size = source.getContentSize();
    source.setClip(new osd.Rect(0, 0, Math.max(0, Math.min(size.x, x)), size.y));
  }

  /** After each frame: smoothing, the tile map, and the state the tests and the status line read. */
  private afterDraw(): void {
    const { osd, viewer, result, shown } = this;
    if (!osd || !viewer || !result || !shown || !this.isOpen) return;
    const scale = devicePixelsPerImagePixel(osd, viewer, result);
    // From 1:1 up the user inspects pixels: show them as squares rather than blurred, and at 1:1
    // exactly each screen pixel is then one of the result's own. Below 1:1 smoothing avoids aliasing.
    const smooth = scale < 0.999;
    let settled = !this.animating;
    if (smooth !== this.smoothing) {
      this.smoothing = smooth;
      viewer.drawer.setImageSmoothingEnabled(smooth); // redraws: the next frame is the settled one
      settled = false;
    }
    const items = [result, this.source].filter((i): i is Item => i !== null);
    const origin = imageOriginOnCanvas(osd, result);
    Object.assign(this.root.dataset, {
      state: settled && items.every((i) => i.getFullyLoaded()) ? "ready" : "loading",
      scale: String(Math.round(scale * 1e4) / 1e4),
      originX: String(Math.round(origin.x * 100) / 100),
      originY: String(Math.round(origin.y * 100) / 100),
    });
    this.status.textContent = `${shown.width}×${shown.height} · ${scale >= 0.995 && scale <= 1.005 ? "1:1" : `${Math.round(scale * 100)}%`}`;
    this.drawTiles();
  }

  /** A running job's finished tiles: over the viewer when open, else over the stage if it shows that job's file. */
  private drawTiles(): void {
    const job = this.followed && !isTerminal(this.followed.status) ? this.followed : null;
    const { osd, viewer, result, shown } = this;
    const inViewer = job && this.isOpen && osd && viewer && result && shown;
    // The job's pixels onto the shown result's (the same picture, when it is the same size).
    const scaled = (r: Rect, job: JobView, width: number, height: number): Rect => {
      const sx = width / Math.max(1, job.width);
      const sy = height / Math.max(1, job.height);
      return { x: r.x * sx, y: r.y * sy, width: r.width * sx, height: r.height * sy };
    };
    this.tiles.hidden = !inViewer;
    if (inViewer) {
      const place = (r: Rect) => imageRectOnCanvas(osd, viewer, result, scaled(r, job, shown.width, shown.height));
      this.tiles.dataset.done = String(drawTileOverlay(this.tiles, job, place));
    }
    const onStage = job && !this.isOpen && this.sources.get(job.id) === this.pickedFile();
    this.stageTiles.hidden = !onStage;
    if (onStage) {
      const place = (r: Rect) => scaled(r, job, this.stageTiles.width, this.stageTiles.height);
      this.stageTiles.dataset.done = String(drawTileOverlay(this.stageTiles, job, place));
    }
  }

  private fail(message: string): void {
    this.root.dataset.state = "error";
    this.status.textContent = message;
  }

  private revokeSource(): void {
    if (this.sourceUrl) URL.revokeObjectURL(this.sourceUrl);
    this.sourceUrl = null;
  }
}
