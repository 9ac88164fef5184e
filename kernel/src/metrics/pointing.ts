// Pointing game (Zhang et al., "Top-down Neural Attention by Excitation Backprop", ECCV 2016):
// a hit when the heatmap's maximum lies on the object, within a tolerance (the paper uses 15 px
// at 224×224). Computed on the backend; one small read.
import * as tf from "@tensorflow/tfjs";
import { binaryMasks, checkMaps, checkMasks } from "./maps";

/** Options of `pointingGame()`. */
export interface PointingGameOptions {
  /** Tolerance radius in pixels (Euclidean); default 0 (the maximum must be on the mask). */
  tolerance?: number;
}

/** Hits, accuracy and peak positions of `pointingGame()`. */
export interface PointingGameResult {
  hits: boolean[];
  /** Fraction of hits, 0–1. */
  accuracy: number;
  /** Location of each heatmap's maximum (first one in row-major order when tied). */
  points: { x: number; y: number }[];
}

function diskFilter(radius: number, channels = 1): tf.Tensor4D {
  const r = Math.floor(radius), n = 2 * r + 1;
  const values: number[] = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) values.push(dx * dx + dy * dy <= radius * radius ? 1 : 0);
  return tf.tensor4d(values, [n, n, 1, 1]).tile([1, 1, channels, 1]) as tf.Tensor4D;
}

/** Pointing game: is each heatmap's maximum on (or within `tolerance` px of) its object mask? */
export async function pointingGame(heatmaps: tf.Tensor, masks: tf.Tensor, options: PointingGameOptions = {}): Promise<PointingGameResult> {
  const tol = options.tolerance ?? 0;
  if (!(tol >= 0)) throw new Error(`camlab.pointingGame: tolerance must be ≥ 0 pixels, got ${tol}`);
  checkMaps("pointingGame", heatmaps, "heatmaps");
  checkMasks("pointingGame", heatmaps, masks, "heatmaps");
  const [b, h, w] = heatmaps.shape;
  const packed = tf.tidy(() => {
    let mask = tf.reshape(binaryMasks(masks, [b, h, w]), [b, h, w, 1]) as tf.Tensor4D;
    if (tol >= 1) mask = tf.cast(tf.greater(tf.conv2d(mask, diskFilter(tol), 1, "same"), 0.5), "float32") as tf.Tensor4D;
    const peak = tf.argMax(tf.reshape(heatmaps, [b, h * w]), -1);
    const onMask = tf.sum(tf.mul(tf.oneHot(peak, h * w), tf.reshape(mask, [b, h * w])), -1);
    return tf.stack([tf.cast(peak, "float32"), onMask], 1);
  });
  const v = await packed.data();
  packed.dispose();
  const hits: boolean[] = [], points: { x: number; y: number }[] = [];
  for (let i = 0; i < b; i++) {
    const idx = v[2 * i];
    points.push({ x: idx % w, y: Math.floor(idx / w) });
    hits.push(v[2 * i + 1] > 0.5);
  }
  return { hits, accuracy: hits.filter(Boolean).length / b, points };
}
