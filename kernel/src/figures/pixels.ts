// Tensors → pixels for notebook figures: photos, coloured maps, CAM overlays, channel tiles, rows
// of 1-D maps. Colours, upsampling and blending are the shared core's (protocol/), the same code
// the widgets draw with. Reading numbers is always asynchronous: a GPU backend (WebGPU) cannot
// read synchronously, and the same notebook should run on every backend.
import * as tf from "@tensorflow/tfjs";
import type { CamResult } from "../cam/base";
import { blendInto, colorAt, colormap, DEFAULT_COLORMAP, DEFAULT_OPACITY, upsampleBilinear, type ColormapName } from "../protocol";
import { rgbFromRgba } from "../views/raster";
import { picture, type ImageFormat } from "./html";

/** 8-bit RGB pixels, row-major, width*height*3 bytes. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The default colormap's colour of t in [0, 1] (magnitudes: maps, shaded cells, heat bands). */
export function shade(t: number): [number, number, number] {
  return colorAt(DEFAULT_COLORMAP, t);
}

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

function hwc(t: tf.Tensor, what: string): [number, number, number] {
  const s = t.shape;
  if (s.length === 2) return [s[0], s[1], 1];
  if (s.length === 3) return [s[0], s[1], s[2]];
  if (s.length === 4 && s[0] === 1) return [s[1], s[2], s[3]];
  throw new Error(`camlab.figures.${what}: expected [h, w], [h, w, c] or [1, h, w, c], got [${s.join(", ")}]`);
}

/** Height and width of a single-channel map: [h, w], [h, w, 1], [1, h, w] (one CAM of a batch) or [1, h, w, 1]. */
function mapHW(t: tf.Tensor, what: string): [number, number] {
  const s = t.shape;
  if (s.length === 2) return [s[0], s[1]];
  if (s.length === 3 && s[2] === 1) return [s[0], s[1]];
  if (s.length === 3 && s[0] === 1) return [s[1], s[2]];
  if (s.length === 4 && s[0] === 1 && s[3] === 1) return [s[1], s[2]];
  throw new Error(`camlab.figures.${what}: expected one map [h, w], [h, w, 1], [1, h, w] or [1, h, w, 1], got [${s.join(", ")}]`);
}

/** A photo-like tensor (values 0–1 or 0–255, 1 or 3 channels) as pixels. */
export async function imagePixels(image: tf.Tensor): Promise<Pixels> {
  const [h, w, c] = hwc(image, "imagePixels");
  if (c !== 1 && c !== 3) throw new Error(`camlab.figures.imagePixels: 1 or 3 channels, got ${c}`);
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
  /** "viridis" (default: the default colormap) for magnitudes, "diverging" for signed values (range symmetric about 0). */
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
    const c = diverge ? diverging(v[i] / bound) : shade((v[i] - lo) / span);
    data[3 * i] = c[0]; data[3 * i + 1] = c[1]; data[3 * i + 2] = c[2];
  }
  return { width: w, height: h, data };
}

/** One map ([h, w], [h, w, 1], [1, h, w]) coloured by a colormap. */
export async function mapPixels(map: tf.Tensor, options: MapOptions = {}): Promise<Pixels> {
  const [h, w] = mapHW(map, "mapPixels");
  return mapValuesToPixels(await map.data(), h, w, options);
}

/**
 * Blends a map in [0, 1] (any resolution: upsampled bilinearly to the image) over an image, with
 * the shared core's colormap and blending — the pixels of the heatmap widget and its saved PNG.
 */
export async function overlayPixels(image: Pixels, map: tf.Tensor, opacity = DEFAULT_OPACITY, cmap: ColormapName = DEFAULT_COLORMAP): Promise<Pixels> {
  const [h, w] = mapHW(map, "overlayPixels");
  const values = upsampleBilinear({ width: w, height: h, values: Float32Array.from(await map.data()) }, image.width, image.height).values;
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  blendInto(rgba, image.data, values, colormap(cmap), opacity);
  return rgbFromRgba(image.width, image.height, rgba);
}

/** Options of overlay(). */
export interface OverlayOptions {
  /** Which image of a batched CAM result (default 0). */
  index?: number;
  /** Weight of the CAM colour, 0–1 (default DEFAULT_OPACITY). */
  opacity?: number;
  colormap?: ColormapName;
  caption?: string;
  /** "jpeg" (default, photos) or "png". */
  format?: ImageFormat;
}

/**
 * A CAM result drawn over its image, as a picture display — pytorch-grad-cam's show_cam_on_image.
 * @param image the picture ([h, w, 3] or [1, h, w, 3], values 0–1 or 0–255), usually the model input
 * @param cam   what camlab.cam returned (its heatmap is used), or one map [h, w] / [1, h, w]
 * @example display(await camlab.camlab.figures.overlay(photo, await camlab.cam(net, x, { classIndex: 3 })))
 */
export async function overlay(image: tf.Tensor | Pixels, cam: CamResult | tf.Tensor, options: OverlayOptions = {}): Promise<object> {
  const base = image instanceof tf.Tensor ? await imagePixels(image) : image;
  const heat = cam instanceof tf.Tensor ? cam : cam.heatmap;
  const i = options.index ?? 0;
  if (!Number.isInteger(i) || i < 0 || (heat.rank === 3 && i >= heat.shape[0])) throw new Error(`camlab.camlab.figures.overlay: index must be an image of the batch (0–${heat.rank === 3 ? heat.shape[0] - 1 : 0}), got ${i}`);
  const one = heat.rank === 3 && heat.shape[0] > 1 ? tf.tidy(() => tf.slice(heat, [i, 0, 0], [1, -1, -1])) : heat;
  try {
    const caption = options.caption ?? (cam instanceof tf.Tensor ? "" : `${cam.method} · ${cam.layers.join(", ")}${cam.targets[i] != null ? ` · class ${cam.targets[i]}` : ""}`);
    return picture(await overlayPixels(base, one, options.opacity ?? DEFAULT_OPACITY, options.colormap ?? DEFAULT_COLORMAP), caption, options.format ?? "jpeg");
  } finally {
    if (one !== heat) one.dispose();
  }
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

/** Channel maps of an activation [1, h, w, c] (or [h, w, c]) as tiles, each coloured on its own range. */
export async function channelTiles(activation: tf.Tensor, channels: number[], scale = 1): Promise<Pixels[]> {
  const [h, w, c] = hwc(activation, "channelTiles");
  const values = await activation.data();
  return channels.map((ch) => {
    if (!(ch >= 0 && ch < c)) throw new Error(`camlab.figures.channelTiles: channel ${ch} out of range (0…${c - 1})`);
    const map = new Float32Array(h * w);
    for (let p = 0; p < h * w; p++) map[p] = values[p * c + ch];
    return enlarge(mapValuesToPixels(map, h, w, {}), scale);
  });
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
    r.forEach((v, t) => { const c = shade(v); for (let y = 0; y < rh; y++) for (let x = 0; x < sc; x++) put(t * sc + x, y0 + y, c); });
    const m = options.marks?.[i];
    if (m) for (const x of [m[0] * sc - 2, m[0] * sc - 1, m[1] * sc, m[1] * sc + 1]) for (let y = y0 - 1; y < y0 + rh + 1; y++) put(x, y, [230, 30, 30]);
  });
  return { width, height, data };
}
