// Export of what the heatmap shows as a labelled figure: for each pane (one, or two side by side)
// the image with its overlay, the colour bar with its raw and scaled ends, and a caption naming
// the method, layer, class and score; saved as a PNG with a name that says the same.
// A figure is a file, not chrome: it is drawn dark on white whatever the theme.
import type { CamRange, Lut } from "../protocol";
import { formatCompact } from "../format";
import { colourBarLabels, colourBarPixels } from "./ColourBar";
import type { CamChoice } from "./CamPane";

/** One pane of the figure: what it explains, its class's score, its pixels and its scale. */
export interface FigurePanel {
  choice: CamChoice;
  /** The class's probability and the model's raw output for it; null when the class is not in the listed predictions. */
  score: { probability: number; raw: number } | null;
  /** The pane's canvas (image with overlay). */
  canvas: HTMLCanvasElement;
  lut: Lut;
  range: CamRange | null;
}

/** The caption lines of a panel: method and layer, then class and score. */
export function figureCaptionLines(choice: CamChoice, score: FigurePanel["score"]): string[] {
  const cls = `class ${choice.label ? `"${choice.label}" ` : ""}(${choice.classIndex})`;
  // Three decimals, or two significant digits below 0.01 (p = 0.0014, not 0.001).
  const p = score && (score.probability >= 0.01 ? score.probability.toFixed(3) : score.probability.toPrecision(2));
  const s = score ? ` · p = ${p} · score ${formatCompact(score.raw)}` : "";
  return [`${choice.method} · layer ${choice.layer}`, `${cls}${s}`];
}

/** A file-name part: letters, digits, ".", "-" kept; every other run becomes "_" (none at the ends). */
export function fileNamePart(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, "_").replace(/^[_.]+|_+$/g, "");
}

/**
 * A descriptive, safe file name for the figure: camlab-<method>-<layer>-<class>-<probability>.png
 * (probabilityText) per pane, panes joined by "-vs-", at most 150 characters before ".png".
 * @example figureFileName([{ choice: { method: "gradcam", layer: "out_relu", classIndex: 281, label: "tabby cat" }, score: { probability: 0.8712, raw: 9.1 } }])
 *   // "camlab-gradcam-out_relu-tabby_cat-0.87.png"
 */
export function figureFileName(panels: ReadonlyArray<Pick<FigurePanel, "choice" | "score">>): string {
  const panes = panels.map(({ choice, score }) =>
    [choice.method, choice.layer, choice.label ? choice.label : `class${choice.classIndex}`, score ? probabilityText(score.probability) : ""].map(fileNamePart).filter(Boolean).join("-"),
  );
  const stem = ["camlab", panes.filter(Boolean).join("-vs-")].filter(Boolean).join("-").slice(0, 150).replace(/[-_.]+$/, "");
  return `${stem}.png`;
}

/** A probability for a file name: 2 decimals, or 2 significant digits below 0.01 (0.0034, not 0.00). */
export function probabilityText(p: number): string {
  return p >= 0.01 || p === 0 ? p.toFixed(2) : p.toPrecision(2);
}

/** The part of a 2-D context the figure draws with (a fake one measures text in unit tests). */
type FigureContext = Pick<CanvasRenderingContext2D, "measureText">;

/** Splits `text` into lines no wider than `width` (at spaces; a word wider than a line stays whole). */
export function wrapText(ctx: FigureContext, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

const FONT_PX = 13;
const LINE = 18;
const PAD = 12;
const BAR_H = 14;
const INK = "#1a1a1a";
const MUTED = "#555555";

/** The labelled figure of the panels, side by side: image, colour bar with both scales, caption. */
export function composeFigure(panels: readonly FigurePanel[]): HTMLCanvasElement {
  const out = document.createElement("canvas");
  const ctx = out.getContext("2d");
  if (!ctx) throw new Error("the browser gave no 2-D canvas to draw the figure on");
  ctx.font = `${FONT_PX}px sans-serif`;
  const colWidth = Math.max(280, ...panels.map((p) => p.canvas.width));
  const captions = panels.map((p) => figureCaptionLines(p.choice, p.score).flatMap((l) => wrapText(ctx, l, colWidth)));
  const imageH = Math.max(...panels.map((p) => p.canvas.height));
  // Under the image: scaled ticks, the bar, raw ticks, a gap, the caption.
  const barTop = PAD + imageH + 6 + LINE;
  const captionTop = barTop + BAR_H + LINE + 10;
  out.width = PAD + panels.length * (colWidth + PAD);
  out.height = captionTop + Math.max(...captions.map((c) => c.length)) * LINE + PAD;
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, out.width, out.height);
  panels.forEach((p, i) => {
    const x = PAD + i * (colWidth + PAD);
    ctx.drawImage(p.canvas, x, PAD);
    const barW = colWidth - 50; // room for the scale's name after the bar
    const bar = ctx.createImageData(barW, BAR_H);
    bar.data.set(colourBarPixels(p.lut, barW, BAR_H));
    ctx.putImageData(bar, x, barTop);
    const { scaled, raw } = colourBarLabels(p.range);
    ctx.font = `${FONT_PX - 2}px sans-serif`;
    ctx.fillStyle = MUTED;
    drawTicks(ctx, scaled.map((l) => [l.at, l.text]), x, barW, barTop - 4, "scaled");
    drawTicks(ctx, raw ? raw.map((l) => [l.at, l.text]) : [[0.5, "raw range unknown"]], x, barW, barTop + BAR_H + LINE - 4, "raw");
    ctx.font = `${FONT_PX}px sans-serif`;
    ctx.fillStyle = INK;
    captions[i].forEach((line, k) => ctx.fillText(line, x, captionTop + (k + 1) * LINE - 5));
  });
  return out;
}

/** Tick labels at fractions of the bar (ends aligned to the bar's ends), the scale's name after it. */
function drawTicks(ctx: CanvasRenderingContext2D, ticks: ReadonlyArray<readonly [number, string]>, x: number, width: number, baseline: number, name: string): void {
  for (const [at, text] of ticks) {
    ctx.textAlign = at === 0 ? "left" : at === 1 ? "right" : "center";
    ctx.fillText(text, x + at * width, baseline);
  }
  ctx.textAlign = "left";
  ctx.fillText(name, x + width + 6, baseline);
}

/** Saves `canvas` as a PNG download named `fileName`; resolves to the PNG's size in bytes. */
export function downloadCanvas(canvas: HTMLCanvasElement, fileName: string): Promise<number> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob) {
        reject(new Error("the browser could not encode the canvas as PNG"));
        return;
      }
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = fileName;
      a.style.display = "none";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      resolve(blob.size);
    }, "image/png");
  });
}
