// Second-order gradients (Hessian-vector products) in tfjs. A kernel whose gradient reads its own
// saved OUTPUT (Exp, Softmax, Sigmoid, Tanh) breaks double backprop: tfjs saves a clone of the
// output whose tape node comes before the op's own node, so the outer gradient never reaches
// it ("Cannot compute gradient of y=f(x)"), or silently drops that path. While `body` runs, those
// kernels' gradient configs (tfjs's registry) save their INPUT instead and recompute the output
// from it, which keeps the path differentiable. Restored afterwards, also when `body` throws.
import * as tf from "@tensorflow/tfjs";

type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Record<string, () => tf.Tensor>;
interface MutableGradConfig {
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  gradFunc: GradFunc;
}

const FROM_INPUT: Record<string, { input: string; gradFunc: GradFunc }> = {
  Exp: { input: "x", gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.exp(x)) }) },
  Sigmoid: { input: "x", gradFunc: (dy, [x]) => ({ x: () => { const y = tf.sigmoid(x); return tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y))); } }) },
  Tanh: { input: "x", gradFunc: (dy, [x]) => ({ x: () => tf.mul(tf.sub(1, tf.square(tf.tanh(x))), dy as tf.Tensor) }) },
  Softmax: {
    input: "logits",
    gradFunc: (dy, [logits], attrs) => ({
      logits: () => {
        const dim = (attrs as { dim: number }).dim;
        const y = tf.softmax(logits, dim);
        const dyTimesY = tf.mul(dy as tf.Tensor, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
      },
    }),
  },
};

let avgPoolGradRegistered = false;

/**
 * AvgPoolGrad (the backward of average pooling, e.g. Keras' AveragePooling2D ahead of a
 * classifier) has no gradient in tfjs. It is linear in dy, and its adjoint is the average pooling
 * itself; registered once (it only adds what was missing).
 */
function registerAvgPoolGradGradient(): void {
  if (avgPoolGradRegistered || tf.getGradient("AvgPoolGrad") != null) return;
  avgPoolGradRegistered = true;
  tf.registerGradient({
    kernelName: "AvgPoolGrad",
    inputsToSave: ["dy", "input"],
    gradFunc: (ddx, [, input], attrs) => {
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as { filterSize: [number, number]; strides: [number, number]; pad: "valid" | "same"; dimRoundingMode?: "floor" | "round" | "ceil" };
      return { dy: () => tf.avgPool(ddx as tf.Tensor4D, filterSize, strides, pad, dimRoundingMode), input: () => tf.zerosLike(input) };
    },
  });
}

/** Turns tfjs's "gradient function not found for X" of a second pass into an error that says what to do. */
export function explainSecondOrderError(e: unknown, method: string, layer: string): unknown {
  const m = e instanceof Error ? /gradient function not found for (\w+)/.exec(e.message) : null;
  if (m == null) return e;
  return new Error(`camlab.cam: ${method} needs second-order gradients of the layers after "${layer}", and tfjs has no gradient for the op ${m[1]}'s own gradient; pick a layer closer to the output, or another method (gradcam, layercam)`);
}

/** Runs `body` with gradients of Exp, Sigmoid, Tanh and Softmax that support a second backward pass. */
export function withSecondOrderGradients<T>(body: () => T): T {
  registerAvgPoolGradGradient();
  const restore: (() => void)[] = [];
  try {
    for (const [kernel, replacement] of Object.entries(FROM_INPUT)) {
      const cfg = tf.getGradient(kernel) as unknown as MutableGradConfig | undefined;
      if (cfg == null) continue;
      const saved = { inputsToSave: cfg.inputsToSave, outputsToSave: cfg.outputsToSave, gradFunc: cfg.gradFunc };
      cfg.inputsToSave = [replacement.input];
      cfg.outputsToSave = undefined;
      cfg.gradFunc = replacement.gradFunc;
      restore.push(() => Object.assign(cfg, saved));
    }
    return body();
  } finally {
    for (const r of restore.reverse()) r();
  }
}
