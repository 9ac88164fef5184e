// Charts for notebooks: small labelled SVG (drawn here, no browser needed) that shows itself as an
// interactive plotly figure where the camlab extension runs, as image/svg+xml where the notebook is
// trusted, and as image/png (the SVG rasterised by resvg) everywhere else — an untrusted saved
// notebook, nbviewer, GitHub, VS Code — so a chart is never a list of numbers.
import { Resvg } from "@resvg/resvg-js";
import { JUPYTER_DISPLAY } from "../display/mime";
import { cssColor, shade } from "./pixels";
import { escapeHtml } from "./html";

const DISPLAY = JUPYTER_DISPLAY;

/** The SVG markup rasterised to a PNG (base64), at its own size; text in the system's sans fonts. */
export function svgToPngBase64(svg: string): string {
  const png = new Resvg(svg, { background: "white", font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
  return Buffer.from(png).toString("base64");
}

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
 * the camlab extension in JupyterLab), with image/svg+xml and image/png (the same SVG rasterised)
 * as the fallbacks; `svg` is the markup (e.g. for an <img> inside HTML).
 */
export interface Chart {
  readonly svg: string;
  readonly text: string;
  /** The plotly figure { data, layout }, when the chart has one. */
  readonly plotly?: { data: object[]; layout: object };
}

function svg(f: Frame, text: string, plotly?: { data: object[]; layout: object }): Chart {
  const body = `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="DejaVu Sans, Arial, sans-serif">${f.parts.join("")}</svg>`;
  let png: string | null = null; // rasterised when first shown, once
  const bundle = () => ({
    ...(plotly ? { "application/vnd.plotly.v1+json": plotly } : {}),
    "image/svg+xml": body,
    "image/png": (png ??= svgToPngBase64(body)),
    "text/plain": text,
  });
  return { svg: body, text, plotly, [DISPLAY]: bundle } as Chart;
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
      f.parts.push(`<rect x="${(f.left + t * step).toFixed(2)}" y="${f.top + f.plotH + 20}" width="${(step + 0.3).toFixed(2)}" height="12" fill="${cssColor(shade(v))}"/>`);
    });
  }
  f.parts.push(`<polyline points="${y.map((v, t) => `${(f.left + (t + 0.5) * step).toFixed(1)},${f.y(v).toFixed(1)}`).join(" ")}" fill="none" stroke="#333" stroke-width="1.3"/>`);
  const text = `${options.title ?? "signal"}: ${y.length} steps` + (options.segment ? `, segment [${options.segment[0]}, ${options.segment[1]})` : "") +
    (options.heat ? `, heat peak at t=${options.heat.indexOf(Math.max(...options.heat))}` : "");
  return svg(f, text);
}

