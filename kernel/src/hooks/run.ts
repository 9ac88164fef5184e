// Running any supported model eagerly on one batch, so hooks fire exactly once per layer call
// (LayersModel.predict would split big batches and call every hook once per chunk). Inputs are
// checked before they get here, by the input contract (engine/inputContract.ts).
import * as tf from "@tensorflow/tfjs";
import { isGraphModel, type AnyModel } from "../engine/model";

/**
 * Model output for a batch; the caller owns it. Multi-output models return their first output; a
 * multi-input model takes its inputs as an array, in the order of `model.inputs`.
 * @example const logits = runModel(net.model, x);
 */
export function runModel(model: AnyModel, x: tf.Tensor | tf.Tensor[]): tf.Tensor {
  const out = isGraphModel(model) ? model.execute(x) : (model as tf.LayersModel).apply(x, { training: false });
  if (Array.isArray(out)) {
    for (let i = 1; i < out.length; i++) (out[i] as tf.Tensor).dispose();
    return out[0] as tf.Tensor;
  }
  return out as tf.Tensor;
}

// The model check lives with the input contract; re-exported for the modules that import it from here.
export { checkModelArg } from "../engine/inputContract";
