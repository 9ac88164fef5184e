// The per-layer core of every CAM: one gradient pass (hooks and target), then per layer the
// method's weighting and ReLU — raw maps at the layer's own resolution. No upsampling, no
// scaling, no reads: `cam()` adds those for a person; the session's widgets take the raw map as
// it is (they upsample in the page) and know their class already.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkModelArg } from "../engine/inputContract";
import { modelInputNames, type AnyModel } from "../engine/model";
import { checkModelInputs, type ModelInputs } from "../engine/modelInputs";
import { resolveTarget, type Target } from "../engine/targets";
import { captureGradients, type GradientCapture } from "../hooks/capture";
import { modelTail, type ModelTail } from "../engine/tail";
import { foldModel, type FoldedModel } from "../engine/folded";
import { runBatches } from "../engine/replicas";
import { withTapeCleanup } from "../engine/tape";
import { registerForwardHook } from "../hooks/register";
import { runModel } from "../hooks/run";
import { augSmoothedLayerMaps } from "./augSmooth";
import type { CamOptions, InputAttribution, LayerCam } from "./base";
import { layerKernelGradient } from "./kernelGradient";
import { firstComponentProjection } from "./methods/eigencam";
import type { CamContext, CamWeighting } from "./method";
import { isCamPlan, planCam, spatialError, type CamPlan } from "./plan";

/** What `camLayers()` returns: raw per-layer maps on the backend; `dispose()` frees them all. */
export interface LayerMaps {
  method: string;
  layers: string[];
  /** One entry per layer: ReLU(map) [batch, h, w] at the layer's resolution and the channel weights. */
  perLayer: LayerCam[];
  /** Target score per image, [batch]. */
  scores: tf.Tensor1D;
  /** The class explained per image, [batch] (null for a target function). */
  classes: tf.Tensor1D | null;
  /** Multi-input models: the input explained, and Gradient × Input of the others (see CamOptions.input). */
  explainedInput: string;
  inputAttributions: InputAttribution[];
  /** Frees every tensor of the result; idempotent. */
  dispose(): void;
  [Symbol.dispose](): void;
}

/** Internal: the maps plus the model output, which `cam()` reads its top-k predictions from. */
export interface LayerMapsWithOutput extends LayerMaps {
  output: tf.Tensor;
  /** [height, width] of the checked input as maps see it ([1, time] for a sequence). */
  inputSize: [number, number];
}

/**
 * The raw CAM of each layer — the lower-level entry beneath `cam()`: the same methods, targets and
 * checks, but the maps stay at the layer's resolution, unscaled, and nothing is read back (no
 * predictions, no scores). Use it when you upsample or compare maps yourself, or call it often
 * (the live widgets do). Takes `CamOptions`, or a `CamPlan` from `planCam()` to skip resolving
 * the method and layers again. `reuse.activation` — the layer's output for this input, held from
 * an earlier pass — lets a one-layer CAM run only the model after the layer (where it can).
 *
 * @example
 * const maps = await camLayers(model, x, { method: "gradcam", layer: "out_relu", target: 281 });
 * maps.perLayer[0].raw.shape; // [1, 7, 7]
 * maps.dispose();
 */
export async function camLayers(model: AnyModel, input: ModelInputs, options: CamOptions | CamPlan = {}, reuse?: ReuseActivations): Promise<LayerMaps> {
  checkModelArg(model, "cam");
  const plan = isCamPlan(options) ? options : planCam(model, options);
  const result = await guardBackend("cam", () => planMapsOnBackend(model, input, plan, reuse));
  result.output.dispose();
  const { output: _, ...maps } = result;
  return maps;
}

/** The maps a plan asks for: one pass, or the augSmooth average of six. */
export function planMapsOnBackend(model: AnyModel, input: ModelInputs, plan: CamPlan, reuse?: ReuseActivations): Promise<LayerMapsWithOutput> {
  // planCam refuses augSmooth for several inputs, so `input` is one tensor there; its variants
  // are other inputs, so held activations do not apply to them.
  return plan.options.augSmooth ? augSmoothedLayerMaps(model, input as tf.Tensor, plan) : layerMapsOnBackend(model, input, plan, reuse);
}

/**
 * Activations the caller already holds for the (one) layer of the plan, [batch, …] as the layer
 * outputs them: with a model tail (engine/tail.ts) the CAM's gradient pass then runs only the
 * model after the layer. Ignored where there is no tail.
 */
export interface ReuseActivations {
  activation: tf.Tensor;
}

/** The capture of a one-layer CAM from held activations: forward and backward through the tail only. */
function captureFromTail(tail: ModelTail, held: tf.Tensor, target: Target | undefined): GradientCapture {
  let output: tf.Tensor | undefined, scores: tf.Tensor1D | undefined, classes: tf.Tensor1D | null = null;
  const activation = tf.keep(held.clone());
  try {
    const gradient = tf.keep(withTapeCleanup(() => tf.tidy(() => tf.grad((a: tf.Tensor) => {
      const out = tail.run(a);
      const r = resolveTarget(target, out);
      output = tf.keep(out);
      scores = tf.keep(r.scores);
      classes = r.classes ? tf.keep(r.classes) : null;
      return tf.sum(r.scores) as tf.Scalar;
    })(activation))));
    const all = [activation, gradient, output!, scores!, ...(classes ? [classes] : [])];
    return { output: output!, scores: scores!, classes, layers: [{ activation, gradient }], inputGradients: [], dispose: () => tf.dispose(all) };
  } catch (e) {
    tf.dispose([activation, ...[output, scores, classes].filter((t): t is tf.Tensor => t != null)]);
    throw e;
  }
}

/** Per-image target score of image `image` for a batch of outputs. */
function imageTarget(target: Target | undefined, classes: tf.Tensor1D | null, image: number): (out: tf.Tensor) => tf.Tensor1D {
  if (typeof target === "function") return (out) => resolveTarget(target, out).scores;
  return (out) => {
    const k = out.shape[1] as number;
    const cls = tf.cast(tf.slice(classes!, [image], [1]), "int32") as tf.Tensor1D;
    return tf.sum(tf.mul(out, tf.oneHot(cls, k)), -1) as tf.Tensor1D;
  };
}

/**
 * Runs a planned CAM on the current backend (the caller guards it): checks the input, captures
 * activations and gradients in one pass, weighs each layer. Every tensor it returns is kept and
 * freed by the result's `dispose()`; on a throw nothing is left behind.
 */
export async function layerMapsOnBackend(model: AnyModel, input: ModelInputs, plan: CamPlan, reuse?: ReuseActivations): Promise<LayerMapsWithOutput> {
  const { method, sequence, batchSize, options, inputIndex: k } = plan;
  const names = [...plan.layers];
  const targets = plan.hookTargets;
  const checked = await checkModelInputs(model, input, "cam");
  const { feeds } = checked;
  const inputNames = modelInputNames(model);
  const x = feeds[k];
  // The model's inputs with the explained one replaced by `xk` (masked, tiled); the others as
  // given, or — for work on one image — that image's row repeated to xk's batch.
  const feedWith = (xk: tf.Tensor, image?: number): tf.Tensor | tf.Tensor[] => {
    if (feeds.length === 1) return xk;
    return feeds.map((f, i) => {
      if (i === k) return xk;
      if (image == null) return f;
      return tf.tile(tf.slice(f, [image], [1]), [xk.shape[0], ...f.shape.slice(1).map(() => 1)]);
    });
  };
  // Sequences run as maps of height 1: [b, T, C] ⇄ [b, 1, T, C] at the model's boundaries.
  const x4 = (sequence ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
  const toModel = (t: tf.Tensor): tf.Tensor => (sequence ? tf.squeeze(t, [1]) : t);
  const owned: tf.Tensor[] = [];
  const views: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(tf.keep(t));
    return t;
  };
  // The model after each layer, where it depends on nothing before the layer: activations fed
  // back (Ablation-CAM, FinerCAM, ShapleyCAM) and reused activations run only that part.
  const tails = targets.map((t) => (feeds.length === 1 ? modelTail(model, t) : null));
  let capture: GradientCapture | null = null;
  // Masked-input methods (Score-CAM, RISE) run the model hundreds of times for its output alone:
  // on the folded model (engine/folded.ts), made at the first such run, freed with the call.
  let folded: FoldedModel | null | undefined;
  const outputForInputs = (inputs: tf.Tensor, image: number): tf.Tensor => {
    if (feeds.length === 1) {
      if (folded === undefined) folded = foldModel(model);
      if (folded != null) return folded.run(toModel(inputs));
    }
    return runModel(model, feedWith(toModel(inputs), image));
  };
  try {
    const held = reuse?.activation;
    capture = held != null && tails.length === 1 && tails[0] != null && held.shape.length > 1 && held.shape[0] === x.shape[0]
      ? captureFromTail(tails[0], held, options.target)
      : captureGradients(model, feeds.length === 1 ? x : feeds, [...targets], options.target, { inputGradients: feeds.length > 1 });
    const cap = capture;
    const perLayer: LayerCam[] = [];
    for (const [li, lc] of cap.layers.entries()) {
      const { reshape } = options;
      const timeMap = !reshape && sequence && lc.activation.rank === 3;
      if (!reshape && lc.activation.rank !== 4 && !timeMap) throw spatialError(model, names[li], [null, ...lc.activation.shape.slice(1)]);
      // The layer's output as the map the methods weigh: as is, a time axis as a row, or reshaped.
      const view = (t: tf.Tensor): tf.Tensor4D => {
        if (!timeMap && !reshape) return t as tf.Tensor4D;
        const v = reshape ? reshape.toMap(t) : (tf.expandDims(t, 1) as tf.Tensor4D);
        views.push(v);
        if (v.rank !== 4) throw new Error(`camlab.cam: reshape ${reshape!.name} gave shape [${v.shape.join(", ")}] for layer "${names[li]}"; it must give a map [batch, h, w, channels]`);
        return v;
      };
      const activations = view(lc.activation);
      const outputFromActivations = (acts: tf.Tensor4D, image: number): tf.Tensor => {
        const n = acts.shape[0];
        const tail = tails[li];
        if (tail) {
          // Only the model after the layer: the layer's output for image `image` is `acts`.
          if (reshape) return tail.run(reshape.fromMap!(acts, tf.tile(tf.slice(lc.activation, [image], [1]), [n, ...lc.activation.shape.slice(1).map(() => 1)])));
          return tail.run(timeMap ? tf.squeeze(acts, [1]) : acts);
        }
        // A fresh tensor for the model to consume: a LayersModel's executor disposes the
        // intermediates it has used, and `acts` belongs to the caller.
        const handle = registerForwardHook(targets[li], (_layer, _inputs, out) => {
          if (reshape) return reshape.fromMap!(acts, Array.isArray(out) ? out[0] : out); // planCam checked fromMap exists
          return timeMap ? tf.squeeze(acts, [1]) : tf.clone(acts);
        });
        try {
          const tiled = tf.tile(tf.slice(x4, [image, 0, 0, 0], [1, -1, -1, -1]), [n, 1, 1, 1]);
          return runModel(model, feedWith(toModel(tiled), image));
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
        scoreInputs: (inputs, image) => imageTarget(options.target, cap.classes, image)(outputForInputs(inputs, image)),
        scoreInputBatches: async (count, batch, image, scored) => {
          const target = imageTarget(options.target, cap.classes, image);
          // Replicas take a model's single image input as is; other models run every batch here.
          const values = feeds.length === 1 && !sequence ? batchSize * tf.util.sizeFromShape(x4.shape.slice(1)) : 0;
          await runBatches(model, count, values, batch, (xj) => outputForInputs(xj, image), async (j, out) => {
            let scores: tf.Tensor1D;
            try {
              scores = tf.tidy(() => target(out));
            } finally {
              out.dispose();
            }
            await scored(j, scores);
          });
        },
        scoreActivations: (acts, image) => imageTarget(options.target, cap.classes, image)(outputFromActivations(acts, image)),
        outputFromActivations: (acts, image) => outputFromActivations(acts, image),
        kernelGradient: () => layerKernelGradient(model, targets[li], names[li], feedWith(toModel(x4))),
        explained: (image) => (cap.classes ? tf.cast(tf.slice(cap.classes, [image], [1]), "int32") as tf.Tensor1D : null),
      };
      const result: LayerCam = { layer: names[li], raw: null as unknown as tf.Tensor3D, weights: null };
      // The map from the method's weighting: Σ_c w_c·A_c for channel weights (or, with
      // eigenSmooth, the first principal component of the terms w_c·A_c), ReLU either way.
      const finish = (w: CamWeighting) => {
        let map: tf.Tensor3D;
        let weights: tf.Tensor2D | null = null;
        if ("weights" in w) {
          weights = w.weights;
          const [b, , , c] = activations.shape;
          const terms = tf.mul(activations, tf.reshape(weights, [b, 1, 1, c])) as tf.Tensor4D;
          map = options.eigenSmooth ? firstComponentProjection(terms) : (tf.sum(terms, -1) as tf.Tensor3D);
        } else if (options.eigenSmooth) {
          // planCam refused eigenSmooth for methods that form their own map; the others hand their terms.
          if (!w.weighted) throw new Error(`camlab.cam: method "${method.name}" gave no per-channel terms for eigenSmooth; mark it formsOwnMap`);
          map = firstComponentProjection(w.weighted);
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
          if ("weights" in w) w.weights.dispose();
          else tf.dispose([w.map, ...(w.weighted ? [w.weighted] : [])]);
        }
      }
      perLayer.push(result);
    }
    const output = keep(cap.output.clone());
    const scores = keep(cap.scores.clone()) as tf.Tensor1D;
    const classes = cap.classes ? (keep(cap.classes.clone()) as tf.Tensor1D) : null;
    let disposed = false;
    const dispose = () => {
      if (disposed) return;
      disposed = true;
      for (const t of owned) t.dispose();
    };
    // Gradient × Input of the inputs not explained, summed over their last (feature) axis.
    const inputAttributions: InputAttribution[] = feeds.flatMap((f, i) => (i === k ? [] : [{
      input: inputNames[i],
      attribution: keep(tf.tidy(() => tf.sum(tf.mul(f, cap.inputGradients[i]), -1))),
    }]));
    return { method: method.name, layers: names, perLayer, scores, classes, explainedInput: inputNames[k], inputAttributions, output, inputSize: [x4.shape[1], x4.shape[2]], dispose, [Symbol.dispose]: dispose };
  } catch (e) {
    for (const t of owned) t.dispose();
    throw e;
  } finally {
    capture?.dispose();
    folded?.dispose();
    for (const v of views) v.dispose();
    if (x4 !== x) x4.dispose();
    checked.dispose();
  }
}
