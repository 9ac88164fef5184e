// `cam()`, the entry point people call: the per-layer raw maps (layerMaps.ts), then upsampling to
// the input, min-max scaling and the fusion of several layers — once, for every method — and the
// top-k predictions. Everything stays on the backend except the small predictions read.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkModelArg } from "../engine/inputContract";
import type { AnyModel } from "../engine/model";
import type { ModelInputs } from "../engine/modelInputs";
import type { Target } from "../engine/targets";
import { planMapsOnBackend } from "./layerMaps";
import type { CamMethod } from "./method";
import type { LayerReshape } from "./reshape";
import { isCamPlan, planCam, type CamPlan } from "./plan";
import { topK, type Prediction } from "./predictions";
import type { CamMethodName } from "./registry";

export { DEFAULT_MASK_BATCH } from "./plan";

/** Options of `cam()`. */
export interface CamOptions {
  /** Default "gradcam". */
  method?: CamMethodName | CamMethod;
  /** Layer name(s); several are fused. Default: the last layer with a spatial output. */
  layer?: string | readonly string[];
  /** Class index (all images), one per image, a function output → score[batch]; default top-1. */
  target?: Target;
  /** Class names for `predictions`. */
  labels?: readonly string[];
  /** Predictions per image (default 5). */
  topK?: number;
  /** Masked inputs / ablated maps per model run for Score-CAM and Ablation-CAM (default 8). */
  batchSize?: number;
  /**
   * Score-CAM only — Faster Score-CAM (tf-keras-vis's `max_N`): score just the `channels` channels
   * of highest activation variance over positions, per image; the others get weight 0. A layer of
   * 1280 channels costs 1280 masked forwards; the few dozen most varying channels carry most of
   * the map (a constant channel's mask is flat and says nothing about where). Default: all.
   */
  channels?: number;
  /**
   * pytorch-grad-cam's `eigen_smooth`: the map is the projection of the weighted activations
   * (w_c·A_c, or the method's per-position terms) on their first principal component instead of
   * their sum over channels — less noise, one dominant pattern. Not for methods that form their
   * map otherwise (Eigen-CAM, EigenGrad-CAM, KPCA-CAM, RISE).
   */
  eigenSmooth?: boolean;
  /**
   * pytorch-grad-cam's `aug_smooth` (test-time augmentation): the CAM is computed on 6 versions
   * of the input — as is and flipped left-right, each at intensity ×0.9, ×1, ×1.1 (ttach's
   * HorizontalFlip × Multiply) — each map flipped back, and the maps averaged. The class
   * explained is the one of the input as is. 6× the cost; image models only.
   */
  augSmooth?: boolean;
  /**
   * How the layer's output becomes a map [batch, h, w, channels] (pytorch-grad-cam's
   * reshape_transform): `camlab.tokenGrid()` for transformer token layers [batch, tokens, dim],
   * with or without a class token, or your own `LayerReshape`.
   */
  reshape?: LayerReshape;
  /**
   * Multi-input models: the input the CAM explains — its index or name (default 0). The map is
   * laid on it and Score-CAM/RISE mask it; the other inputs stay as given and get a per-element
   * attribution each (`inputAttributions`, Gradient × Input from the same backward pass).
   */
  input?: number | string;
}

/** Gradient × Input of one of the inputs a multi-input CAM did not explain, summed over its last axis. */
export interface InputAttribution {
  /** The input's name. */
  input: string;
  /** Σ over the last axis of x ⊙ ∂S/∂x: [batch, tokens] for a text input [batch, tokens, vocab or dim]. */
  attribution: tf.Tensor;
}

/** One layer's CAM inside a `CamResult`. */
export interface LayerCam {
  layer: string;
  /** ReLU(map) at the layer's resolution, [batch, h, w], not normalised. */
  raw: tf.Tensor3D;
  /** Channel weights [batch, channels]; null for methods that weigh positions (HiResCAM, LayerCAM, Eigen-CAM). */
  weights: tf.Tensor2D | null;
}

/** What `cam()` returns; every tensor in it is freed by `dispose()`. */
export interface CamResult {
  method: string;
  layers: string[];
  /** [batch, H, W] at input resolution, each image scaled to [0, 1] (layers fused by mean); [batch, 1, time] for a sequence model. */
  heatmap: tf.Tensor3D;
  /** raw/weights of the first layer (the only one unless several were asked for). */
  raw: tf.Tensor3D;
  weights: tf.Tensor2D | null;
  perLayer: LayerCam[];
  /** The class explained per image (null entries for a target function). */
  targets: (number | null)[];
  /** Target score per image. */
  scores: number[];
  /** Top-k classes per image (empty when the model output is not [batch, classes]). */
  predictions: Prediction[][];
  /** Multi-input models: the name of the input explained, and the attributions of the others. */
  explainedInput: string;
  inputAttributions: InputAttribution[];
  /** Frees every tensor of the result; idempotent. */
  dispose(): void;
  [Symbol.dispose](): void;
}

/** min-max scaling of each image of [b, h, w] to [0, 1] (as pytorch-grad-cam: x−min, /(max+1e-7)). */
export function scaleToUnit(maps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const shifted = tf.sub(maps, tf.min(maps, [1, 2], true));
    return tf.div(shifted, tf.add(tf.max(shifted, [1, 2], true), 1e-7)) as tf.Tensor3D;
  });
}

/**
 * Class activation maps of `model` for `input` at one or several layers, by any method (default
 * Grad-CAM: Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", https://arxiv.org/abs/1610.02391).
 *
 * The input is checked against the model's input signature first (shape, dtype, finite values)
 * and the method and layers before any kernel runs. Score-CAM, Ablation-CAM and RISE yield between
 * batches, so an interrupt or Cancel stops them (`Cancelled`), with nothing leaked.
 *
 * @param model a tf.LayersModel or tf.GraphModel.
 * @param input [batch, height, width, channels] as the model takes it ([batch, time, features] for
 *   a sequence model).
 * @param options `method` (a name from `CAM_METHODS` or a method object), `layer` (name or names;
 *   several are fused), `target` (class index, one per image, or a function of the output),
 *   `labels`, `topK`, `batchSize`, `channels` — or a plan from `planCam()`.
 * @returns a `CamResult`: `heatmap` [batch, H, W] scaled to [0, 1] at input resolution, per-layer
 *   `raw` maps and channel `weights`, the explained `targets` and their `scores`, top-k
 *   `predictions`. It stays on the backend: `dispose()` it (or `using r = await cam(…)`).
 *   For raw per-layer maps without upsampling or reads, call `camLayers()`.
 *
 * @example
 * const r = await camlab.cam(model, image, { method: "gradcam", layer: "out_relu", labels });
 * r.predictions[0][0];   // { classIndex: 281, label: "tabby", probability: 0.62 }
 * camlab.figures.overlay(image, r);
 * r.dispose();
 */
export async function cam(model: AnyModel, input: ModelInputs, options: CamOptions | CamPlan = {}): Promise<CamResult> {
  checkModelArg(model, "cam");
  const plan = isCamPlan(options) ? options : planCam(model, options);
  return guardBackend("cam", () => camOnBackend(model, input, plan));
}

async function camOnBackend(model: AnyModel, input: ModelInputs, plan: CamPlan): Promise<CamResult> {
  const maps = await planMapsOnBackend(model, input, plan);
  const { options } = plan;
  try {
    const [H, W] = maps.inputSize;
    const heatmap = tf.keep(tf.tidy(() => {
      const scaled = maps.perLayer.map((l) => scaleToUnit(tf.squeeze(tf.image.resizeBilinear(tf.expandDims(l.raw, -1) as tf.Tensor4D, [H, W], false, true), [3]) as tf.Tensor3D));
      return scaled.length === 1 ? scaled[0] : scaleToUnit(tf.mean(tf.stack(scaled), 0) as tf.Tensor3D);
    }));
    const batch = maps.scores.shape[0];
    let predictions: Prediction[][], scores: Float32Array | Int32Array | Uint8Array, classes: Float32Array | Int32Array | Uint8Array | null;
    try {
      [predictions, scores, classes] = await Promise.all([
        // Predictions need an output [batch, classes]; other outputs (explained by a target function) get none.
        maps.output.rank === 2 ? topK(maps.output, options.topK ?? 5, options.labels) : Promise.resolve(Array.from({ length: batch }, () => [] as Prediction[])),
        maps.scores.data(),
        maps.classes ? maps.classes.data() : Promise.resolve(null),
      ]);
    } catch (e) {
      heatmap.dispose();
      throw e;
    }
    // The result owns the per-layer maps and the heatmap; the rest of `maps` goes now.
    maps.output.dispose();
    maps.scores.dispose();
    maps.classes?.dispose();
    let disposed = false;
    const dispose = () => {
      if (disposed) return;
      disposed = true;
      heatmap.dispose();
      maps.dispose();
    };
    return {
      method: maps.method,
      layers: maps.layers,
      heatmap,
      raw: maps.perLayer[0].raw,
      weights: maps.perLayer[0].weights,
      perLayer: maps.perLayer,
      targets: Array.from({ length: batch }, (_, i) => (classes ? classes[i] : null)),
      scores: Array.from(scores),
      predictions,
      explainedInput: maps.explainedInput,
      inputAttributions: maps.inputAttributions,
      dispose,
      [Symbol.dispose]: dispose,
    };
  } catch (e) {
    maps.dispose();
    throw e;
  }
}

