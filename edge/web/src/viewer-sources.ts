// What the result viewer opens, and its zoom arithmetic. A tile-set result (Deep Zoom, IIIF) is
// opened where the gateway serves its tiles; any other result is one image the browser decodes,
// shown through OpenSeadragon's simple image source, which builds its own pyramid in canvases.

import type OpenSeadragon from "openseadragon";
import type { JobView } from "../../api-types.ts";
import type { Api } from "./api.ts";

/** The job formats the browser shows as they are stored; any other (TIFF, AVIF, an analysis's JSON) is asked for as PNG. */
const BROWSER_FORMATS = new Set(["png", "jpeg", "webp"]);

/**
 * A job the viewer can show: it has succeeded. An analysis op's result is JSON; the viewer shows
 * its overlay (the source with the data drawn on it), which the gateway renders as PNG.
 */
export function viewable(job: Pick<JobView, "status" | "format"> | null): boolean {
  return job?.status === "succeeded";
}

/** The options of `viewer.addTiledImage` for a job's result (less where and when to add it). */
export function resultImage(api: Api, job: Pick<JobView, "id" | "format">): OpenSeadragon.TileSourceSpecifier {
  const base = `/v1/jobs/${encodeURIComponent(job.id)}`;
  if (job.format === "dzi" || job.format === "iiif") {
    // The tile URLs come from the descriptor (a IIIF info.json names its own address), so a
    // token in the descriptor's URL would not reach the tiles: with a token, every request
    // carries it as a header instead, as the page's other API calls do.
    const token = api.token;
    return {
      tileSource: api.url(`${base}/tiles/${job.format === "dzi" ? "result.dzi" : "info.json"}`),
      ...(token ? { loadTilesWithAjax: true, ajaxHeaders: { Authorization: `Bearer ${token}` } } : {}),
    };
  }
  // An <img> sends no headers, hence the token in the URL, as the download links carry it.
  const query = BROWSER_FORMATS.has(job.format) ? {} : { format: "png" };
  return { tileSource: { type: "image", url: api.authedUrl(`${base}/result`, query), buildPyramid: true } };
}

/** The uploaded file as a second image, the same width as the result so the two stay aligned. */
export function sourceImage(objectUrl: string): OpenSeadragon.TileSourceSpecifier {
  return { tileSource: { type: "image", url: objectUrl, buildPyramid: true }, x: 0, y: 0, width: 1 };
}

type Osd = typeof OpenSeadragon;

/** The viewer in `element`. It zooms in to 32 screen pixels per pixel of the result, to inspect single pixels. */
export function viewerOptions(element: HTMLElement): OpenSeadragon.Options {
  return {
    element,
    // The 2D canvas draws at 1:1 exactly what the result holds (WebGL may filter or premultiply),
    // needs no GPU, and can be read back.
    drawer: "canvas",
    // Its own buttons and navigator load images from `prefixUrl`; the page has buttons of its own.
    showNavigationControl: false,
    showNavigator: false,
    maxZoomPixelRatio: 32,
    blendTime: 0,
    // A click focuses the viewer (for the keyboard); a double click still zooms.
    gestureSettingsMouse: { clickToZoom: false },
    crossOriginPolicy: false,
  };
}

/** Device pixels per pixel of `item` at the viewport's current zoom (1 at "1:1"). */
export function devicePixelsPerImagePixel(osd: Osd, viewer: OpenSeadragon.Viewer, item: OpenSeadragon.TiledImage): number {
  return item.viewportToImageZoom(viewer.viewport.getZoom(true)) * osd.pixelDensityRatio;
}

/**
 * Zooms so one pixel of `item` covers exactly one device pixel (its viewport zoom for one CSS
 * pixel, divided by the pixel density), about the view's centre; then shifts the view by less
 * than a device pixel so the image's pixel edges fall on the screen's. At 1:1, with smoothing
 * off, each screen pixel then shows one pixel of the result, unblended.
 */
export function zoomToOneToOne(osd: Osd, viewer: OpenSeadragon.Viewer, item: OpenSeadragon.TiledImage): void {
  viewer.viewport.zoomTo(item.imageToViewportZoom(1 / osd.pixelDensityRatio), undefined, true);
  const origin = imageOriginOnCanvas(osd, item);
  const dx = origin.x - Math.round(origin.x);
  const dy = origin.y - Math.round(origin.y);
  if (dx === 0 && dy === 0) return;
  // Panning by +d moves the picture by -d on the screen.
  const pixels = new osd.Point(dx / osd.pixelDensityRatio, dy / osd.pixelDensityRatio);
  viewer.viewport.panBy(viewer.viewport.deltaPointsFromPixels(pixels, true), true);
}

/** Where the image's top-left corner is drawn, in the drawer canvas's (device) pixels. */
export function imageOriginOnCanvas(osd: Osd, item: OpenSeadragon.TiledImage): { x: number; y: number } {
  const corner = item.imageToViewerElementCoordinates(new osd.Point(0, 0));
  return { x: corner.x * osd.pixelDensityRatio, y: corner.y * osd.pixelDensityRatio };
}

/**
 * Whether every pixel edge of `item` falls on a device pixel's edge: a whole number of device
 * pixels per image pixel (1:1, 2:1…) and the image's corner on a device pixel.
 */
export function pixelAligned(osd: Osd, viewer: OpenSeadragon.Viewer, item: OpenSeadragon.TiledImage): boolean {
  const scale = devicePixelsPerImagePixel(osd, viewer, item);
  const origin = imageOriginOnCanvas(osd, item);
  const whole = (v: number, tolerance: number) => Math.abs(v - Math.round(v)) < tolerance;
  return scale >= 1 - 1e-6 && whole(scale, 1e-6) && whole(origin.x, 1e-3) && whole(origin.y, 1e-3);
}

/** A rectangle of `item`'s pixels on the drawer canvas, in device pixels (to draw over the image). */
export function imageRectOnCanvas(
  osd: Osd,
  viewer: OpenSeadragon.Viewer,
  item: OpenSeadragon.TiledImage,
  r: { x: number; y: number; width: number; height: number },
): { x: number; y: number; width: number; height: number } {
  const box = viewer.viewport.viewportToViewerElementRectangle(item.imageToViewportRectangle(r.x, r.y, r.width, r.height));
  const d = osd.pixelDensityRatio;
  return { x: box.x * d, y: box.y * d, width: box.width * d, height: box.height * d };
}
