// Targets turn a model output into the one scalar per image that a CAM, a gradient attribution
// or a faithfulness metric explains — the one home of this concept (cam, attribution, hooks'
// gradient health and the metrics all take a `Target`). Class scores are picked by a one-hot
// product, not tf.gather, because the gradient of gather (UnsortedSegmentSum) does not exist on wasm.
import * as tf from "@tensorflow/tfjs";

/** Maps the model output [batch, …] to one score per image, shape [batch]. */
export type TargetFn = (output: tf.Tensor) => tf.Tensor;
/** A class index for every image, one index per image, a function, or undefined (top-1). */
export type Target = number | readonly number[] | TargetFn | undefined;

function classCount(output: tf.Tensor): number {
  if (output.rank !== 2 || output.shape[1] == null) {
    throw new Error(`camlab: a class-index target needs a model output [batch, classes], got shape [${output.shape.join(", ")}]; pass a target function (output => scores[batch]) instead`);
  }
  return output.shape[1] as number;
}

/** The score of class `index` (the raw output, e.g. a logit) for every image. */
export function classScore(index: number): TargetFn {
  return (output) => pickClasses(output, new Array(output.shape[0]).fill(index));
}

/** The softmax probability of class `index` for every image. */
export function softmaxProbability(index: number): TargetFn {
  return (output) => pickClasses(tf.softmax(output as tf.Tensor2D), new Array(output.shape[0]).fill(index));
}

function pickClasses(output: tf.Tensor, classes: readonly number[]): tf.Tensor1D {
  const k = classCount(output);
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= k) throw new RangeError(`camlab: class index ${c} is out of range; the model has ${k} classes (0…${k - 1})`);
  }
  const oneHot = tf.oneHot(tf.tensor1d(classes as number[], "int32"), k);
  return tf.sum(tf.mul(output, oneHot), -1) as tf.Tensor1D;
}

/** A target applied to a model output (`resolveTarget`): the scores to explain and, for class targets, the classes. */
export interface ResolvedTarget {
  /** One score per image, shape [batch]. */
  scores: tf.Tensor1D;
  /** The class explained for each image, on the backend; null for a target function. */
  classes: tf.Tensor1D | null;
}

/**
 * Applies a target to a model output. Top-1 (undefined) is resolved on the backend with argMax,
 * so there is no host round trip in the gradient pass.
 */
export function resolveTarget(target: Target, output: tf.Tensor): ResolvedTarget {
  const batch = output.shape[0];
  if (typeof target === "function") {
    const scores = target(output);
    if (!(scores instanceof tf.Tensor) || scores.size !== batch) {
      throw new Error(`camlab: a target function must return one score per image (shape [${batch}]), got ${scores instanceof tf.Tensor ? `shape [${scores.shape.join(", ")}]` : typeof scores}`);
    }
    return { scores: scores.reshape([batch]) as tf.Tensor1D, classes: null };
  }
  if (target === undefined) {
    const k = classCount(output);
    const classes = tf.argMax(output, -1) as tf.Tensor1D;
    const scores = tf.sum(tf.mul(output, tf.oneHot(classes, k)), -1) as tf.Tensor1D;
    return { scores, classes: classes.toFloat() };
  }
  const list = typeof target === "number" ? new Array(batch).fill(target) : [...target];
  if (list.length !== batch) throw new Error(`camlab: got ${list.length} target classes for a batch of ${batch} images; give one per image or a single number`);
  return { scores: pickClasses(output, list), classes: tf.tensor1d(list, "float32") };
}

// ---------------------------------------------------------------------------------------------
// The open vocabulary (pytorch-grad-cam's model_targets): each a TargetFn, usable by cam(), the
// gradient attributions, gradientHealth and the metrics alike.

/**
 * A binary classifier's score (output [batch, 1] or [batch]): the output itself for the positive
 * class, its negation for the negative one (pytorch-grad-cam's BinaryClassifierOutputTarget).
 */
export function binaryScore(positive = true): TargetFn {
  if (typeof positive !== "boolean") throw new TypeError(`camlab.binaryScore: positive must be true (explain the positive class) or false (the negative one), got ${typeof positive}`);
  return (output) => {
    if (!(output.rank === 1 || (output.rank === 2 && output.shape[1] === 1))) throw new Error(`camlab.binaryScore: needs a binary classifier's output [batch, 1] or [batch], got shape [${output.shape.join(", ")}]; for several classes use a class index or classScore(k)`);
    const s = tf.reshape(output, [output.shape[0]]);
    return positive ? s : tf.neg(s);
  };
}

/**
 * The raw output: one flat element `index` of each image's output (all of its values summed when
 * `index` is omitted) — for regression heads and single-score models (RawScoresOutputTarget).
 */
export function rawOutput(index?: number): TargetFn {
  if (index !== undefined && (!Number.isInteger(index) || index < 0)) throw new RangeError(`camlab.rawOutput: index must be a non-negative integer (a flat position in one image's output), got ${index}`);
  return (output) => {
    const b = output.shape[0];
    const flat = tf.reshape(output, [b, -1]);
    if (index === undefined) return tf.sum(flat, 1);
    const n = flat.shape[1] as number;
    if (index >= n) throw new RangeError(`camlab.rawOutput: index ${index} is out of range; each image's output has ${n} values (0…${n - 1})`);
    return tf.reshape(tf.slice(flat, [0, index], [b, 1]), [b]);
  };
}

/**
 * Semantic segmentation: the sum of class `index`'s scores over the pixels of `mask` (1 inside,
 * 0 outside; [h, w] as numbers or a tensor the caller owns) for a model whose output is
 * [batch, h, w, classes] (pytorch-grad-cam's SemanticSegmentationTarget).
 */
export function segmentationTarget(index: number, mask: readonly (readonly number[])[] | tf.Tensor): TargetFn {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`camlab.segmentationTarget: index must be a class index (a non-negative integer), got ${index}`);
  const maskShape = mask instanceof tf.Tensor ? mask.shape : [mask.length, mask[0]?.length ?? 0];
  if (maskShape.length !== 2 || !(mask instanceof tf.Tensor || mask.every((r) => r.length === maskShape[1]))) throw new Error(`camlab.segmentationTarget: mask must be [height, width] (one weight per output pixel), got ${mask instanceof tf.Tensor ? `shape [${mask.shape.join(", ")}]` : "rows of different lengths"}`);
  return (output) => {
    if (output.rank !== 4) throw new Error(`camlab.segmentationTarget: needs a segmentation output [batch, height, width, classes], got shape [${output.shape.join(", ")}]`);
    const [b, h, w, k] = output.shape;
    if (maskShape[0] !== h || maskShape[1] !== w) throw new Error(`camlab.segmentationTarget: mask is [${maskShape.join(", ")}] but the output's maps are [${h}, ${w}]; give a mask at the output's resolution`);
    if (index >= k) throw new RangeError(`camlab.segmentationTarget: class index ${index} is out of range; the output has ${k} classes (0…${k - 1})`);
    const m = mask instanceof tf.Tensor ? tf.cast(mask, "float32") : tf.tensor2d(mask as number[][], [h, w], "float32");
    const scores = tf.reshape(tf.slice(output, [0, 0, 0, index], [b, h, w, 1]), [b, h, w]);
    // S = Σ_ij y^c_ij · M_ij
    return tf.sum(tf.mul(scores, m), [1, 2]);
  };
}

/** Options of `detectionTarget()`. */
export interface DetectionTargetOptions {
  /** Class whose score is explained; default: the box's best class score. */
  classIndex?: number;
  /** Smallest IoU for a box to count as the match (default 0.5): below it the score is 0. */
  iouThreshold?: number;
  /**
   * Reads boxes [batch, N, 4] as (x1, y1, x2, y2) and class scores [batch, N, classes] from the
   * model output; default: an output [batch, N, 4 + classes] laid out as box then scores.
   */
  decode?: (output: tf.Tensor) => { boxes: tf.Tensor; scores: tf.Tensor };
}

/**
 * Object detection: the score of the predicted box that best matches `box` (x1, y1, x2, y2) by
 * IoU — for a model whose output carries boxes and class scores (pytorch-grad-cam's
 * FasterRCNNBoxScoreTarget). The match is chosen on the backend by argmax of IoU and picked by a
 * one-hot product, so the gradient flows to that box's score only.
 */
export function detectionTarget(box: readonly [number, number, number, number], options: DetectionTargetOptions = {}): TargetFn {
  if (!Array.isArray(box) || box.length !== 4 || !box.every(Number.isFinite) || box[2] <= box[0] || box[3] <= box[1]) throw new Error(`camlab.detectionTarget: box must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1, got ${JSON.stringify(box)}`);
  const threshold = options.iouThreshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`camlab.detectionTarget: iouThreshold must be in [0, 1], got ${threshold}`);
  const cls = options.classIndex;
  if (cls !== undefined && (!Number.isInteger(cls) || cls < 0)) throw new RangeError(`camlab.detectionTarget: classIndex must be a non-negative integer, got ${cls}`);
  const decode = options.decode ?? ((output: tf.Tensor) => {
    if (output.rank !== 3 || (output.shape[2] as number) < 5) throw new Error(`camlab.detectionTarget: the default decoding needs an output [batch, boxes, 4 + classes] (x1, y1, x2, y2, scores…), got shape [${output.shape.join(", ")}]; pass { decode } for another layout`);
    return { boxes: tf.slice(output, [0, 0, 0], [-1, -1, 4]), scores: tf.slice(output, [0, 0, 4], [-1, -1, -1]) };
  });
  return (output) => {
    const { boxes, scores } = decode(output);
    const [b, n] = boxes.shape;
    const [x1, y1, x2, y2] = tf.unstack(boxes, 2);
    const [rx1, ry1, rx2, ry2] = box;
    // IoU = |A ∩ B| / |A ∪ B| of every predicted box with the reference box.
    const iw = tf.relu(tf.sub(tf.minimum(x2, rx2), tf.maximum(x1, rx1)));
    const ih = tf.relu(tf.sub(tf.minimum(y2, ry2), tf.maximum(y1, ry1)));
    const inter = tf.mul(iw, ih);
    const union = tf.sub(tf.add(tf.mul(tf.relu(tf.sub(x2, x1)), tf.relu(tf.sub(y2, y1))), (rx2 - rx1) * (ry2 - ry1)), inter);
    // Only the argmax and the threshold test read the IoU: no gradient flows through the boxes.
    const iou = tf.div(inter, tf.add(union, 1e-12)) as tf.Tensor2D;
    const best = tf.oneHot(tf.argMax(iou, 1), n as number); // [b, n]
    const matched = tf.cast(tf.greaterEqual(tf.sum(tf.mul(iou, best), 1), threshold), "float32");
    const k = scores.shape[2] as number;
    if (cls !== undefined && cls >= k) throw new RangeError(`camlab.detectionTarget: classIndex ${cls} is out of range; the output has ${k} class scores per box`);
    const boxScore = cls === undefined ? tf.max(scores, 2) : tf.sum(tf.mul(scores, tf.oneHot([cls], k).reshape([1, 1, k])), 2);
    return tf.mul(tf.sum(tf.mul(boxScore, best), 1), matched).reshape([b as number]);
  };
}
