// Notebook displays in HTML and images: a picture, a captioned gallery, a table, token chips, a
// confusion matrix. Each follows the rich display protocol (a method under
// Symbol.for("Jupyter.display") returning a MIME bundle), always with a text/plain fallback so a
// terminal or a diff still says what was shown.
import * as jpeg from "jpeg-js";
import { JUPYTER_DISPLAY } from "../display/mime";
import { pngBase64 } from "../views/raster";
import { cssColor, diverging, shade, type Pixels } from "./pixels";

const DISPLAY = JUPYTER_DISPLAY;

/** Escapes text for HTML markup and attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Photos travel as JPEG (a tenth of the PNG size in the saved notebook); maps as PNG (exact colours). */
export type ImageFormat = "png" | "jpeg";

export function jpegBase64(p: Pixels, quality = 88): string {
  const rgba = new Uint8Array(p.width * p.height * 4);
  for (let i = 0; i < p.width * p.height; i++) {
    rgba[4 * i] = p.data[3 * i]; rgba[4 * i + 1] = p.data[3 * i + 1]; rgba[4 * i + 2] = p.data[3 * i + 2]; rgba[4 * i + 3] = 255;
  }
  return Buffer.from(jpeg.encode({ data: rgba, width: p.width, height: p.height }, quality).data).toString("base64");
}

/** The encoded bytes of pixels (PNG or JPEG): what an Image widget's `value` takes. */
export function imageBytes(p: Pixels, format: ImageFormat = "png"): Uint8Array {
  return new Uint8Array(Buffer.from(encoded(p, format).base64, "base64"));
}

function encoded(p: Pixels, format: ImageFormat): { mime: string; base64: string } {
  return format === "jpeg" ? { mime: "image/jpeg", base64: jpegBase64(p) } : { mime: "image/png", base64: pngBase64(p) };
}

/** One image (image/png, or image/jpeg for photos). */
export function picture(p: Pixels, caption = "", format: ImageFormat = "png"): object {
  const { mime, base64 } = encoded(p, format);
  return {
    [DISPLAY]: () => ({ [mime]: base64, "text/plain": `<picture ${p.width}×${p.height}${caption ? `: ${caption}` : ""}>` }),
  };
}

/** An HTML display: `html` is its markup (to compose several into one display), `text` its plain form. */
export interface HtmlView {
  readonly html: string;
  readonly text: string;
}

function htmlView(markup: string, text: string): HtmlView {
  return { html: markup, text, [DISPLAY]: () => ({ "text/html": markup, "text/plain": text }) } as HtmlView;
}

/** Any HTML (with its text/plain form) as a display object; pair it with display handles to update it. */
export function html(markup: string, text: string): HtmlView {
  return htmlView(markup, text);
}

/** One image of a gallery. */
export interface GalleryItem {
  pixels: Pixels;
  caption?: string;
  /** Default "png"; "jpeg" for photos and overlays on photos. */
  format?: ImageFormat;
}

export interface GalleryOptions {
  title?: string;
  /** Items per row (default: all in one row). */
  columns?: number;
  /** Labels for the rows, shown at the left. */
  rowLabels?: string[];
  /** Displayed width of each tile in CSS pixels (default: its pixel width). */
  tileWidth?: number;
}

/** Captioned images in a grid: text/html (images inline as data URIs) + text/plain (the captions). */
export function gallery(items: GalleryItem[], options: GalleryOptions = {}): HtmlView {
  const columns = options.columns ?? items.length;
  const rows: GalleryItem[][] = [];
  for (let i = 0; i < items.length; i += columns) rows.push(items.slice(i, i + columns));
  const cell = (it: GalleryItem) => {
    const width = options.tileWidth ?? it.pixels.width;
    const { mime, base64 } = encoded(it.pixels, it.format ?? "png");
    return `<td style="text-align:center;vertical-align:top;padding:4px"><img src="data:${mime};base64,${base64}" width="${width}"/>` +
      `<div style="font-size:12px;line-height:1.3;max-width:${Math.max(width, 80)}px">${escapeHtml(it.caption ?? "").replace(/\n/g, "<br/>")}</div></td>`;
  };
  const html = `<div>${options.title ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(options.title)}</div>` : ""}<table style="border-collapse:collapse">` +
    rows.map((r, i) => `<tr>${options.rowLabels ? `<th style="text-align:right;padding-right:8px">${escapeHtml(options.rowLabels[i] ?? "")}</th>` : ""}${r.map(cell).join("")}</tr>`).join("") +
    `</table></div>`;
  const text = `${options.title ? options.title + "\n" : ""}` + rows.map((r, i) => `${options.rowLabels ? (options.rowLabels[i] ?? "") + ": " : ""}${r.map((it) => `[${(it.caption ?? "").replace(/\n/g, " ")}]`).join(" ")}`).join("\n");
  return htmlView(html, text);
}

export interface TableOptions {
  title?: string;
  /** Significant decimals for numbers (default 3). */
  digits?: number;
  /** Colour the cells of these numeric columns by value (viridis, per column). */
  shade?: string[];
}

function formatValue(v: unknown, digits: number): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits);
  return v == null ? "" : String(v);
}

/** Rows of plain values as an HTML table (+ aligned text/plain). */
export function table(rows: Record<string, unknown>[], options: TableOptions = {}): HtmlView {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const digits = options.digits ?? 3;
  const ranges = new Map<string, [number, number]>();
  for (const c of options.shade ?? []) {
    const v = rows.map((r) => r[c]).filter((x): x is number => typeof x === "number" && Number.isFinite(x));
    ranges.set(c, [Math.min(...v), Math.max(...v)]);
  }
  const td = (c: string, v: unknown) => {
    const rg = ranges.get(c);
    let style = `padding:2px 8px;text-align:${typeof v === "number" ? "right" : "left"}`;
    if (rg && typeof v === "number" && Number.isFinite(v)) {
      const t = rg[1] > rg[0] ? (v - rg[0]) / (rg[1] - rg[0]) : 0.5;
      style += `;background:${cssColor(shade(t))};color:${t > 0.6 ? "black" : "white"}`;
    }
    return `<td style="${style}">${escapeHtml(formatValue(v, digits))}</td>`;
  };
  const html = `<div>${options.title ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(options.title)}</div>` : ""}<table>` +
    `<thead><tr>${cols.map((c) => `<th style="padding:2px 8px">${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${cols.map((c) => td(c, r[c])).join("")}</tr>`).join("") + `</tbody></table></div>`;
  const cells = rows.map((r) => cols.map((c) => formatValue(r[c], digits)));
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const line = (vals: string[]) => vals.map((v, j) => v.padStart(widths[j])).join("  ");
  const text = `${options.title ? options.title + "\n" : ""}${line(cols)}\n${cells.map(line).join("\n")}`;
  return htmlView(html, text);
}

/** Tokens as coloured chips (blue = against, red = for the class), with the value under each. */
export function tokenChips(tokens: string[], scores: number[], title = ""): HtmlView {
  const bound = Math.max(...scores.map(Math.abs)) || 1;
  const chips = tokens.map((t, i) => {
    const s = scores[i] / bound;
    return `<span style="display:inline-block;margin:2px;padding:3px 6px;border-radius:4px;background:${cssColor(diverging(s))};color:black;font-family:monospace;text-align:center">` +
      `${escapeHtml(t)}<br/><small>${scores[i] >= 0 ? "+" : ""}${scores[i].toFixed(2)}</small></span>`;
  }).join("");
  const html = `<div>${title ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(title)}</div>` : ""}${chips}</div>`;
  const text = `${title ? title + ": " : ""}${tokens.map((t, i) => `${t}(${scores[i] >= 0 ? "+" : ""}${scores[i].toFixed(2)})`).join(" ")}`;
  return htmlView(html, text);
}

/** A confusion matrix (rows: true class, columns: predicted) with off-diagonal cells shaded by count. */
export function confusionMatrix(counts: number[][], labels: string[], title = ""): HtmlView {
  const off = counts.flatMap((r, i) => r.filter((_, j) => j !== i));
  const max = Math.max(1, ...off);
  const cell = (v: number, i: number, j: number) => {
    const style = i === j ? "background:#e8e8e8;color:#555" : v > 0 ? `background:${cssColor(shade(v / max))};color:${v / max > 0.6 ? "black" : "white"};font-weight:bold` : "color:#bbb";
    return `<td style="padding:3px 7px;text-align:right;${style}">${v}</td>`;
  };
  const html = `<div>${title ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(title)}</div>` : ""}<table style="border-collapse:collapse">` +
    `<tr><th style="padding:3px 7px">true ↓ / predicted →</th>${labels.map((l) => `<th style="padding:3px 7px">${escapeHtml(l)}</th>`).join("")}</tr>` +
    counts.map((r, i) => `<tr><th style="padding:3px 7px">${escapeHtml(labels[i])}</th>${r.map((v, j) => cell(v, i, j)).join("")}</tr>`).join("") + `</table></div>`;
  const text = `${title ? title + "\n" : ""}` + counts.map((r, i) => `${labels[i]}: ${r.join(" ")}`).join("\n");
  return htmlView(html, text);
}

