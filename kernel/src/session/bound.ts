// A bound model: what one display keeps resident in the session registry — the model (owned by
// the user's cell; referenced, not copied), its own copy of the input, and caches filled on
// demand (layer activations on the backend, channel statistics and CAM maps on the host). Every
// tensor here is owned by the entry and freed by release(), which the registry calls on eviction.
import * as tf from "@tensorflow/tfjs";
import { camLayers } from "../cam/layerMaps";
import { planCam, type CamPlan } from "../cam/plan";
import type { CamMethodName } from "../cam/registry";
import { topK } from "../cam/predictions";
import { defaultCamLayer, describeLayers, findLayer, isGraphModel, isGraphNode, layerNames, layerOutputShape, spatialLayerNames, type AnyModel } from "../engine/model";
import { checkInputShape } from "../engine/inputContract";
import { FeatureExtractor } from "../hooks/extractor";
import { modelTail } from "../engine/tail";
import { registerForwardHook, type HookHandle } from "../hooks/register";
import { runModel } from "../hooks/run";
import type { CamRange, ChannelSummary, LayerInfo, Prediction } from "../protocol";
import { quantizeMap, type Quantized } from "./quantize";
import { tensorBytes } from "./registry";

/** Options of binding a model and input into the session: class names and the model's name. */
export interface BindOptions {
  /** Class names for predictions and CAM labels. */
  labels?: readonly string[];
  /** Shown as the model's name (default: the model's own name). */
  modelName?: string;
}


/** Most CAM maps kept per bound input (each is feature-map sized: a few KB). */
const CAM_CACHE_ENTRIES = 64;

/** A CAM map scaled to [0, 1] and quantised, with its range before the scaling. */
export interface CamQuantized extends Quantized {
  raw: CamRange;
}

/** A model with its bound input, resident in the session: activations, CAMs and predictions computed on the backend on demand and cached for the widgets. */
export class BoundModel {
  readonly modelName: string;
  readonly labels: readonly string[] | null;
  /** The input batch [1, ...] owned by this entry; null when only the model is bound. */
  readonly input: tf.Tensor | null;
  private readonly activations = new Map<string, tf.Tensor3D>();
  /** CAM layers' outputs as the layers give them, held for tail-only recomputation (heldCamActivation). */
  private readonly camActivations = new Map<string, tf.Tensor>();
  private readonly summaries = new Map<string, ChannelSummary[]>();
  private readonly camWeightCache = new Map<string, Float32Array | null>();
  private readonly camCache = new Map<string, CamQuantized>();
  private predictionCache: Prediction[] | null = null;
  private layerCache: LayerInfo[] | null = null;
  private released = false;
  /** Called when the entry's backend memory changes (the registry re-applies its budget). */
  onResize: (bytes: number) => void = () => {};

  constructor(readonly model: AnyModel, input: tf.Tensor | null, options: BindOptions = {}) {
    this.modelName = options.modelName ?? (model as { name?: string }).name ?? "model";
    this.labels = options.labels ? [...options.labels] : null;
    if (input != null) {
      // The input contract (engine/inputContract.ts), synchronous here: shape, dtype, one example.
      // Values were checked by the async callers (the views' batchOfOne).
      const batch = checkInputShape(model, input, "bind", { batch: 1 });
      this.input = tf.keep(batch === input ? input.clone() : batch);
    } else {
      this.input = null;
    }
  }

  /** Backend bytes owned: the input copy and cached activations. */
  get bytes(): number {
    return tensorBytes([...(this.input ? [this.input] : []), ...this.activations.values(), ...this.camActivations.values()]);
  }

  requireInput(what: string): tf.Tensor {
    if (this.released) throw new Error("this session entry was released");
    if (this.input == null) throw new Error(`${what} needs an input bound to the display; this one shows the model only (pass an input to showLayers)`);
    return this.input;
  }

  /** Protocol layer rows (output shapes without the batch dimension). */
  layers(): LayerInfo[] {
    if (!this.layerCache) {
      const spatial = new Set(spatialLayerNames(this.model));
      this.layerCache = describeLayers(this.model).map((l) => ({
        name: l.name,
        className: l.className,
        outputShape: l.outputShape ? l.outputShape.slice(1) : [],
        params: l.params,
        trainable: l.trainable,
        inbound: l.inbound,
        spatial: spatial.has(l.name) && (l.outputShape == null || l.outputShape.length === 4),
      }));
    }
    return this.layerCache;
  }

  /**
   * The layer's output for the bound input as [height, width, channels] (rank-3 outputs
   * [batch, time, channels] become [1, time, channels]; vectors [batch, units] become [1, 1, units]).
   * Cached on the backend; the entry's byte count grows by its size.
   */
  activation(layer: string): tf.Tensor3D {
    const cached = this.activations.get(layer);
    if (cached) return cached;
    const input = this.requireInput("activations");
    const target = findLayer(this.model, layer); // a wrong name fails here, listing the closest names
    // An InputLayer never runs (nothing to hook): its output is the bound input itself.
    const isInput = !isGraphNode(target) && target.getClassName() === "InputLayer";
    const extractor = isInput ? null : new FeatureExtractor(this.model, layer);
    try {
      const out = extractor ? extractor.extract(input).features[layer] : input;
      const shape = out.shape;
      let hwc: [number, number, number];
      if (shape.length === 4) hwc = [shape[1], shape[2], shape[3]];
      else if (shape.length === 3) hwc = [1, shape[1], shape[2]];
      else if (shape.length === 2) hwc = [1, 1, shape[1]];
      else throw new Error(`layer "${layer}" outputs shape [${shape.join(", ")}]: it has no channel axis to show as tiles`);
      const act = tf.keep(tf.reshape(out, hwc)) as tf.Tensor3D;
      this.activations.set(layer, act);
      this.onResize(this.bytes);
      return act;
    } finally {
      extractor?.dispose();
    }
  }

  /** Per-channel mean, max and sparsity (and the Grad-CAM weight when known); one read. */
  async channelSummaries(layer: string, withCamWeight = false): Promise<ChannelSummary[]> {
    let rows = this.summaries.get(layer);
    if (!rows) {
      const act = this.activation(layer);
      // Sparsity as mean(1 − sign|x|), not mean(cast(x == 0)): tfjs-webgpu 4.22 builds an invalid
      // shader when a bool cast to float32 is transposed for the reduction (garbage on webgpu).
      const stats = tf.tidy(() => tf.stack([tf.mean(act, [0, 1]), tf.max(act, [0, 1]), tf.mean(tf.sub(1, tf.sign(tf.abs(act))), [0, 1])]));
      let values: Float32Array;
      try {
        values = (await stats.data()) as Float32Array;
      } finally {
        stats.dispose();
      }
      const c = act.shape[2];
      rows = Array.from({ length: c }, (_, i) => ({ index: i, mean: values[i], max: values[c + i], sparsity: values[2 * c + i] }));
      this.summaries.set(layer, rows);
    }
    if (withCamWeight) {
      const w = await this.camWeights(layer);
      if (w) rows.forEach((r, i) => (r.camWeight = w[i]));
    }
    return rows;
  }

  /**
   * Grad-CAM channel weights alpha_k of the layer for the top-1 class, or null when the layer has
   * no spatial map or the model no class output (the browser then cannot sort by them).
   */
  async camWeights(layer: string): Promise<Float32Array | null> {
    if (this.camWeightCache.has(layer)) return this.camWeightCache.get(layer)!;
    const input = this.requireInput("Grad-CAM channel weights");
    let weights: Float32Array | null = null;
    // GraphModel nodes have no static shape: try, and treat a failure as "not spatial".
    const shape = layerOutputShape(findLayer(this.model, layer));
    const spatial = shape == null || shape.length === 4;
    if (spatial && (await this.predictions(1)).length > 0) {
      try {
        const result = await camLayers(this.model, input, { method: "gradcam", layer });
        try {
          const w = result.perLayer[0].weights;
          weights = w ? ((await w.data()) as Float32Array) : null;
        } finally {
          result.dispose();
        }
      } catch {
        weights = null; // e.g. a GraphModel node whose map is not spatial after all
      }
    }
    this.camWeightCache.set(layer, weights);
    return weights;
  }

  /** Top-k predictions of the bound input (empty when the output is not [1, classes]). */
  async predictions(k: number): Promise<Prediction[]> {
    if (!this.predictionCache) {
      const input = this.requireInput("predictions");
      const output = tf.tidy(() => runModel(this.model, input));
      try {
        if (output.rank !== 2) {
          this.predictionCache = [];
        } else {
          const all = await topK(output, output.shape[1] as number, this.labels ?? undefined);
          this.predictionCache = all[0].map((p) => ({ ...p, label: p.label ?? `class ${p.classIndex}` }));
        }
      } finally {
        output.dispose();
      }
    }
    return this.predictionCache.slice(0, k);
  }

  /** Number of classes of the model output (0 when it is not [1, classes]). */
  async classCount(): Promise<number> {
    return (await this.predictions(Number.MAX_SAFE_INTEGER)).length;
  }

  label(classIndex: number): string {
    return this.labels?.[classIndex] ?? `class ${classIndex}`;
  }

  /**
   * A widget's CAM request resolved once: method and layer checked against the model (an error
   * names `caller`, e.g. "cam.compute"), for the given class. Switch class with `planForTarget`.
   */
  planMap(method: string, layer: string, classIndex: number, caller: string): CamPlan {
    // The default mask batch (8) bounds a widget's Cancel to about a second (see DEFAULT_MASK_BATCH).
    return planCam(this.model, { method: method as CamMethodName, layer, target: classIndex }, caller);
  }

  /**
   * The CAM of a planned method / layer / class at feature-map resolution, scaled to [0, 1] and
   * quantized — the raw per-layer map (`camLayers`), never upsampled or read for predictions
   * here: the page upsamples, and it knows its class. Host-cached (a few KB each), so switching
   * back to a class costs no compute.
   */
  async camMap(plan: CamPlan): Promise<CamQuantized> {
    const classIndex = plan.options.target as number;
    const key = JSON.stringify([plan.method.name, plan.layers[0], classIndex]);
    const hit = this.camCache.get(key);
    if (hit) {
      this.camCache.delete(key); // re-insert: Map order is the LRU order
      this.camCache.set(key, hit);
      return hit;
    }
    const input = this.requireInput("a CAM");
    // The layer's activations, held once per layer: a class or method switch then runs only the
    // model after the layer (its tail) — for MobileNetV2 at out_relu a pooling and a dense layer.
    const held = this.heldCamActivation(plan.layers[0]);
    const result = await camLayers(this.model, input, plan, held ? { activation: held } : undefined);
    let q: CamQuantized;
    try {
      const raw = tf.squeeze(result.perLayer[0].raw, [0]) as tf.Tensor2D;
      try {
        // quantizeMap's bytes are (raw − min) / (max − min) · 255: the map scaled to [0, 1], which
        // the header then says; the raw range (its offset and span, read anyway) goes with it for
        // the colour bar. A map that is the same everywhere scales to zero (nothing stands out).
        const quantized = await quantizeMap(raw);
        const { offset, scale } = quantized.header;
        q = { bytes: quantized.bytes, header: { ...quantized.header, offset: 0, scale: scale > 0 ? 1 : 0 }, raw: { min: offset, max: offset + scale } };
      } finally {
        raw.dispose();
      }
    } finally {
      result.dispose();
    }
    this.camCache.set(key, q);
    while (this.camCache.size > CAM_CACHE_ENTRIES) this.camCache.delete(this.camCache.keys().next().value as string);
    return q;
  }

  /**
   * The CAM layer's output for the bound input, [1, …] as the layer outputs it, kept on the
   * backend (its bytes count towards the entry) — or null where the model has no tail after the
   * layer, so holding it would save nothing.
   */
  private heldCamActivation(layer: string): tf.Tensor | null {
    const hit = this.camActivations.get(layer);
    if (hit) return hit;
    if (!modelTail(this.model, findLayer(this.model, layer))) return null;
    const extractor = new FeatureExtractor(this.model, layer);
    try {
      const act = tf.keep(extractor.extract(this.requireInput("a CAM")).features[layer].clone());
      this.camActivations.set(layer, act);
      this.onResize(this.bytes);
      return act;
    } finally {
      extractor.dispose();
    }
  }

  private usableCache: UsableLayers | null = null;

  /** The layers the widgets' selectors may offer for this model and input (see usableLayers()). */
  usable(): UsableLayers {
    if (!this.usableCache) this.usableCache = usableLayers(this.model, this.input);
    return this.usableCache;
  }

  /** Frees the input copy and every cached tensor; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.input?.dispose();
    for (const t of [...this.activations.values(), ...this.camActivations.values()]) t.dispose();
    this.activations.clear();
    this.camActivations.clear();
    this.summaries.clear();
    this.camCache.clear();
  }
}

/** What the selectors offer: layers a CAM can use, layers with activations to browse. */
export interface UsableLayers {
  /** Spatial outputs [batch, h, w, c] with h*w > 1 that run for the input, never an InputLayer;
   *  the default CAM layer first, then from the output backwards. */
  camLayers: string[];
  /** Layers with an activation for the input (ran, or an InputLayer), in model order. */
  activationLayers: string[];
}

/**
 * Runs the model once on `input` with a forward hook on every layer that records only the
 * shape of its output (no tensor is kept), and keeps the layers that ran. Without an input
 * (a model-only display), or for a GraphModel (no per-node hooks worth a full pass), the
 * static shapes decide and nothing has activations to browse without an input.
 */
export function usableLayers(model: AnyModel, input: tf.Tensor | null): UsableLayers {
  const names = layerNames(model);
  const isInputLayer = (name: string): boolean => {
    const t = findLayer(model, name);
    return !isGraphNode(t) && t.getClassName() === "InputLayer";
  };
  const ran = new Map<string, number[]>();
  if (input != null && !isGraphModel(model)) {
    const hooks: HookHandle[] = [];
    try {
      for (const name of names) {
        if (isInputLayer(name)) {
          ran.set(name, input.shape);
          continue;
        }
        hooks.push(registerForwardHook(findLayer(model, name), (_layer, _inputs, out) => {
          ran.set(name, (Array.isArray(out) ? out[0] : out).shape);
        }));
      }
      tf.tidy(() => {
        runModel(model, input);
      });
    } finally {
      for (const h of hooks) h.remove();
    }
  } else {
    const spatial = new Set(spatialLayerNames(model));
    for (const name of names) {
      const shape = isGraphModel(model) ? null : layerOutputShape(findLayer(model, name));
      if (spatial.has(name)) ran.set(name, (shape ?? [1, 2, 2, 1]).map((d) => d ?? 2));
    }
  }
  const spatialMap = (name: string): boolean => {
    const s = ran.get(name);
    return s != null && s.length === 4 && s[1] * s[2] > 1 && !isInputLayer(name);
  };
  const backwards = names.filter(spatialMap).reverse();
  let first: string | null = null;
  try {
    first = defaultCamLayer(model);
  } catch {
    first = null; // no spatial layer at all: the CAM list is empty
  }
  const camLayers = first != null && backwards.includes(first) ? [first, ...backwards.filter((n) => n !== first)] : backwards;
  const activationLayers = input == null ? [] : names.filter((n) => {
    const s = ran.get(n);
    return s != null && s.length >= 2 && s.length <= 4;
  });
  return { camLayers, activationLayers };
}
