// A faster gradient for tf.batchNorm (kernel FusedBatchNorm), used by every BatchNormalization
// layer at inference. tfjs's own gradient computes (x − mean) and dy·scale at full size eagerly,
// even when only dL/dx is wanted, and tiles the per-channel factor to the full tensor
// (BACKENDS.md: most of its time goes to Tile). Here every input's gradient is a lazy closure and
// per-channel factors broadcast. Same maths: y = (x − μ)·s/√(σ² + ε) + β.
import * as tf from "@tensorflow/tfjs";

type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Record<string, () => tf.Tensor>;

let installed = false;

/** Axes of x over which a per-channel (broadcast) parameter's gradient must be summed. */
function reductionAxes(param: tf.Tensor, x: tf.Tensor): number[] {
  return tf.backend_util.getReductionAxes(param.shape, x.shape);
}

function reduceTo(t: tf.Tensor, like: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const axes = reductionAxes(like, x);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, like.shape);
}

const fastGradient: GradFunc = (dyIn, saved, attrs) => {
  const dy = dyIn as tf.Tensor;
  const [x, mean, variance, scale] = saved;
  const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
  const invStd = () => tf.rsqrt(tf.add(variance, eps));
  const scaled = () => (scale != null ? tf.mul(invStd(), scale) : invStd()); // s/√(σ²+ε), per channel
  return {
    x: () => tf.mul(dy, scaled()),
    mean: () => reduceTo(tf.mul(dy, tf.neg(scaled())), mean, x),
    // ∂y/∂σ² = −½ (x − μ) s (σ² + ε)^(−3/2)
    variance: () => reduceTo(tf.mul(tf.mul(dy, tf.sub(x, mean)), tf.mul(tf.mul(scaled(), tf.square(invStd())), -0.5)), variance, x),
    scale: () => reduceTo(tf.mul(tf.mul(dy, tf.sub(x, mean)), invStd()), scale ?? mean, x),
    offset: () => reduceTo(dy, mean, x),
  };
};

/**
 * tfjs 4.22 cannot differentiate a batch norm without γ or β (Keras's `scale=False`, as in every
 * BatchNormalization of InceptionV3), with its own gradient or ours, on any backend: tf.batchNorm
 * hands the kernel `{scale: undefined}`, the tape then reads `.id` of the absent input and the
 * engine clones it for backprop — "Cannot read properties of undefined". Here the absent inputs
 * are left out of the kernel call, and absent inputs at the end of a gradient's saved list are
 * not saved (the tape disposes what it saved, so nothing absent may be in it; our gradient lists
 * scale last and reads it as undefined).
 */
function allowAbsentBatchNormInputs(): void {
  type Inputs = Record<string, tf.Tensor | undefined>;
  type Saver = (tensors: (tf.Tensor | undefined)[]) => (tf.Tensor | undefined)[];
  const engine = tf.engine() as unknown as { runKernel(name: string, inputs: Inputs, attrs?: object): unknown; saveTensorsForBackwardMode: Saver };
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = (name, inputs, attrs) => {
    if (name === "FusedBatchNorm" && (inputs.scale == null || inputs.offset == null)) {
      inputs = Object.fromEntries(Object.entries(inputs).filter(([, t]) => t != null));
    }
    return runKernel(name, inputs, attrs);
  };
  const save = engine.saveTensorsForBackwardMode.bind(engine);
  engine.saveTensorsForBackwardMode = (tensors) => {
    let n = tensors.length;
    while (n > 0 && tensors[n - 1] == null) n--;
    return save(n === tensors.length ? tensors : tensors.slice(0, n));
  };
}

/** Replaces the FusedBatchNorm gradient once per process (idempotent); a batch norm without γ or β gets a gradient too. */
export function installFastBatchNormGradient(): void {
  if (installed) return;
  installed = true;
  allowAbsentBatchNormInputs();
  const cfg = tf.getGradient("FusedBatchNorm") as unknown as { gradFunc: GradFunc; inputsToSave?: string[] } | undefined;
  if (cfg == null) return;
  cfg.gradFunc = fastGradient;
  cfg.inputsToSave = ["x", "mean", "variance", "scale"];
}
