// Colormaps as 256-entry RGB lookup tables, the one table set for every picture camlab makes: the
// kernel's static PNGs and the live widgets index the same LUTs. In a widget, switching colormaps
// is purely client-side: it never asks the kernel for anything.

/** The colormaps camlab draws with. */
export type ColormapName = "jet" | "viridis" | "inferno" | "gray";
/** Every colormap, in the order the widgets' menus list them. */
export const COLORMAP_NAMES: readonly ColormapName[] = ["jet", "viridis", "inferno", "gray"];

/**
 * The colormap of every CAM and activation picture unless the user picks another, in the saved
 * PNG and in the live widget alike. Viridis, not jet (the Grad-CAM paper's): viridis is
 * perceptually uniform — equal steps in the map look like equal steps in colour, and lightness
 * rises monotonically, so it survives grayscale printing and colour-blind readers — while jet's
 * bright cyan and yellow bands draw edges that are not in the data. Jet stays one click away.
 */
export const DEFAULT_COLORMAP: ColormapName = "viridis";

/** 256 * 3 bytes: entry i is the colour of value i / 255. */
export type Lut = Uint8Array;

/** Piecewise-linear channel: (position, value) pairs with positions rising from 0 to 1. */
type Segments = ReadonlyArray<readonly [number, number]>;

function evalSegments(seg: Segments, t: number): number {
  for (let i = 1; i < seg.length; i++) {
    const [x1, y1] = seg[i];
    if (t <= x1) {
      const [x0, y0] = seg[i - 1];
      return x1 === x0 ? y1 : y0 + ((y1 - y0) * (t - x0)) / (x1 - x0);
    }
  }
  return seg[seg.length - 1][1];
}

function lutFromSegments(r: Segments, g: Segments, b: Segments): Lut {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    lut[i * 3] = Math.round(255 * evalSegments(r, t));
    lut[i * 3 + 1] = Math.round(255 * evalSegments(g, t));
    lut[i * 3 + 2] = Math.round(255 * evalSegments(b, t));
  }
  return lut;
}

/** Equally spaced hex anchors, linearly interpolated in RGB. */
function lutFromAnchors(hex: readonly string[]): Lut {
  const rgb = hex.map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)));
  const lut = new Uint8Array(256 * 3);
  const last = rgb.length - 1;
  for (let i = 0; i < 256; i++) {
    const s = (i / 255) * last;
    const k = Math.min(Math.floor(s), last - 1);
    const f = s - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(rgb[k][c] + (rgb[k + 1][c] - rgb[k][c]) * f);
  }
  return lut;
}

const builders: Record<ColormapName, () => Lut> = {
  // matplotlib's "jet" segment data (the colormap of the Grad-CAM paper's figures and cv2.COLORMAP_JET).
  jet: () =>
    lutFromSegments(
      [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
      [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
      [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
    ),
  // viridis / inferno: the ten / nine reference colours of matplotlib's maps (as listed by R's
  // viridisLite), interpolated linearly — within a few levels of the 256-entry originals.
  viridis: () => lutFromAnchors(["#440154", "#472d7b", "#3b528b", "#2c728e", "#21908c", "#27ad81", "#5dc863", "#aadc32", "#fde725"]),
  inferno: () => lutFromAnchors(["#000004", "#1b0c42", "#4b0c6b", "#781c6d", "#a52c60", "#cf4446", "#ed6925", "#fb9a06", "#f7d03c", "#fcffa4"]),
  gray: () => lutFromSegments([[0, 0], [1, 1]], [[0, 0], [1, 1]], [[0, 0], [1, 1]]),
};

const cache = new Map<ColormapName, Lut>();

/** True when `name` is one of COLORMAP_NAMES. */
export function isColormapName(name: string): name is ColormapName {
  return (COLORMAP_NAMES as readonly string[]).includes(name);
}

/** The 256-entry lookup table of a colormap (built once, then cached). */
export function colormap(name: ColormapName): Lut {
  let lut = cache.get(name);
  if (!lut) {
    if (!isColormapName(name)) throw new Error(`unknown colormap "${name}"; choose one of ${COLORMAP_NAMES.join(", ")}`);
    lut = builders[name]();
    cache.set(name, lut);
  }
  return lut;
}

/** LUT index of a value in [0, 1] (values outside are clamped; NaN maps to 0). */
export function lutIndex(value: number): number {
  if (!(value > 0)) return 0;
  if (value >= 1) return 255;
  return Math.round(value * 255);
}

/** The colour of a value in [0, 1] under a colormap (e.g. for chart marks and table cells). */
export function colorAt(name: ColormapName, value: number): [number, number, number] {
  const lut = colormap(name);
  const i = lutIndex(value) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}
