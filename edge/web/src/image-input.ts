// Picking the image: the file input, a drop anywhere on the page, or a paste. The file is decoded,
// scaled down to preview size on #original, and handed on with its own size.

import { byId, showError } from "./dom.ts";
import { fitWithin } from "./geometry.ts";

export interface PickedImage {
  /** Sent as is when the job is submitted: the cluster processes the full resolution. */
  file: File;
  /** The preview-size pixels the workers process and the job's tile grid is drawn over. */
  pixels: ImageData;
  width: number;
  height: number;
}

async function decode(blob: Blob): Promise<{ source: CanvasImageSource; width: number; height: number }> {
  try {
    const bitmap = await createImageBitmap(blob);
    return { source: bitmap, width: bitmap.width, height: bitmap.height };
  } catch {
    // Some formats (SVG) decode only through an <img>.
    const url = URL.createObjectURL(blob);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return { source: img, width: img.naturalWidth, height: img.naturalHeight };
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

export function watchImageInput(onImage: (image: PickedImage) => void): void {
  const stage = byId("stage");
  const original = byId<HTMLCanvasElement>("original");
  const fileInput = byId<HTMLInputElement>("file");

  async function loadFile(picked: File): Promise<void> {
    showError("image-error", null);
    let decoded: Awaited<ReturnType<typeof decode>>;
    try {
      decoded = await decode(picked);
    } catch {
      showError("image-error", `${picked.name || "This file"} is not an image this browser can read.`);
      return;
    }
    if (!decoded.width || !decoded.height) {
      showError("image-error", `${picked.name || "This file"} has no pixels.`);
      return;
    }
    const size = fitWithin(decoded.width, decoded.height);
    original.width = size.width;
    original.height = size.height;
    const ctx = original.getContext("2d", { willReadFrequently: true });
    if (!ctx) return;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(decoded.source, 0, 0, size.width, size.height);
    if ("close" in decoded.source) (decoded.source as ImageBitmap).close();
    const pixels = ctx.getImageData(0, 0, size.width, size.height);
    stage.hidden = false;
    stage.style.aspectRatio = `${size.width} / ${size.height}`;
    byId("drop-hint").hidden = true;
    byId("pick-again").hidden = false;
    byId<HTMLInputElement>("compare").disabled = false;
    byId("image-info").textContent = `${picked.name ? `${picked.name} · ` : ""}${decoded.width}×${decoded.height}`;
    onImage({ file: picked, pixels, width: decoded.width, height: decoded.height });
  }

  fileInput.addEventListener("change", () => {
    const picked = fileInput.files?.[0];
    if (picked) void loadFile(picked);
  });
  byId("pick").addEventListener("click", () => fileInput.click());
  byId("pick-again").addEventListener("click", () => fileInput.click());

  // Drop anywhere on the page; paste works too.
  let dragDepth = 0;
  document.addEventListener("dragenter", (e) => {
    if (!e.dataTransfer?.types.includes("Files")) return;
    dragDepth++;
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) document.body.classList.remove("dragging");
  });
  document.addEventListener("dragover", (e) => {
    if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
  });
  document.addEventListener("drop", (e) => {
    dragDepth = 0;
    document.body.classList.remove("dragging");
    const dropped = [...(e.dataTransfer?.files ?? [])].find((f) => f.type.startsWith("image/")) ?? e.dataTransfer?.files[0];
    if (!dropped) return;
    e.preventDefault();
    void loadFile(dropped);
  });
  document.addEventListener("paste", (e) => {
    const pasted = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
    if (pasted) void loadFile(pasted);
  });
}
