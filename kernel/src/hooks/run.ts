// Running any supported model eagerly on one batch, so hooks fire exactly once per layer call
// (LayersModel.predict would split big batches and call every hook once per chunk).
import * as tf from "@tensorflow/tfjs";
import { isGraphModel, isLayersModel, type AnyModel } from "../engine/model";

/** Model output for a batch; the caller owns it. Multi-output models return their first output. */
export function runModel(model: AnyModel, x: tf.Tensor): tf.Tensor {
  const out = isGraphModel(model) ? model.execute(x) : (model as tf.LayersModel).apply(x, { training: false });
  if (Array.isArray(out)) {
    for (let i = 1; i < out.length; i++) (out[i] as tf.Tensor).dispose();
    return out[0] as tf.Tensor;
  }
  return out as tf.Tensor;
}

/** Validates an image batch: [batch, h, w, c] (a single [h, w, c] image gets a batch axis). */
export function asImageBatch(input: tf.Tensor, fn: string): tf.Tensor4D {
  if (!(input instanceof tf.Tensor)) throw new TypeError(`camlab.${fn}: input must be a tf.Tensor [batch, height, width, channels], got ${input === null ? "null" : typeof input}`);
  if (input.isDisposed) throw new Error(`camlab.${fn}: the input tensor was already disposed`);
  if (input.rank === 3) return tf.expandDims(input, 0) as tf.Tensor4D;
  if (input.rank !== 4) throw new Error(`camlab.${fn}: input must be [batch, height, width, channels] or [height, width, channels], got shape [${input.shape.join(", ")}]`);
  return (input.dtype === "float32" ? input : tf.cast(input, "float32")) as tf.Tensor4D;
}

export function checkModelArg(model: unknown, fn: string): asserts model is AnyModel {
  if (!isLayersModel(model) && !isGraphModel(model)) {
    throw new TypeError(`camlab.${fn}: expected a tf.LayersModel or tf.GraphModel as the model, got ${model === null ? "null" : typeof model}`);
  }
}
