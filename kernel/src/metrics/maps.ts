// Shared checks and ranking of the metrics that read explanation maps (one home: deletion/ROAD
// order pixels, localisation compares maps with masks, the sanity checks compare maps).
import * as tf from "@tensorflow/tfjs";

const shapeText = (t: tf.Tensor) => `[${t.shape.join(", ")}]`;

/** Maps must be a batch of per-pixel maps [batch, height, width]. */
export function checkMaps(fn: string, maps: unknown, what = "maps"): asserts maps is tf.Tensor3D {
  if (!(maps instanceof tf.Tensor)) throw new TypeError(`camlab.${fn}: ${what} must be a tf.Tensor [batch, height, width] (one map per image, e.g. cam(…).heatmap), got ${maps === null ? "null" : typeof maps}`);
  if (maps.rank !== 3) throw new Error(`camlab.${fn}: ${what} must be [batch, height, width] (one map per image; an attribution [batch, h, w, c] has its per-pixel .map), got shape ${shapeText(maps)}`);
}

/** Masks must be [batch, h, w] (or [batch, h, w, 1]) matching the maps. */
export function checkMasks(fn: string, maps: tf.Tensor3D, masks: unknown, what = "maps"): void {
  if (!(masks instanceof tf.Tensor)) throw new TypeError(`camlab.${fn}: masks must be a tf.Tensor [${maps.shape.join(", ")}] (1 on the object, 0 elsewhere), got ${masks === null ? "null" : typeof masks}`);
  const m3: number[] = masks.rank === 4 && masks.shape[3] === 1 ? masks.shape.slice(0, 3) : masks.shape;
  if (m3.length !== 3 || m3.some((d, i) => d !== maps.shape[i])) {
    throw new Error(`camlab.${fn}: masks must match the ${what}' shape [${maps.shape.join(", ")}] (or [${maps.shape.join(", ")}, 1]), got ${shapeText(masks)}`);
  }
}

/** Binary masks [batch, h, w] on the backend: 1 where the mask is > 0. */
export function binaryMasks(masks: tf.Tensor, shape: [number, number, number]): tf.Tensor3D {
  return tf.tidy(() => tf.cast(tf.greater(tf.reshape(masks, shape), 0), "float32") as tf.Tensor3D);
}

/** Percentiles of pixels, each in [0, 100], at least one; returned sorted ascending. */
export function checkPercentiles(fn: string, percentiles: readonly number[]): number[] {
  if (!Array.isArray(percentiles) || percentiles.length === 0) throw new Error(`camlab.${fn}: percentiles must be a non-empty list of numbers in [0, 100] (percent of pixels removed), got ${JSON.stringify(percentiles)}`);
  const bad = percentiles.filter((p) => typeof p !== "number" || !(p >= 0 && p <= 100));
  if (bad.length) throw new RangeError(`camlab.${fn}: percentiles must lie in [0, 100] (percent of pixels removed), got ${bad.map((p) => JSON.stringify(p)).join(", ")} in ${JSON.stringify(percentiles)}`);
  return [...percentiles].sort((a, b) => a - b);
}

/**
 * Rank of every pixel of each map by decreasing value (0 = most relevant), [batch, h·w] int32,
 * on the backend: a full top-k sort, then each position's place in it. Ties go in the order
 * top-k returns them.
 */
export function pixelRanks(maps: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, h, w] = maps.shape;
    const hw = h * w;
    const order = tf.topk(tf.reshape(maps, [b, hw]), hw).indices; // [b, hw]: pixel of each place
    const rows = tf.tile(tf.reshape(tf.range(0, b, 1, "int32"), [b, 1, 1]), [1, hw, 1]);
    const at = tf.concat([rows, tf.expandDims(order, -1)], -1); // [b, hw, 2]: (image, pixel)
    const places = tf.tile(tf.reshape(tf.range(0, hw, 1, "int32"), [1, hw]), [b, 1]);
    return tf.scatterND(at, places, [b, hw]) as tf.Tensor2D;
  });
}
