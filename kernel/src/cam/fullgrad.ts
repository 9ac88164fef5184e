// FullGrad (Srinivas & Fleuret, NeurIPS 2019, arXiv:1905.00780): the input-gradient term plus
// the bias-gradients of every layer with a bias, each post-processed and summed. It spans the
// whole network rather than weighing one layer, so it is an entry point of its own beside cam().
import * as tf from "@tensorflow/tfjs";
import { attribute } from "../attribution/attribute";
import { guardBackend } from "../engine/backend";
import { checkModelArg, checkModelInput } from "../engine/inputContract";
import { findLayer, isGraphModel, layerNames, layerOutputShape, type AnyModel, type Layer } from "../engine/model";
import type { Target } from "../engine/targets";
import { captureGradients } from "../hooks/capture";
import { scaleToUnit } from "./base";

/** Options of `fullGrad()`. */
export interface FullGradOptions {
  /** Class index (all images), one per image, a function output → score[batch]; default top-1. */
  target?: Target;
}

/** What `fullGrad()` returns; `dispose()` frees the heatmap. */
export interface FullGradResult {
  method: "fullgrad";
  /** [batch, H, W], each image scaled to [0, 1]. */
  heatmap: tf.Tensor3D;
  /** The layers whose bias-gradients were summed. */
  layers: string[];
  /** Layers with a bias that were left out, and why (a fused activation other than ReLU or linear). */
  skipped: string[];
  /** The class explained per image (null entries for a target function). */
  targets: (number | null)[];
  /** Target score per image. */
  scores: number[];
  /** Frees the heatmap; idempotent. */
  dispose(): void;
  [Symbol.dispose](): void;
}

type Weighted = Layer & { bias?: { read(): tf.Variable } | null; activation?: { getClassName(): string }; gamma?: { read(): tf.Variable } | null; beta?: { read(): tf.Variable } | null; movingMean: { read(): tf.Variable }; movingVariance: { read(): tf.Variable }; epsilon: number };

interface BiasLayer {
  name: string;
  layer: Layer;
  /** The per-channel bias b, [channels]. */
  bias: () => tf.Tensor1D;
  /** d f/d(pre-activation) from d f/d(output) and the output (ReLU: the gradient where out > 0). */
  preActivation: (grad: tf.Tensor, out: tf.Tensor) => tf.Tensor;
}

/** Layers with a per-channel bias and a spatial output: convolutions with a bias, batch norms (their effective bias β − μγ/√(σ² + ε)). */
function biasLayers(model: tf.LayersModel): { found: BiasLayer[]; skipped: string[] } {
  const found: BiasLayer[] = [], skipped: string[] = [];
  for (const name of layerNames(model)) {
    const layer = findLayer(model, name) as Weighted;
    if (layer instanceof tf.LayersModel) continue;
    const shape = layerOutputShape(layer);
    if (shape == null || shape.length !== 4) continue;
    const cls = layer.getClassName();
    if (cls === "BatchNormalization") {
      found.push({
        name,
        layer,
        bias: () => {
          const scale = tf.div(layer.gamma ? layer.gamma.read() : tf.scalar(1), tf.sqrt(tf.add(layer.movingVariance.read(), layer.epsilon)));
          return tf.sub(layer.beta ? layer.beta.read() : tf.scalar(0), tf.mul(layer.movingMean.read(), scale)) as tf.Tensor1D;
        },
        preActivation: (g) => g,
      });
      continue;
    }
    if (layer.bias == null || typeof layer.bias.read !== "function") continue;
    const act = layer.activation?.getClassName() ?? "linear";
    const bias = () => layer.bias!.read() as unknown as tf.Tensor1D;
    if (act === "linear" || act === "Linear") found.push({ name, layer, bias, preActivation: (g) => g });
    else if (act === "relu" || act === "Relu") found.push({ name, layer, bias, preActivation: (g, out) => tf.mul(g, tf.cast(tf.greater(out, 0), "float32")) });
    else skipped.push(`${name} (fused activation ${act})`);
  }
  return { found, skipped };
}

/** Per image and channel, x − min then ÷ (max + 1e-7) over positions (FullGrad's ψ rescaling, as pytorch-grad-cam). */
function scaleChannels(t: tf.Tensor4D): tf.Tensor4D {
  const shifted = tf.sub(t, tf.min(t, [1, 2], true));
  return tf.div(shifted, tf.add(tf.max(shifted, [1, 2], true), 1e-7)) as tf.Tensor4D;
}

/**
 * FullGrad saliency of `model` for `input`: |x ⊙ ∇ₓf| plus, for every layer with a bias,
 * |b ⊙ ∇_b f| per position and channel — each channel rescaled to [0, 1], upsampled to the input,
 * summed — then scaled to [0, 1] per image. LayersModels only (a GraphModel's biases are constants).
 */
export async function fullGrad(model: AnyModel, input: tf.Tensor, options: FullGradOptions = {}): Promise<FullGradResult> {
  checkModelArg(model, "fullGrad");
  if (isGraphModel(model)) throw new Error("camlab.fullGrad: needs a tf.LayersModel (it reads every layer's bias); a GraphModel's weights are graph constants — use cam() or attribute() instead");
  return guardBackend("fullGrad", () => fullGradOnBackend(model as tf.LayersModel, input, options));
}

async function fullGradOnBackend(model: tf.LayersModel, input: tf.Tensor, options: FullGradOptions): Promise<FullGradResult> {
  const { found, skipped } = biasLayers(model);
  // The input term and the explained classes, fixed once so the bias pass explains the same ones.
  const gi = await attribute(model, input, { method: "gradientxinput", target: options.target });
  let heatmap: tf.Tensor3D | null = null;
  try {
    const x = (await checkModelInput(model, input, "fullGrad")) as tf.Tensor4D;
    const target: Target = gi.targets.every((t) => t != null) ? (gi.targets as number[]) : options.target;
    const [, H, W] = x.shape;
    let capture: ReturnType<typeof captureGradients> | null = null;
    try {
      capture = found.length ? captureGradients(model, x, found.map((f) => f.layer), target) : null;
      const cap = capture;
      heatmap = tf.tidy(() => {
        // Eq. 4 with ψ (Sec. 4): S_f(x) = ψ(∇ₓf(x) ⊙ x) + Σ_{l∈L} Σ_{c∈c_l} ψ(f^b(x)_c); ψ = |·|, rescale, upsample.
        let sum = tf.sum(scaleChannels(tf.abs(gi.attributions) as tf.Tensor4D), -1) as tf.Tensor3D;
        found.forEach((f, i) => {
          const { activation, gradient } = cap!.layers[i];
          // Bias-gradient f^b = ∇_b f ⊙ b, per position: the pre-activation gradient times the channel's bias.
          const fb = tf.abs(tf.mul(f.preActivation(gradient, activation), f.bias())) as tf.Tensor4D;
          // Resizing is linear: Σ_c Up(ψ(f^b_c)) = Up(Σ_c ψ(f^b_c)) — one resize per layer, not per channel.
          const perLayer = tf.sum(scaleChannels(fb), -1, true) as tf.Tensor4D;
          sum = tf.add(sum, tf.squeeze(tf.image.resizeBilinear(perLayer, [H, W], false, true), [3])) as tf.Tensor3D;
        });
        return scaleToUnit(sum);
      });
    } finally {
      capture?.dispose();
      if (x !== input) x.dispose();
    }
    const h = heatmap;
    let disposed = false;
    const dispose = () => {
      if (!disposed) h.dispose();
      disposed = true;
    };
    return { method: "fullgrad", heatmap: h, layers: found.map((f) => f.name), skipped, targets: gi.targets, scores: gi.scores, dispose, [Symbol.dispose]: dispose };
  } catch (e) {
    heatmap?.dispose();
    throw e;
  } finally {
    gi.dispose();
  }
}
