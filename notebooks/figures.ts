// Helpers for the camlab teaching notebooks: read numbers out of tensors, and turn tensors and
// numbers into things a notebook shows (PNG/JPEG images, labelled galleries, tables, SVG charts).
// Nothing here computes a CAM — the notebooks do that with camlab; this file only reads and draws. Every display object follows the
// rich display protocol: a method under Symbol.for("Jupyter.display") returning a MIME bundle,
// always with a text/plain fallback so a terminal or a diff still says what was shown.
import * as tf from "@tensorflow/tfjs";
import { colorAt, pngBase64 } from "camlab";
import * as jpeg from "jpeg-js";

const DISPLAY = Symbol.for("Jupyter.display");

/** 8-bit RGB pixels, row-major, width*height*3 bytes. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Reading numbers. Always asynchronous: a GPU backend (WebGPU) cannot read synchronously
// (dataSync/arraySync), and the same notebook should run on every backend.

/** The values of the tensor `compute` returns (run inside tf.tidy, then freed). */
export async function values(compute: () => tf.Tensor): Promise<number[]> {
  const t = tf.tidy(compute);
  try {
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

/** The first value of the tensor `compute` returns (a scalar, typically). */
export async function value(compute: () => tf.Tensor): Promise<number> {
  return (await values(compute))[0];
}

// ---------------------------------------------------------------------------------------------
// Colours

// viridis (perceptually ordered, colour-blind safe) is the shared core's table; PNG encoding is camlab's.
export { pngBase64 };
export const viridis = (t: number): [number, number, number] => colorAt("viridis", t);

/** Blue (−1) → white (0) → red (+1), for signed numbers such as gradients. */
export function diverging(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(-1, Number.isFinite(t) ? t : 0));
  const end = x < 0 ? [33, 102, 172] : [178, 24, 43];
  const a = Math.abs(x);
  return [255 + (end[0] - 255) * a, 255 + (end[1] - 255) * a, 255 + (end[2] - 255) * a];
}

export function cssColor([r, g, b]: [number, number, number]): string {
  return `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
}

// ---------------------------------------------------------------------------------------------
// Tensors → pixels

function hwc(t: tf.Tensor, what: string): [number, number, number] {
  const s = t.shape;
  if (s.length === 2) return [s[0], s[1], 1];
  if (s.length === 3) return [s[0], s[1], s[2]];
  if (s.length === 4 && s[0] === 1) return [s[1], s[2], s[3]];
  throw new Error(`figures.${what}: expected [h, w], [h, w, c] or [1, h, w, c], got [${s.join(", ")}]`);
}

/** Height and width of a single-channel map: [h, w], [h, w, 1], [1, h, w] (one CAM of a batch) or [1, h, w, 1]. */
function mapHW(t: tf.Tensor, what: string): [number, number] {
  const s = t.shape;
  if (s.length === 2) return [s[0], s[1]];
  if (s.length === 3 && s[2] === 1) return [s[0], s[1]];
  if (s.length === 3 && s[0] === 1) return [s[1], s[2]];
  if (s.length === 4 && s[0] === 1 && s[3] === 1) return [s[1], s[2]];
  throw new Error(`figures.${what}: expected one map [h, w], [h, w, 1], [1, h, w] or [1, h, w, 1], got [${s.join(", ")}]`);
}

/** A photo-like tensor (values 0–1 or 0–255, 1 or 3 channels) as pixels. */
export async function imagePixels(image: tf.Tensor): Promise<Pixels> {
  const [h, w, c] = hwc(image, "imagePixels");
  if (c !== 1 && c !== 3) throw new Error(`figures.imagePixels: 1 or 3 channels, got ${c}`);
  const v = await image.data();
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, v[i]);
  const k = max <= 1 ? 255 : 1;
  const data = new Uint8Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) data[3 * p + ch] = Math.max(0, Math.min(255, Math.round(v[p * c + (c === 1 ? 0 : ch)] * k)));
  }
  return { width: w, height: h, data };
}

export interface MapOptions {
  /** Value range mapped to the ends of the colormap; default: the map's own min and max. */
  range?: [number, number];
  /** "viridis" (default) for magnitudes, "diverging" for signed values (range symmetric about 0). */
  colormap?: "viridis" | "diverging";
}

function mapValuesToPixels(v: ArrayLike<number>, h: number, w: number, options: MapOptions): Pixels {
  let [lo, hi] = options.range ?? [Infinity, -Infinity];
  if (!options.range) for (let i = 0; i < h * w; i++) if (Number.isFinite(v[i])) { lo = Math.min(lo, v[i]); hi = Math.max(hi, v[i]); }
  const data = new Uint8Array(h * w * 3);
  const diverge = options.colormap === "diverging";
  const bound = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const span = hi - lo > 1e-12 ? hi - lo : 1;
  for (let i = 0; i < h * w; i++) {
    const c = diverge ? diverging(v[i] / bound) : viridis((v[i] - lo) / span);
    data[3 * i] = c[0]; data[3 * i + 1] = c[1]; data[3 * i + 2] = c[2];
  }
  return { width: w, height: h, data };
}

/** One map ([h, w], [h, w, 1], [1, h, w]) coloured by a colormap. */
export async function mapPixels(map: tf.Tensor, options: MapOptions = {}): Promise<Pixels> {
  const [h, w] = mapHW(map, "mapPixels");
  return mapValuesToPixels(await map.data(), h, w, options);
}

/** Blends a map in [0, 1] (resized bilinearly to the image first) over an image. */
export async function overlayPixels(image: Pixels, map: tf.Tensor, opacity = 0.5): Promise<Pixels> {
  const [h, w] = mapHW(map, "overlayPixels");
  const resized = tf.tidy(() => tf.image.resizeBilinear(tf.reshape(map, [1, h, w, 1]) as tf.Tensor4D, [image.height, image.width], false, true));
  const v = await resized.data();
  resized.dispose();
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < image.width * image.height; i++) {
    const c = viridis(v[i]);
    for (let k = 0; k < 3; k++) data[3 * i + k] = Math.round(image.data[3 * i + k] * (1 - opacity) + c[k] * opacity);
  }
  return { width: image.width, height: image.height, data };
}

/** Nearest-neighbour enlargement so small maps (7×7, 28×28) show as crisp blocks. */
export function enlarge(p: Pixels, factor: number): Pixels {
  const f = Math.max(1, Math.round(factor));
  if (f === 1) return p;
  const width = p.width * f, height = p.height * f, data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const s = (Math.floor(y / f) * p.width + Math.floor(x / f)) * 3, d = (y * width + x) * 3;
    data[d] = p.data[s]; data[d + 1] = p.data[s + 1]; data[d + 2] = p.data[s + 2];
  }
  return { width, height, data };
}


function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// ---------------------------------------------------------------------------------------------
// Displays

/** Photos travel as JPEG (a tenth of the PNG size in the saved notebook); maps as PNG (exact colours). */
export type ImageFormat = "png" | "jpeg";

export function jpegBase64(p: Pixels, quality = 88): string {
  const rgba = new Uint8Array(p.width * p.height * 4);
  for (let i = 0; i < p.width * p.height; i++) {
    rgba[4 * i] = p.data[3 * i]; rgba[4 * i + 1] = p.data[3 * i + 1]; rgba[4 * i + 2] = p.data[3 * i + 2]; rgba[4 * i + 3] = 255;
  }
  return Buffer.from(jpeg.encode({ data: rgba, width: p.width, height: p.height }, quality).data).toString("base64");
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
      style += `;background:${cssColor(viridis(t))};color:${t > 0.6 ? "black" : "white"}`;
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

// ---------------------------------------------------------------------------------------------
// SVG charts (labelled text, small in the saved notebook, rendered by every Jupyter front end)

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n, mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function tickLabel(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(0) : String(Number(v.toPrecision(4)));
}

interface Frame {
  width: number;
  height: number;
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  x: (v: number) => number;
  y: (v: number) => number;
  parts: string[];
}

function frame(opts: { width?: number; height?: number; title?: string; xLabel?: string; yLabel?: string; xRange: [number, number]; yRange: [number, number]; xTicks?: boolean; legendRows?: number }): Frame {
  const width = opts.width ?? 520, height = opts.height ?? 300;
  const left = 56, right = 14, top = opts.title ? 28 : 12, bottom = 44 + 16 * (opts.legendRows ?? 0);
  const plotW = width - left - right, plotH = height - top - bottom;
  const [x0, x1] = opts.xRange, [y0, y1] = opts.yRange;
  const x = (v: number) => left + ((v - x0) / (x1 - x0 || 1)) * plotW;
  const y = (v: number) => top + plotH - ((v - y0) / (y1 - y0 || 1)) * plotH;
  const parts: string[] = [`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`];
  if (opts.title) parts.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(opts.title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11">${tickLabel(t)}</text>`);
  }
  if (opts.xTicks !== false) {
    for (const t of niceTicks(x0, x1, 6)) parts.push(`<text x="${x(t)}" y="${top + plotH + 16}" text-anchor="middle" font-size="11">${tickLabel(t)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  if (opts.xLabel) parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 34}" text-anchor="middle" font-size="12">${escapeHtml(opts.xLabel)}</text>`);
  if (opts.yLabel) parts.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeHtml(opts.yLabel)}</text>`);
  return { width, height, left, top, plotW, plotH, x, y, parts };
}

/**
 * A chart: shows itself as an interactive plotly figure (application/vnd.plotly.v1+json, drawn by
 * the camlab extension in JupyterLab) with image/svg+xml as the fallback every viewer shows;
 * `svg` is the markup (e.g. for an <img> inside HTML).
 */
export interface Chart {
  readonly svg: string;
  readonly text: string;
  /** The plotly figure { data, layout }, when the chart has one. */
  readonly plotly?: { data: object[]; layout: object };
}

function svg(f: Frame, text: string, plotly?: { data: object[]; layout: object }): Chart {
  const body = `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="DejaVu Sans, Arial, sans-serif">${f.parts.join("")}</svg>`;
  const bundle = { ...(plotly ? { "application/vnd.plotly.v1+json": plotly } : {}), "image/svg+xml": body, "text/plain": text };
  return { svg: body, text, plotly, [DISPLAY]: () => bundle } as Chart;
}

/** The plotly layout matching a chart's options (same title, axis labels, size and range). */
function plotlyLayout(options: ChartOptions, extra: object = {}): object {
  return {
    ...(options.title ? { title: { text: options.title } } : {}),
    width: options.width ?? 520,
    height: options.height ?? 300,
    margin: { l: 56, r: 14, t: options.title ? 40 : 12, b: 44 },
    xaxis: { ...(options.xLabel ? { title: { text: options.xLabel } } : {}) },
    yaxis: { ...(options.yLabel ? { title: { text: options.yLabel } } : {}), ...(options.yRange ? { range: options.yRange } : {}) },
    colorway: PALETTE,
    ...extra,
  };
}

/** A chart as an <img> tag (data URI), to place a chart inside an HTML display. */
export function chartImg(chart: Chart): string {
  return `<img src="data:image/svg+xml;base64,${Buffer.from(chart.svg).toString("base64")}"/>`;
}

/** Any HTML (with its text/plain form) as a display object; pair it with display handles to update it. */
export function html(markup: string, text: string): HtmlView {
  return htmlView(markup, text);
}

function legend(f: Frame, names: string[]): void {
  const perRow = Math.max(1, Math.floor(f.plotW / 130));
  names.forEach((n, i) => {
    const lx = f.left + (i % perRow) * 130, ly = f.top + f.plotH + 50 + 16 * Math.floor(i / perRow);
    f.parts.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${lx + 16}" y="${ly}" font-size="11">${escapeHtml(n)}</text>`);
  });
}

export interface Series {
  name: string;
  x: number[];
  y: number[];
}

export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  yRange?: [number, number];
}

/** Lines (one per series) with a legend. */
export function lineChart(series: Series[], options: ChartOptions = {}): Chart {
  const xs = series.flatMap((s) => s.x), ys = series.flatMap((s) => s.y).filter(Number.isFinite);
  const yRange = options.yRange ?? [Math.min(0, ...ys), Math.max(...ys) * 1.05];
  const perRow = Math.max(1, Math.floor(((options.width ?? 520) - 70) / 130));
  const f = frame({ ...options, xRange: [Math.min(...xs), Math.max(...xs)], yRange, legendRows: series.length > 1 ? Math.ceil(series.length / perRow) : 0 });
  series.forEach((s, i) => {
    const pts = s.x.map((xv, j) => `${f.x(xv).toFixed(1)},${f.y(s.y[j]).toFixed(1)}`).join(" ");
    f.parts.push(`<polyline points="${pts}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2"/>`);
  });
  if (series.length > 1) legend(f, series.map((s) => s.name));
  const text = `${options.title ?? "line chart"}\n` + series.map((s) => `${s.name}: ${s.y.map((v) => tickLabel(v)).join(" ")}`).join("\n");
  return svg(f, text, {
    data: series.map((s) => ({ type: "scatter", mode: "lines", name: s.name, x: s.x, y: s.y })),
    layout: plotlyLayout(options, { showlegend: series.length > 1 }),
  });
}

/** Horizontal-axis categories, one bar per category (or a group of bars per category). */
export function barChart(categories: string[], groups: { name: string; values: number[] }[], options: ChartOptions = {}): Chart {
  const all = groups.flatMap((g) => g.values).filter(Number.isFinite);
  const yRange = options.yRange ?? [Math.min(0, ...all), Math.max(...all) * 1.05 || 1];
  const perRow = Math.max(1, Math.floor(((options.width ?? 520) - 70) / 130));
  const f = frame({ ...options, xRange: [0, categories.length], yRange, xTicks: false, legendRows: groups.length > 1 ? Math.ceil(groups.length / perRow) : 0 });
  const slot = f.plotW / categories.length, bw = (slot * 0.8) / groups.length;
  categories.forEach((c, i) => {
    groups.forEach((g, j) => {
      const v = g.values[i];
      if (!Number.isFinite(v)) return;
      const x = f.left + i * slot + slot * 0.1 + j * bw, y0 = f.y(Math.max(0, yRange[0])), y1 = f.y(v);
      f.parts.push(`<rect x="${x.toFixed(1)}" y="${Math.min(y0, y1).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${Math.abs(y1 - y0).toFixed(1)}" fill="${PALETTE[j % PALETTE.length]}"><title>${escapeHtml(`${c} ${g.name}: ${tickLabel(v)}`)}</title></rect>`);
    });
    f.parts.push(`<text x="${(f.left + (i + 0.5) * slot).toFixed(1)}" y="${f.top + f.plotH + 16}" text-anchor="middle" font-size="11">${escapeHtml(c)}</text>`);
  });
  if (groups.length > 1) legend(f, groups.map((g) => g.name));
  const text = `${options.title ?? "bar chart"}\n` + categories.map((c, i) => `${c}: ${groups.map((g) => `${groups.length > 1 ? g.name + " " : ""}${tickLabel(g.values[i])}`).join(", ")}`).join("\n");
  return svg(f, text, {
    data: groups.map((g) => ({ type: "bar", name: g.name, x: categories, y: g.values })),
    layout: plotlyLayout(options, { barmode: "group", showlegend: groups.length > 1 }),
  });
}

export interface SignalOptions extends ChartOptions {
  /** A value per time step in [0, 1] drawn as a coloured band under the signal (e.g. a 1-D CAM). */
  heat?: number[];
  /** [start, end) of a segment to mark (e.g. where the informative pattern really is). */
  segment?: [number, number];
  segmentLabel?: string;
}

/** A time series as a line, with an optional heat band (viridis) and a marked segment. */
export function signalChart(y: number[], options: SignalOptions = {}): Chart {
  const lo = Math.min(...y), hi = Math.max(...y), pad = 0.05 * (hi - lo || 1);
  const f = frame({ height: 220, ...options, xRange: [0, y.length], yRange: [lo - pad, hi + pad] });
  const step = f.plotW / y.length;
  if (options.segment) {
    const [s, e] = options.segment;
    f.parts.push(`<rect x="${f.x(s).toFixed(1)}" y="${f.top}" width="${((e - s) * step).toFixed(1)}" height="${f.plotH}" fill="#ffd54f" fill-opacity="0.35"/>`);
    if (options.segmentLabel) f.parts.push(`<text x="${f.x((s + e) / 2).toFixed(1)}" y="${f.top + 12}" text-anchor="middle" font-size="11">${escapeHtml(options.segmentLabel)}</text>`);
  }
  if (options.heat) {
    options.heat.forEach((v, t) => {
      f.parts.push(`<rect x="${(f.left + t * step).toFixed(2)}" y="${f.top + f.plotH + 20}" width="${(step + 0.3).toFixed(2)}" height="12" fill="${cssColor(viridis(v))}"/>`);
    });
  }
  f.parts.push(`<polyline points="${y.map((v, t) => `${(f.left + (t + 0.5) * step).toFixed(1)},${f.y(v).toFixed(1)}`).join(" ")}" fill="none" stroke="#333" stroke-width="1.3"/>`);
  const text = `${options.title ?? "signal"}: ${y.length} steps` + (options.segment ? `, segment [${options.segment[0]}, ${options.segment[1]})` : "") +
    (options.heat ? `, heat peak at t=${options.heat.indexOf(Math.max(...options.heat))}` : "");
  return svg(f, text);
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

/** Channel maps of an activation [1, h, w, c] (or [h, w, c]) as tiles, each coloured on its own range. */
export async function channelTiles(activation: tf.Tensor, channels: number[], scale = 1): Promise<Pixels[]> {
  const [h, w, c] = hwc(activation, "channelTiles");
  const values = await activation.data();
  return channels.map((ch) => {
    if (!(ch >= 0 && ch < c)) throw new Error(`figures.channelTiles: channel ${ch} out of range (0…${c - 1})`);
    const map = new Float32Array(h * w);
    for (let p = 0; p < h * w; p++) map[p] = values[p * c + ch];
    return enlarge(mapValuesToPixels(map, h, w, {}), scale);
  });
}

/** A confusion matrix (rows: true class, columns: predicted) with off-diagonal cells shaded by count. */
export function confusionMatrix(counts: number[][], labels: string[], title = ""): HtmlView {
  const off = counts.flatMap((r, i) => r.filter((_, j) => j !== i));
  const max = Math.max(1, ...off);
  const cell = (v: number, i: number, j: number) => {
    const style = i === j ? "background:#e8e8e8;color:#555" : v > 0 ? `background:${cssColor(viridis(v / max))};color:${v / max > 0.6 ? "black" : "white"};font-weight:bold` : "color:#bbb";
    return `<td style="padding:3px 7px;text-align:right;${style}">${v}</td>`;
  };
  const html = `<div>${title ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(title)}</div>` : ""}<table style="border-collapse:collapse">` +
    `<tr><th style="padding:3px 7px">true ↓ / predicted →</th>${labels.map((l) => `<th style="padding:3px 7px">${escapeHtml(l)}</th>`).join("")}</tr>` +
    counts.map((r, i) => `<tr><th style="padding:3px 7px">${escapeHtml(labels[i])}</th>${r.map((v, j) => cell(v, i, j)).join("")}</tr>`).join("") + `</table></div>`;
  const text = `${title ? title + "\n" : ""}` + counts.map((r, i) => `${labels[i]}: ${r.join(" ")}`).join("\n");
  return htmlView(html, text);
}

/**
 * Rows of values in [0, 1] (e.g. one 1-D CAM per series) as an image: time left to right, one row
 * per series, `rowHeight` pixels tall and `scale` pixels per step; `marks` draws each row's
 * [start, end) as red bars at its two ends.
 */
export function heatRows(rows: number[][], options: { marks?: ([number, number] | null)[]; rowHeight?: number; scale?: number } = {}): Pixels {
  const rh = options.rowHeight ?? 8, sc = options.scale ?? 3, gap = 3;
  const T = Math.max(...rows.map((r) => r.length));
  const width = T * sc, height = rows.length * (rh + gap) + gap;
  const data = new Uint8Array(width * height * 3).fill(255);
  const put = (x: number, y: number, c: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const d = (y * width + x) * 3;
    data[d] = c[0]; data[d + 1] = c[1]; data[d + 2] = c[2];
  };
  rows.forEach((r, i) => {
    const y0 = gap + i * (rh + gap);
    r.forEach((v, t) => { const c = viridis(v); for (let y = 0; y < rh; y++) for (let x = 0; x < sc; x++) put(t * sc + x, y0 + y, c); });
    const m = options.marks?.[i];
    if (m) for (const x of [m[0] * sc - 2, m[0] * sc - 1, m[1] * sc, m[1] * sc + 1]) for (let y = y0 - 1; y < y0 + rh + 1; y++) put(x, y, [230, 30, 30]);
  });
  return { width, height, data };
}
