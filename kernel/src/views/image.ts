// The picture a heatmap is drawn on, read once from the backend when a display is made: the
// user's image (0–255 or 0–1, any size) or the model input itself, as 8-bit RGB at most
// MAX_SIDE pixels on its longer side (the snapshot travels inside the notebook file).
import * as tf from "@tensorflow/tfjs";
import { checkModelInput } from "../engine/inputContract";
import type { AnyModel } from "../engine/model";
import type { Rgb } from "./raster";

/** Longest side, in pixels, of the picture a display's snapshot carries. */
export const MAX_SIDE = 256;

/**
 * `input` as a batch of one for `model`, checked by the input contract (shape, dtype, finite
 * values; engine/inputContract.ts): a single example without the batch axis gets one, a batch of
 * several is an error (a display explains one input). The caller disposes the result when it is
 * not `input`.
 */
export function batchOfOne(model: AnyModel, input: tf.Tensor, fn: string): Promise<tf.Tensor> {
  return checkModelInput(model, input, fn, { batch: 1 });
}

/**
 * An [h, w, c] or [1, h, w, c] image as RGB bytes, at most `maxSide` pixels on its longer side
 * (default MAX_SIDE; galleries ask for thumbnails). Values in [0, 1] are scaled by 255, values in
 * [0, 255] kept, anything else min-max stretched (a normalised model input still shows).
 */
export async function imageToRgb(image: tf.Tensor, fn: string, maxSide = MAX_SIDE): Promise<Rgb> {
  const shape = image.shape;
  const hwc = image.rank === 4 && shape[0] === 1 ? shape.slice(1) : shape;
  if (hwc.length !== 3 || (hwc[2] !== 1 && hwc[2] !== 3 && hwc[2] !== 4)) {
    throw new Error(`camlab.${fn}: the image must be [height, width, 1|3|4] (or with a batch axis of 1), got shape [${shape.join(", ")}]`);
  }
  const [h, w] = hwc;
  const scale = Math.min(1, maxSide / Math.max(h, w));
  const [oh, ow] = [Math.max(1, Math.round(h * scale)), Math.max(1, Math.round(w * scale))];
  const pixels = tf.tidy(() => {
    let x = tf.cast(tf.reshape(image, hwc as [number, number, number]), "float32") as tf.Tensor3D;
    if (hwc[2] === 4) x = tf.slice(x, [0, 0, 0], [-1, -1, 3]);
    if (hwc[2] === 1) x = tf.tile(x, [1, 1, 3]);
    return oh !== h || ow !== w ? tf.image.resizeBilinear(x, [oh, ow], false, true) : x;
  });
  let values: Float32Array;
  try {
    values = (await pixels.data()) as Float32Array; // at most MAX_SIDE² × 3 numbers, once per display
  } finally {
    pixels.dispose();
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const map = lo >= 0 && hi <= 1 ? (v: number) => v * 255 : lo >= 0 && hi <= 255 ? (v: number) => v : (v: number) => ((v - lo) / Math.max(hi - lo, 1e-12)) * 255;
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(map(values[i]))));
  return { width: ow, height: oh, data };
}
