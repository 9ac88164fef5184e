// One page of a confusion cell's examples: a thumbnail per kept input (RGB from the kernel, drawn
// at its own size and enlarged by CSS), the true and predicted probabilities and the margin, and
// Previous/Next. A click (or Enter) on an example opens its CAM pair.
import { blendInto, colormap, type ConfusionItem, type OpResults } from "../protocol";
import { clear, h } from "../dom";
import { WorkIndicator } from "../progress";

/** Draws RGB bytes on a canvas: the shared blend at opacity 0 is the picture itself. */
export function paintRgb(canvas: HTMLCanvasElement, width: number, height: number, rgb: Uint8Array): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const img = ctx.createImageData(width, height);
  blendInto(img.data, rgb, new Float32Array(width * height), colormap("gray"), 0);
  ctx.putImageData(img, 0, 0);
}

export class ConfusionGallery {
  readonly node = h("div", { cls: "camlab-confusion-gallery", testid: "camlab-confusion-gallery" });
  readonly work = new WorkIndicator();
  private readonly title = h("div", { cls: "camlab-subtitle", testid: "camlab-confusion-gallery-title" });
  private readonly grid = h("div", { cls: "camlab-confusion-thumbs", testid: "camlab-confusion-thumbs" });
  private readonly prev = h("button", { cls: "camlab-button", testid: "camlab-confusion-prev", text: "‹ Previous", attrs: { type: "button" } });
  private readonly next = h("button", { cls: "camlab-button", testid: "camlab-confusion-next", text: "Next ›", attrs: { type: "button" } });
  private readonly pageText = h("span", { cls: "camlab-caption", testid: "camlab-confusion-page" });
  private shown: OpResults["confusion.cell"] | null = null;

  constructor(
    private readonly labels: readonly string[],
    private readonly pageSize: number,
    private readonly onPage: (truth: number, predicted: number, offset: number) => void,
    private readonly onPick: (item: ConfusionItem) => void,
  ) {
    this.node.append(this.title, h("div", { cls: "camlab-toolbar" }, [this.prev, this.pageText, this.next]), this.work.node, this.grid);
    this.prev.addEventListener("click", () => this.shown && this.onPage(this.shown.truth, this.shown.predicted, Math.max(0, this.shown.offset - this.pageSize)));
    this.next.addEventListener("click", () => this.shown && this.onPage(this.shown.truth, this.shown.predicted, this.shown.offset + this.pageSize));
    this.node.hidden = true;
  }

  show(page: OpResults["confusion.cell"], thumbs: Uint8Array): void {
    this.shown = page;
    this.node.hidden = false;
    const { truth, predicted, size, offset, items, thumb } = page;
    const mistake = truth !== predicted;
    this.title.textContent = `${size} example${size === 1 ? "" : "s"} of true ${this.labels[truth]} predicted as ${this.labels[predicted]}` +
      (mistake ? " — most confident mistakes first (margin = p(predicted) − p(true))" : " — closest calls first (margin = p(true) − p(runner-up))");
    this.node.dataset.truth = String(truth);
    this.node.dataset.predicted = String(predicted);
    this.node.dataset.size = String(size);
    this.node.dataset.offset = String(offset);
    this.pageText.textContent = size ? `${offset + 1}–${offset + items.length} of ${size}` : "none";
    this.prev.disabled = offset === 0;
    this.next.disabled = offset + items.length >= size;
    clear(this.grid);
    const per = thumb.width * thumb.height * 3;
    let j = 0;
    for (const item of items) {
      const canvas = h("canvas", { cls: "camlab-confusion-thumb-canvas", testid: "camlab-confusion-thumb-canvas" });
      if (item.kept) {
        paintRgb(canvas, thumb.width, thumb.height, thumbs.subarray(j * per, (j + 1) * per));
        j++;
      }
      const caption = mistake
        ? `#${item.index} · p(${this.labels[truth]}) ${item.pTrue.toFixed(3)} · p(${this.labels[predicted]}) ${item.pPredicted.toFixed(3)} · margin ${item.margin.toFixed(3)}`
        : `#${item.index} · p(${this.labels[truth]}) ${item.pTrue.toFixed(3)} · margin ${item.margin.toFixed(3)} over the runner-up`;
      const button = h("button", {
        cls: "camlab-confusion-thumb",
        testid: "camlab-confusion-thumb",
        title: item.kept ? `${caption} — show its CAMs` : `${caption} — its input was not kept (the kernel keeps the mistakes' inputs; keep: "all" keeps every input)`,
        data: { index: String(item.index), kept: String(item.kept) },
        attrs: { type: "button" },
      }, [item.kept ? canvas : h("span", { cls: "camlab-confusion-thumb-missing", text: "not kept" }), h("span", { cls: "camlab-caption", text: caption })]);
      button.disabled = !item.kept;
      button.addEventListener("click", () => this.onPick(item));
      this.grid.appendChild(button);
    }
    if (items.length === 0) this.grid.appendChild(h("div", { cls: "camlab-hint", text: "This cell is empty." }));
  }
}
