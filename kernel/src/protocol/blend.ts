// Compositing of the input image and a coloured CAM: out = (1 - opacity) * image + opacity * colour.
import { lutIndex, type Lut } from "./colormaps";
import { dequantize, type QuantizedMap } from "./quantized";
import { upsampleBilinear } from "./upsample";

/** The CAM's weight in the heatmap picture unless the user moves the opacity slider. */
export const DEFAULT_OPACITY = 0.5;

/**
 * Writes RGBA pixels (alpha 255) into `out` (e.g. ImageData.data).
 * @param rgb     the image, width*height*3 bytes
 * @param values  the CAM at the image's resolution, width*height values in [0, 1]
 * @param opacity weight of the CAM colour, 0 (image only) to 1 (CAM only)
 */
export function blendInto(out: Uint8ClampedArray, rgb: Uint8Array, values: Float32Array, lut: Lut, opacity: number): void {
  const n = values.length;
  if (rgb.length !== n * 3) throw new Error(`blendInto: ${n} CAM values need ${n * 3} RGB bytes, got ${rgb.length}`);
  if (out.length !== n * 4) throw new Error(`blendInto: ${n} pixels need an RGBA target of ${n * 4} bytes, got ${out.length}`);
  const a = Math.min(Math.max(Number.isFinite(opacity) ? opacity : 0, 0), 1);
  const b = 1 - a;
  for (let i = 0; i < n; i++) {
    const c = lutIndex(values[i]) * 3;
    // Round half up explicitly (a clamped array would round half to even).
    out[i * 4] = Math.floor(b * rgb[i * 3] + a * lut[c] + 0.5);
    out[i * 4 + 1] = Math.floor(b * rgb[i * 3 + 1] + a * lut[c + 1] + 0.5);
    out[i * 4 + 2] = Math.floor(b * rgb[i * 3 + 2] + a * lut[c + 2] + 0.5);
    out[i * 4 + 3] = 255;
  }
}

/** Writes RGBA pixels of a quantized map coloured by its bytes (0 = map minimum, 255 = maximum). */
export function colorizeBytes(out: Uint8ClampedArray, bytes: Uint8Array, lut: Lut): void {
  if (out.length !== bytes.length * 4) throw new Error(`colorizeBytes: ${bytes.length} pixels need ${bytes.length * 4} RGBA bytes, got ${out.length}`);
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] * 3;
    out[i * 4] = lut[c];
    out[i * 4 + 1] = lut[c + 1];
    out[i * 4 + 2] = lut[c + 2];
    out[i * 4 + 3] = 255;
  }
}

/** An RGB picture, width*height*3 bytes, row-major. */
export interface RgbPixels {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** A CAM made ready to blend onto its image: its values upsampled to the image, once per CAM. */
export interface PreparedOverlay {
  image: RgbPixels;
  /** image.width * image.height CAM values. */
  values: Float32Array;
}

/** Dequantises the CAM (feature-map resolution, values in [0, 1]) and upsamples it bilinearly to the image. */
export function prepareOverlay(image: RgbPixels, cam: QuantizedMap): PreparedOverlay {
  const values = upsampleBilinear({ width: cam.width, height: cam.height, values: dequantize(cam) }, image.width, image.height).values;
  return { image, values };
}

/** The blended RGBA pixels (alpha 255) of a prepared CAM through `lut` at `opacity`. */
export function drawOverlay(prepared: PreparedOverlay, lut: Lut, opacity: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(prepared.values.length * 4);
  blendInto(out, prepared.image.rgb, prepared.values, lut, opacity);
  return out;
}

/**
 * The heatmap picture: the CAM upsampled to the image and blended onto it through `lut`. The one
 * function behind the kernel's saved PNG and the live widget's canvas (which keeps the prepared
 * CAM and redraws it on every opacity or colormap change), so both show the same pixels.
 */
export function renderOverlay(image: RgbPixels, cam: QuantizedMap, lut: Lut, opacity: number): Uint8ClampedArray {
  return drawOverlay(prepareOverlay(image, cam), lut, opacity);
}
