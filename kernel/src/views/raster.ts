// Host-side raster helpers for the static fallbacks of displays (image/png for saved notebooks,
// nbviewer, VS Code). Only small, already-reduced maps come here: CAMs at feature-map
// resolution and the bound input image; live widgets do this work in the browser instead.
import { PNG } from "pngjs";

export interface Rgb {
  width: number;
  height: number;
  /** width*height*3 bytes, row-major. */
  data: Uint8Array;
}

/** A perceptually ordered colormap (viridis), sampled at 9 stops and linearly interpolated. */
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** Maps t in [0,1] to an RGB colour. */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * Bilinear resampling of a [h, w] map to [outH, outW], with pixel centres aligned
 * (align_corners = false, as tf.image.resizeBilinear with halfPixelCenters).
 */
export function resizeBilinear(map: ArrayLike<number>, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / outH - 0.5));
    const y0 = Math.floor(sy), y1 = Math.min(h - 1, y0 + 1), fy = sy - y0;
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / outW - 0.5));
      const x0 = Math.floor(sx), x1 = Math.min(w - 1, x0 + 1), fx = sx - x0;
      const top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
      const bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
      out[y * outW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Blends a [0,1] map (any resolution; resampled to the image) onto an RGB image. */
export function overlay(image: Rgb, map: ArrayLike<number>, mapH: number, mapW: number, opacity = 0.5): Rgb {
  const up = resizeBilinear(map, mapH, mapW, image.height, image.width);
  const data = new Uint8Array(image.width * image.height * 3);
  for (let i = 0; i < up.length; i++) {
    const c = viridis(up[i]);
    for (let k = 0; k < 3; k++) data[3 * i + k] = Math.round(image.data[3 * i + k] * (1 - opacity) + c[k] * opacity);
  }
  return { width: image.width, height: image.height, data };
}

/** Colours a map with viridis after min-max normalisation. */
export function colorize(map: ArrayLike<number>, h: number, w: number): Rgb {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < h * w; i++) { lo = Math.min(lo, map[i]); hi = Math.max(hi, map[i]); }
  const span = hi - lo > 1e-12 ? hi - lo : 1;
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    const c = viridis((map[i] - lo) / span);
    data[3 * i] = c[0]; data[3 * i + 1] = c[1]; data[3 * i + 2] = c[2];
  }
  return { width: w, height: h, data };
}

/** Places equally sized tiles in a grid with a 1-pixel gap (for a montage of channels). */
export function montage(tiles: Rgb[], columns: number, scale = 1): Rgb {
  if (tiles.length === 0) return { width: 1, height: 1, data: new Uint8Array(3) };
  const tw = tiles[0].width * scale, th = tiles[0].height * scale, gap = 1;
  const cols = Math.min(columns, tiles.length), rows = Math.ceil(tiles.length / cols);
  const width = cols * (tw + gap) - gap, height = rows * (th + gap) - gap;
  const data = new Uint8Array(width * height * 3).fill(255);
  tiles.forEach((t, i) => {
    const ox = (i % cols) * (tw + gap), oy = Math.floor(i / cols) * (th + gap);
    for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
      const s = (Math.floor(y / scale) * t.width + Math.floor(x / scale)) * 3, d = ((oy + y) * width + ox + x) * 3;
      data[d] = t.data[s]; data[d + 1] = t.data[s + 1]; data[d + 2] = t.data[s + 2];
    }
  });
  return { width, height, data };
}

/** Encodes RGB pixels as a base64 PNG (the form a MIME bundle's image/png carries). */
export function pngBase64(img: Rgb): string {
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }).toString("base64");
}
