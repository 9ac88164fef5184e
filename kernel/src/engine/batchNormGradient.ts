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

/** Replaces the FusedBatchNorm gradient once per process (idempotent). */
export function installFastBatchNormGradient(): void {
  if (installed) return;
  installed = true;
  const cfg = tf.getGradient("FusedBatchNorm") as unknown as { gradFunc: GradFunc; inputsToSave?: string[] } | undefined;
  if (cfg == null) return;
  cfg.gradFunc = fastGradient;
  cfg.inputsToSave = ["x", "mean", "variance", "scale"];
}
