// A thumbnail of each step's output: while the pointer is over a step's card, or the keyboard is in
// it, the card shows what the pipeline gives up to that step (bypassed steps left out), computed
// by the preview workers on a small copy of the image and kept per step until the image changes.

import { h } from "./dom.ts";
import type { Pixels } from "./preview-protocol.ts";

export interface StepThumbSource {
  /** What runs up to and including step `index`; null while the pipeline has an error. */
  prefix(index: number): string | null;
  op(index: number): string | undefined;
  thumbnail(pipeline: string): Promise<Pixels>;
  readonly hasImage: boolean;
}

export class StepThumbs {
  private readonly canvas = h("canvas", { attrs: { role: "img" } });
  private readonly caption = h("figcaption", { class: "small" });
  private readonly figure = h("figure", { class: "step-thumb", attrs: { id: "step-thumb" } }, this.canvas, this.caption);
  private card: HTMLElement | null = null;
  /** Bumped by every show and hide: a thumbnail that arrives for an older one is dropped. */
  private token = 0;

  constructor(
    private readonly list: HTMLElement,
    private readonly source: StepThumbSource,
  ) {
    list.addEventListener("pointerover", (e) => {
      const card = this.cardOf(e.target);
      if (card && card !== this.card && e.pointerType !== "touch") this.show(card);
    });
    list.addEventListener("pointerleave", () => {
      if (!list.contains(document.activeElement)) this.hide();
    });
    list.addEventListener("focusin", (e) => {
      const card = this.cardOf(e.target);
      if (card && card !== this.card) this.show(card);
    });
    list.addEventListener("focusout", (e) => {
      if (!list.contains(e.relatedTarget as Node | null) && !list.matches(":hover")) this.hide();
    });
    list.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.card) this.hide();
    });
  }

  /** The pipeline or the image changed: the thumbnail shown follows. */
  refresh(): void {
    const card = this.card;
    if (card?.isConnected) this.show(card);
    else this.hide();
  }

  hide(): void {
    this.token++;
    this.card = null;
    this.figure.remove();
  }

  private cardOf(target: EventTarget | null): HTMLElement | null {
    const card = target instanceof Element ? target.closest<HTMLElement>("li.step") : null;
    return card && card.parentElement === this.list ? card : null;
  }

  private show(card: HTMLElement): void {
    const token = ++this.token;
    this.card = card;
    const index = [...this.list.children].indexOf(card);
    if (this.figure.parentElement !== card) card.append(this.figure);
    const label = `Output after step ${index + 1} (${this.source.op(index) ?? "?"})`;
    const pipeline = this.source.prefix(index);
    this.figure.dataset.pipeline = pipeline ?? "";
    if (!this.source.hasImage || pipeline === null) {
      this.state(
        "empty",
        this.source.hasImage ? "Fix the pipeline to see each step's output." : "Pick an image to see each step's output.",
      );
      return;
    }
    this.state("busy", label);
    this.source.thumbnail(pipeline).then(
      (pixels) => {
        if (token !== this.token) return;
        this.canvas.width = pixels.width;
        this.canvas.height = pixels.height;
        const image = new ImageData(pixels.data as Uint8ClampedArray<ArrayBuffer>, pixels.width, pixels.height);
        this.canvas.getContext("2d")?.putImageData(image, 0, 0);
        this.state("ready", label);
      },
      (err: unknown) => {
        if (token === this.token) this.state("error", `No thumbnail: ${(err as Error).message}`);
      },
    );
  }

  private state(state: "empty" | "busy" | "ready" | "error", text: string): void {
    this.figure.dataset.state = state;
    this.canvas.hidden = state !== "ready" && state !== "busy";
    this.canvas.setAttribute("aria-label", text);
    this.caption.textContent = text;
  }
}
