// The heatmap's colour bar: the overlay's colormap from 0 to 1 with two scales, the scaled value
// the colours stand for (0–1: the CAM divided by its range) and the raw CAM value before that
// scaling (the map's own minimum and maximum). The gradient indexes the same LUT as the overlay
// (protocol/colormaps.ts), so a colour in the picture reads off the bar directly.
import { lutIndex, type CamRange, type Lut } from "../protocol";
import { h } from "../dom";
import { formatCompact, formatFull } from "../format";

/** Where a colour bar label sits (0 = left end, 0.5 = middle, 1 = right end), and what it says. */
export interface BarLabel {
  at: number;
  text: string;
  /** The label's exact value (the hover text). */
  full: string;
}

/** The labels of both scales: scaled 0, 0.5, 1 and, when the range is known, the raw values there. */
export function colourBarLabels(range: CamRange | null): { scaled: BarLabel[]; raw: BarLabel[] | null } {
  const stops = [0, 0.5, 1];
  const scaled = stops.map((at) => ({ at, text: String(at), full: String(at) }));
  if (!range) return { scaled, raw: null };
  // The scaling is linear: scaled s is raw min + s * (max − min).
  const raw = stops.map((at) => {
    const v = at === 0 ? range.min : at === 1 ? range.max : range.min + (range.max - range.min) * at;
    return { at, text: formatCompact(v), full: formatFull(v) };
  });
  return { scaled, raw };
}

/** RGBA pixels of a horizontal gradient `width` × `height`: column x has the LUT's colour of x / (width − 1). */
export function colourBarPixels(lut: Lut, width: number, height: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let x = 0; x < width; x++) {
    const c = lutIndex(width === 1 ? 0 : x / (width - 1)) * 3;
    for (let y = 0; y < height; y++) {
      const i = (y * width + x) * 4;
      out[i] = lut[c];
      out[i + 1] = lut[c + 1];
      out[i + 2] = lut[c + 2];
      out[i + 3] = 255;
    }
  }
  return out;
}

/** The colour bar under a heatmap pane (labels are text, so they follow the theme by CSS). */
export class ColourBar {
  readonly node = h("div", { cls: "camlab-colorbar", testid: "camlab-colorbar" });
  /** 256 × 1: one pixel per LUT entry, stretched by CSS. */
  readonly canvas = h("canvas", { cls: "camlab-colorbar-canvas", testid: "camlab-colorbar-canvas", attrs: { role: "img" } });
  private readonly scaledRow = h("div", { cls: "camlab-colorbar-row", testid: "camlab-colorbar-scaled" });
  private readonly rawRow = h("div", { cls: "camlab-colorbar-row", testid: "camlab-colorbar-raw" });
  private range: CamRange | null = null;

  constructor() {
    this.canvas.width = 256;
    this.canvas.height = 1;
    this.node.append(this.scaledRow, this.canvas, this.rawRow);
  }

  /** The raw value range of the CAM shown (null when the output did not carry it). */
  get rawRange(): CamRange | null {
    return this.range;
  }

  /** Shows the scales of a CAM whose values ran from range.min to range.max before scaling. */
  setRange(range: CamRange | null): void {
    this.range = range;
    const { scaled, raw } = colourBarLabels(range);
    fillRow(this.scaledRow, "scaled", scaled, "scaled");
    if (raw) fillRow(this.rawRow, "raw", raw, "raw");
    else {
      this.rawRow.replaceChildren(h("span", { cls: "camlab-colorbar-name", text: "raw range not in this output (re-run the cell)" }));
    }
    this.canvas.setAttribute("aria-label", raw ? `colour bar: scaled 0 to 1, raw ${raw[0].full} to ${raw[2].full}` : "colour bar: scaled 0 to 1");
    this.node.dataset.rawMin = range ? String(range.min) : "";
    this.node.dataset.rawMax = range ? String(range.max) : "";
  }

  /** Draws the gradient with `lut` (the overlay's colormap). */
  draw(lut: Lut): void {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    const img = ctx.createImageData(this.canvas.width, this.canvas.height);
    img.data.set(colourBarPixels(lut, this.canvas.width, this.canvas.height));
    ctx.putImageData(img, 0, 0);
  }
}

function fillRow(row: HTMLElement, name: string, labels: readonly BarLabel[], testid: string): void {
  // The ticks span the gradient's width: min under its left end, max under its right end.
  const ticks = h("span", { cls: "camlab-colorbar-ticks" });
  row.replaceChildren(h("span", { cls: "camlab-colorbar-name", text: name }), ticks);
  ticks.append(
    ...labels.map((l) =>
      h("span", {
        cls: "camlab-colorbar-label",
        testid: `camlab-colorbar-${testid}-${l.at === 0 ? "min" : l.at === 1 ? "max" : "mid"}`,
        text: l.text,
        title: `${name} ${l.full}`,
        data: { value: l.full },
      }),
    ),
  );
}
