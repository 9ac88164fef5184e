// Host-side raster helpers for the static fallbacks of displays (image/png for saved notebooks,
// nbviewer, VS Code): montage and PNG encoding. Colouring, upsampling and blending are not here:
// they are the shared core's (protocol/), the same code the live widgets draw with.
import { PNG } from "pngjs";

/** 8-bit RGB pixels. */
export interface Rgb {
  width: number;
  height: number;
  /** width*height*3 bytes, row-major. */
  data: Uint8Array;
}

/** RGB pixels from RGBA ones (the core draws RGBA, as a canvas does; PNG fallbacks carry RGB). */
export function rgbFromRgba(width: number, height: number, rgba: ArrayLike<number>): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[3 * i] = rgba[4 * i];
    data[3 * i + 1] = rgba[4 * i + 1];
    data[3 * i + 2] = rgba[4 * i + 2];
  }
  return { width, height, data };
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
