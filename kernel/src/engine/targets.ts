// Targets turn a model output [batch, classes] into the one scalar per image that a CAM or a
// gradient explains. Class scores are picked by a one-hot product, not tf.gather, because the
// gradient of gather (UnsortedSegmentSum) does not exist on wasm.
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
