// The shared CAM base: hooks and targets (one gradient pass), then per layer the method's
// weighting, ReLU, upsampling to the input, min-max scaling and the fusion of several layers —
// once, for every method. Everything stays on the backend except the small predictions read.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkModelArg, checkModelInput } from "../engine/inputContract";
import { defaultCamLayer, findLayer, isGraphModel, layerOutputShape, spatialLayerNames, type AnyModel, type HookTarget } from "../engine/model";
import { resolveTarget, type Target } from "../engine/targets";
import { captureGradients } from "../hooks/capture";
import { registerForwardHook } from "../hooks/register";
import { runModel } from "../hooks/run";
import { layerKernelGradient } from "./kernelGradient";
import type { CamContext, CamMethod, CamWeighting } from "./method";
import { topK, type Prediction } from "./predictions";
import { resolveMethod, type CamMethodName } from "./registry";

/**
 * Masked inputs per model run for Score-CAM / Ablation-CAM by default. An interrupt or Cancel
 * lands between runs, so this bounds how long stopping takes: 8 is ~0.85 s a run for MobileNetV2
 * on wasm here (32 was ~3 s), for ~12% more total time.
 */
export const DEFAULT_MASK_BATCH = 8;

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
  /** Frees every tensor of the result; idempotent. */
  dispose(): void;
  [Symbol.dispose](): void;
}

function spatialError(model: AnyModel, name: string, shape: readonly (number | null)[]): Error {
  const near = spatialLayerNames(model).slice(-5);
  return new Error(`camlab.cam: layer "${name}" outputs shape [${shape.map((d) => (d == null ? "batch" : d)).join(", ")}] (rank ${shape.length}); a CAM needs a spatial map [batch, height, width, channels] to weigh. ${near.length ? `Spatial layers near the output: ${near.join(", ")}` : "This model has no layer with such an output (a model whose input is [batch, time, features] may also use [batch, time, channels] layers)"}`);
}

function resolveLayers(model: AnyModel, layer: CamOptions["layer"], sequence: boolean): { names: string[]; targets: HookTarget[] } {
  const names = layer == null ? [sequence ? lastTimeLayer(model) : defaultCamLayer(model)] : typeof layer === "string" ? [layer] : [...layer];
  if (names.length === 0) throw new Error("camlab.cam: `layer` is an empty list; give at least one layer name");
  const targets = names.map((n) => findLayer(model, n));
  targets.forEach((t, i) => {
    const s = layerOutputShape(t);
    if (s != null && s.length !== 4 && !(sequence && s.length === 3)) throw spatialError(model, names[i], s);
  });
  return { names, targets };
}

/** True for a model over sequences: its input is [batch, time, features]. */
function isSequenceModel(model: AnyModel): boolean {
  const shape = isGraphModel(model) ? model.inputs[0]?.shape : (model as tf.LayersModel).inputs[0]?.shape;
  return shape?.length === 3;
}

/** Default layer of a sequence model: the last one whose output is [batch, time, channels] with time > 1. */
function lastTimeLayer(model: AnyModel): string {
  const layers = isGraphModel(model) ? [] : (model as tf.LayersModel).layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    const s = layerOutputShape(layers[i]);
    if (s != null && s.length === 3 && (s[1] ?? 2) > 1 && layers[i].getClassName() !== "InputLayer") return layers[i].name;
  }
  throw new Error("camlab.cam: this sequence model has no layer with an output [batch, time, channels]; pass { layer } explicitly");
}

/** min-max scaling of each image of [b, h, w] to [0, 1] (as pytorch-grad-cam: x−min, /(max+1e-7)). */
export function scaleToUnit(maps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const shifted = tf.sub(maps, tf.min(maps, [1, 2], true));
    return tf.div(shifted, tf.add(tf.max(shifted, [1, 2], true), 1e-7)) as tf.Tensor3D;
  });
}

/** Per-image target score of image `image` for a batch of outputs. */
function imageTarget(target: Target, classes: tf.Tensor1D | null, image: number): (out: tf.Tensor) => tf.Tensor1D {
  if (typeof target === "function") return (out) => resolveTarget(target, out).scores;
  return (out) => {
    const k = out.shape[1] as number;
    const cls = tf.cast(tf.slice(classes!, [image], [1]), "int32") as tf.Tensor1D;
    return tf.sum(tf.mul(out, tf.oneHot(cls, k)), -1) as tf.Tensor1D;
  };
}

/**
 * Class activation maps of `model` for `input` at one or several layers, by any method (default
 * Grad-CAM). The input is checked against the model's input signature first (shape, dtype, finite
 * values); Score-CAM and Ablation-CAM yield between batches, so an interrupt cancels them
 * (`Cancelled`), with nothing leaked. Results stay on the backend; dispose them when done.
 */
export async function cam(model: AnyModel, input: tf.Tensor, options: CamOptions = {}): Promise<CamResult> {
  checkModelArg(model, "cam");
  return guardBackend("cam", () => camOnBackend(model, input, options));
}

function checkChannels(method: CamMethod, channels: number | undefined): void {
  if (channels == null) return;
  if (method.name !== "scorecam") throw new Error(`camlab.cam: \`channels\` (Faster Score-CAM) applies to method "scorecam" only, got method "${method.name}"; leave it out for other methods`);
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`camlab.cam: channels must be a positive integer (how many channels Score-CAM scores), got ${channels}`);
}

async function camOnBackend(model: AnyModel, input: tf.Tensor, options: CamOptions): Promise<CamResult> {
  const method = resolveMethod(options.method);
  const batchSize = options.batchSize ?? DEFAULT_MASK_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`camlab.cam: batchSize must be a positive integer, got ${batchSize}`);
  checkChannels(method, options.channels);
  method.check?.(options);
  const sequence = isSequenceModel(model);
  const { names, targets } = resolveLayers(model, options.layer, sequence);
  const x = await checkModelInput(model, input, "cam");
  // Sequences run as maps of height 1: [b, T, C] ⇄ [b, 1, T, C] at the model's boundaries.
  const x4 = (sequence ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
  const toModel = (t: tf.Tensor): tf.Tensor => (sequence ? tf.squeeze(t, [1]) : t);
  const owned: tf.Tensor[] = [];
  const views: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(tf.keep(t));
    return t;
  };
  let capture: ReturnType<typeof captureGradients> | null = null;
  try {
    capture = captureGradients(model, x as tf.Tensor4D, targets, options.target);
    const cap = capture;
    const [H, W] = [x4.shape[1], x4.shape[2]];
    const perLayer: LayerCam[] = [];
    for (const [li, lc] of cap.layers.entries()) {
      const timeMap = sequence && lc.activation.rank === 3;
      if (lc.activation.rank !== 4 && !timeMap) throw spatialError(model, names[li], [null, ...lc.activation.shape.slice(1)]);
      const view = (t: tf.Tensor): tf.Tensor4D => {
        if (!timeMap) return t as tf.Tensor4D;
        const v = tf.expandDims(t, 1) as tf.Tensor4D;
        views.push(v);
        return v;
      };
      const activations = view(lc.activation);
      const outputFromActivations = (acts: tf.Tensor4D, image: number): tf.Tensor => {
        const n = acts.shape[0];
        // A fresh tensor for the model to consume: a LayersModel's executor disposes the
        // intermediates it has used, and `acts` belongs to the caller.
        const handle = registerForwardHook(targets[li], () => (timeMap ? tf.squeeze(acts, [1]) : tf.clone(acts)));
        try {
          const tiled = tf.tile(tf.slice(x4, [image, 0, 0, 0], [1, -1, -1, -1]), [n, 1, 1, 1]);
          return runModel(model, toModel(tiled));
        } finally {
          handle.remove();
        }
      };
      const ctx: CamContext = {
        layer: names[li],
        activations,
        gradients: view(lc.gradient),
        input: x4,
        scores: cap.scores,
        batchSize,
        channels: options.channels,
        scoreInputs: (inputs, image) => imageTarget(options.target, cap.classes, image)(runModel(model, toModel(inputs))),
        scoreActivations: (acts, image) => imageTarget(options.target, cap.classes, image)(outputFromActivations(acts, image)),
        outputFromActivations: (acts, image) => outputFromActivations(acts, image),
        kernelGradient: () => layerKernelGradient(model, targets[li], names[li], toModel(x4)),
        explained: (image) => (cap.classes ? tf.cast(tf.slice(cap.classes, [image], [1]), "int32") as tf.Tensor1D : null),
      };
      const result: LayerCam = { layer: names[li], raw: null as unknown as tf.Tensor3D, weights: null };
      // The map from the method's weighting: Σ_c w_c·A_c for channel weights, ReLU either way.
      const finish = (w: CamWeighting) => {
        let map: tf.Tensor3D;
        let weights: tf.Tensor2D | null = null;
        if ("weights" in w) {
          weights = w.weights;
          const [b, , , c] = activations.shape;
          map = tf.sum(tf.mul(activations, tf.reshape(weights, [b, 1, 1, c])), -1) as tf.Tensor3D;
        } else {
          map = w.map;
        }
        result.raw = keep(tf.relu(map));
        result.weights = weights ? keep(weights.clone()) : null;
      };
      // A synchronous method runs inside the tidy; an async one (no tensors before its first
      // await, see method.ts) comes back as a promise and hands over tensors it made for us.
      let pending = null as Promise<CamWeighting> | null;
      tf.tidy(() => {
        const w = method.weigh(ctx);
        if (w instanceof Promise) pending = w;
        else finish(w);
      });
      if (pending != null) {
        const w: CamWeighting = await pending;
        try {
          tf.tidy(() => finish(w));
        } finally {
          ("weights" in w ? w.weights : w.map).dispose();
        }
      }
      perLayer.push(result);
    }
    const heatmap = keep(tf.tidy(() => {
      const scaled = perLayer.map((l) => scaleToUnit(tf.squeeze(tf.image.resizeBilinear(tf.expandDims(l.raw, -1) as tf.Tensor4D, [H, W], false, true), [3]) as tf.Tensor3D));
      return scaled.length === 1 ? scaled[0] : scaleToUnit(tf.mean(tf.stack(scaled), 0) as tf.Tensor3D);
    }));
    const [predictions, scores, classes] = await Promise.all([
      // Predictions need an output [batch, classes]; other outputs (explained by a target function) get none.
      cap.output.rank === 2 ? topK(cap.output, options.topK ?? 5, options.labels) : Promise.resolve(Array.from({ length: x.shape[0] }, () => [] as Prediction[])),
      cap.scores.data(),
      cap.classes ? cap.classes.data() : Promise.resolve(null),
    ]);
    let disposed = false;
    const dispose = () => {
      if (disposed) return;
      disposed = true;
      for (const t of owned) t.dispose();
    };
    return {
      method: method.name,
      layers: names,
      heatmap,
      raw: perLayer[0].raw,
      weights: perLayer[0].weights,
      perLayer,
      targets: Array.from({ length: x.shape[0] }, (_, i) => (classes ? classes[i] : null)),
      scores: Array.from(scores),
      predictions,
      dispose,
      [Symbol.dispose]: dispose,
    };
  } catch (e) {
    for (const t of owned) t.dispose();
    throw e;
  } finally {
    capture?.dispose();
    for (const v of views) v.dispose();
    if (x4 !== x) x4.dispose();
    if (x !== input) x.dispose();
  }
}
