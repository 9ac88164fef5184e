// The sanity checks of Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018:
//  * model parameter randomisation (Sec. 3.1): re-randomise the learned weights layer by layer,
//    from the output down ("cascading"), or one layer at a time ("independent"), recompute the
//    map each step and measure how similar it stays to the trained model's map (similarity.ts).
//    A map that does not change while the model is being destroyed does not explain the model;
//  * data randomisation (Sec. 3.2): train the same architecture on labels shuffled across the
//    images; a map that looks the same for a model that can only have memorised does not depend
//    on the relation between images and labels.
// Everything runs on a COPY of the model (saved to memory and loaded back): the caller's model is
// never written to. A layer's weights are randomised by permuting each of its trainable weight
// tensors (as Quantus does for Keras models): the values keep their distribution (so a batch
// norm's scale stays positive) and lose their learned arrangement.
import * as tf from "@tensorflow/tfjs";
import { attribute, type AttributionOptions } from "../attribution/attribute";
import { guardBackend } from "../engine/backend";
import { checkModelArg, checkModelInput } from "../engine/inputContract";
import { findLayer, isLayersModel, layerNames, type AnyModel, type Layer } from "../engine/model";
import { closestNames } from "../engine/names";
import { checkpoint } from "../engine/work";
import { cam, type CamOptions } from "../cam/base";
import { seededRandom, shuffleInPlace } from "../data/random";
import { accuracy, trainClassifier, type TrainOptions } from "../models/teaching";
import { checkMaps } from "./maps";
import { readSimilarity, similarityOnBackend, type MapSimilarity } from "./similarity";

/**
 * What makes the map in a sanity check: `{ cam: options }` (the heatmap of `cam()`),
 * `{ attribute: options }` (the `.map` of `attribute()`), or a function (model, input) → maps
 * [batch, H, W] whose result the check disposes. A cam/attribute explainer without a target
 * explains, at every step, the class the trained model predicts.
 */
export type Explainer = { cam: CamOptions } | { attribute: AttributionOptions } | ((model: tf.LayersModel, input: tf.Tensor4D) => tf.Tensor | Promise<tf.Tensor>);

/** Similarity to the trained model's map, per image and averaged. */
export interface SimilarityStep extends MapSimilarity {
  mean: { spearman: number; spearmanAbs: number; ssim: number };
}

/** One step of the parameter randomisation: which layer was just randomised, and how similar the map stayed. */
export interface RandomizationStep extends SimilarityStep {
  layer: string;
}

/** Options of `parameterRandomization()`. */
export interface ParameterRandomizationOptions {
  /** How the maps are made. */
  explain: Explainer;
  /** "cascading" (default: each step adds the next layer down) or "independent" (one layer at a time, the others trained). */
  mode?: "cascading" | "independent";
  /** The layers to randomise, in order; default: every layer with trainable weights, from the output down. */
  layers?: readonly string[];
  /** Seed of the permutations (default 0). */
  seed?: number;
  /** Keep the maps (trained first, then one per step) in the result; free them with its dispose(). */
  keepMaps?: boolean;
}

/** What `parameterRandomization()` returns. */
export interface ParameterRandomizationResult {
  mode: "cascading" | "independent";
  /** The layers randomised, in the order they were. */
  layers: string[];
  steps: RandomizationStep[];
  /** With keepMaps: the trained model's map, then the map after each step. */
  maps: tf.Tensor3D[];
  /** Frees the kept maps; idempotent. */
  dispose(): void;
}

const fnName = "parameterRandomization";

function checkExplainer(fn: string, explain: unknown): asserts explain is Explainer {
  const ok = typeof explain === "function" || (typeof explain === "object" && explain != null && ("cam" in explain || "attribute" in explain));
  if (!ok) throw new TypeError(`camlab.${fn}: explain must be { cam: { method, layer, … } }, { attribute: { method, … } } or a function (model, input) => maps [batch, H, W], got ${explain === null ? "null" : typeof explain}`);
}

/** Leaf layers (not nested models) with trainable weights, by path, in the model's order. */
function randomizableLayers(model: tf.LayersModel): string[] {
  return layerNames(model).filter((p) => {
    const l = findLayer(model, p) as Layer;
    return !(l instanceof tf.LayersModel) && l.trainableWeights.length > 0;
  });
}

function resolveLayers(model: tf.LayersModel, wanted: readonly string[] | undefined): string[] {
  const all = randomizableLayers(model);
  if (wanted === undefined) return [...all].reverse(); // from the output down
  if (!Array.isArray(wanted) || wanted.length === 0) throw new Error(`camlab.${fnName}: layers must be a non-empty list of layer names (default: all ${all.length} layers with trainable weights, from the output down: ${[...all].reverse().slice(0, 5).join(", ")}, …)`);
  const names = layerNames(model);
  for (const name of wanted) {
    if (typeof name !== "string" || !names.includes(name)) throw new Error(`camlab.${fnName}: model "${model.name}" has no layer ${JSON.stringify(name)}; closest layers with trainable weights: ${closestNames(String(name), all).join(", ")}`);
    if (!all.includes(name)) throw new Error(`camlab.${fnName}: layer "${name}" has no trainable weights to randomise (${(findLayer(model, name) as Layer).getClassName()}); layers that have some, closest first: ${closestNames(name, all).join(", ")}`);
  }
  const dup = wanted.find((n, i) => wanted.indexOf(n) !== i);
  if (dup) throw new Error(`camlab.${fnName}: layer "${dup}" is listed twice in layers; each layer is randomised once`);
  return [...wanted];
}

/** An independent copy of a LayersModel: topology and weights saved to memory and loaded back. */
export async function copyModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

/** Permutes every trainable weight tensor of `layer` (seeded), on the backend. */
function permuteWeights(layer: Layer, seed: number): void {
  const rng = seededRandom(seed);
  for (const v of layer.trainableWeights) {
    const shape = v.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const order = shuffleInPlace(Array.from({ length: size }, (_, i) => i), rng);
    tf.tidy(() => {
      const permuted = tf.reshape(tf.gather(tf.reshape(v.read(), [size]), tf.tensor1d(order, "int32")), shape);
      // A fresh buffer (+ 0; tf.clone and reshape keep the buffer): wasm's fused matmul/conv read
      // a bias's rank from the shape recorded with its buffer, and gather's is recorded 4-D.
      v.write(tf.add(permuted, 0));
    });
  }
}

/** Sets `layer`'s trainable weights back to the values of `from` (the same layer of the untouched model). */
function restoreWeights(layer: Layer, from: Layer): void {
  layer.trainableWeights.forEach((v, i) => tf.tidy(() => {
    v.write(tf.clone(from.trainableWeights[i].read()));
  }));
}

/** A map-maker for a model: the explainer with the target fixed to `classes` once they are known. */
async function explainOnce(explain: Explainer, model: tf.LayersModel, x: tf.Tensor4D, classes: number[] | null, fn: string): Promise<{ map: tf.Tensor3D; classes: number[] | null }> {
  let map: tf.Tensor;
  let found: number[] | null = null;
  if (typeof explain === "function") {
    map = await explain(model, x);
  } else if ("cam" in explain) {
    const r = await cam(model, x, { ...explain.cam, target: explain.cam.target ?? classes ?? undefined });
    found = r.targets.every((t) => t != null) ? (r.targets as number[]) : null;
    map = r.heatmap.clone();
    r.dispose();
  } else {
    const r = await attribute(model, x, { ...explain.attribute, target: explain.attribute.target ?? classes ?? undefined });
    found = r.targets.every((t) => t != null) ? (r.targets as number[]) : null;
    map = r.map.clone();
    r.dispose();
  }
  try {
    checkMaps(fn, map, "the explainer's result");
    if (map.shape[0] !== x.shape[0]) throw new Error(`camlab.${fn}: the explainer returned ${map.shape[0]} maps for ${x.shape[0]} images; give one map per image`);
  } catch (e) {
    if (map instanceof tf.Tensor) map.dispose();
    throw e;
  }
  return { map: map as tf.Tensor3D, classes: found };
}

async function similarityStep(reference: tf.Tensor3D, map: tf.Tensor3D, fn: string): Promise<SimilarityStep> {
  if (map.shape.some((d, i) => d !== reference.shape[i])) throw new Error(`camlab.${fn}: the explainer's maps changed shape from [${reference.shape.join(", ")}] to [${map.shape.join(", ")}]; give maps of one shape`);
  const s = await readSimilarity(similarityOnBackend(reference, map));
  const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
  return { ...s, mean: { spearman: mean(s.spearman), spearmanAbs: mean(s.spearmanAbs), ssim: mean(s.ssim) } };
}

/**
 * Model parameter randomisation test (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS
 * 2018, Sec. 3.1): on a copy of `model`, re-randomise the trainable weights of the layers from the
 * output down — cumulatively ("cascading", default) or one at a time ("independent") — recompute
 * the map after each step and report how similar it stays to the trained model's map (Spearman
 * rank correlation with and without absolute values, SSIM). A method whose maps stay similar does
 * not depend on what the model learned. The user's model is never written to. Checks every
 * argument before any kernel runs; reports progress per layer and stops at an interrupt
 * (`Cancelled`), leaking nothing.
 * @param model a trained LayersModel (its copy is randomised, never it).
 * @param input images [batch, H, W, C].
 * @param options `explain` (how maps are made), `mode`, `layers`, `seed`, `keepMaps`.
 * @returns one step per randomised layer, in order, with per-image and mean similarities.
 * @example const r = await camlab.parameterRandomization(net, x, { explain: { cam: { method: "gradcam" } } }); r.steps.map((s) => s.mean.spearman)
 */
export async function parameterRandomization(model: AnyModel, input: tf.Tensor, options: ParameterRandomizationOptions): Promise<ParameterRandomizationResult> {
  checkModelArg(model, fnName);
  if (!isLayersModel(model)) throw new TypeError(`camlab.${fnName}: needs a tf.LayersModel (its layers' weights are randomised); a GraphModel's weights are not layers — load the model with tf.loadLayersModel`);
  if (options == null || typeof options !== "object") throw new TypeError(`camlab.${fnName}: options must be { explain: { cam: {…} } | { attribute: {…} } | (model, input) => maps, mode?, layers? }`);
  checkExplainer(fnName, options.explain);
  const mode = options.mode ?? "cascading";
  if (mode !== "cascading" && mode !== "independent") throw new Error(`camlab.${fnName}: mode must be "cascading" (top layer first, cumulative) or "independent" (one layer at a time), got ${JSON.stringify(mode)}`);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new TypeError(`camlab.${fnName}: seed must be an integer, got ${options.seed}`);
  const layers = resolveLayers(model, options.layers);
  return guardBackend(fnName, () => randomizeOnBackend(model, input, layers, mode, options));
}

async function randomizeOnBackend(model: tf.LayersModel, input: tf.Tensor, layers: string[], mode: "cascading" | "independent", options: ParameterRandomizationOptions): Promise<ParameterRandomizationResult> {
  const x = (await checkModelInput(model, input, fnName, { addBatchAxis: false })) as tf.Tensor4D;
  const maps: tf.Tensor3D[] = [];
  let copy: tf.LayersModel | null = null;
  const label = `${fnName}: layers`;
  try {
    await checkpoint(label, 0, layers.length);
    copy = await copyModel(model);
    const c = copy;
    const reference = await explainOnce(options.explain, c, x, null, fnName);
    maps.push(reference.map);
    const steps: RandomizationStep[] = [];
    const seed = options.seed ?? 0;
    for (const [i, name] of layers.entries()) {
      if (mode === "independent" && i > 0) restoreWeights(findLayer(c, layers[i - 1]) as Layer, findLayer(model, layers[i - 1]) as Layer);
      permuteWeights(findLayer(c, name) as Layer, seed + 7919 * (i + 1));
      const { map } = await explainOnce(options.explain, c, x, reference.classes, fnName);
      maps.push(map);
      steps.push({ layer: name, ...(await similarityStep(reference.map, map, fnName)) });
      if (!options.keepMaps) maps.pop()!.dispose();
      await checkpoint(label, i + 1, layers.length);
    }
    let disposed = false;
    const kept = options.keepMaps ? maps.splice(0) : [];
    return {
      mode,
      layers,
      steps,
      maps: kept,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        for (const m of kept) m.dispose();
      },
    };
  } finally {
    for (const m of maps) m.dispose();
    copy?.dispose();
    if (x !== input) x.dispose();
  }
}

/** Options of `labelRandomization()`. */
export interface LabelRandomizationOptions {
  /** How the maps are made. */
  explain: Explainer;
  /** Training of both models (trainClassifier's options; default 5 epochs). */
  train?: TrainOptions;
  /** Seed of the label shuffle (default 0). */
  seed?: number;
  /** Keep the two maps (trained, randomised labels) in the result; free them with its dispose(). */
  keepMaps?: boolean;
}

/** What `labelRandomization()` returns. */
export interface LabelRandomizationResult {
  /** Similarity of the randomised-label model's maps to the trained one's. */
  similarity: SimilarityStep;
  /** Training-set accuracy of each model (the randomised one can only memorise). */
  accuracy: { trained: number; randomized: number };
  /** With keepMaps: [the trained model's maps, the randomised-label model's maps]. */
  maps: tf.Tensor3D[];
  /** Frees the kept maps; idempotent. */
  dispose(): void;
}

/**
 * Data (label) randomisation test (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS
 * 2018, Sec. 3.2): train two models built by `build` (call it with a fixed seed so both start
 * alike) — one on `labels`, one on the same labels shuffled across the images — and compare
 * their maps of `input`, both explaining the trained model's predicted class. Similar maps mean
 * the method does not depend on what the labels taught. Both models are disposed at the end.
 * @param build makes a fresh, untrained logits classifier (e.g. () => camlab.buildShapesClassifier({ seed: 1 })).
 * @param images training images [n, H, W, C]; labels: class per image [n].
 * @param input the images to explain [batch, H, W, C].
 * @returns the similarity of the two models' maps and each model's training accuracy.
 * @example const r = await camlab.labelRandomization(() => camlab.buildShapesClassifier(), data.images, data.labels, x, { explain: { cam: {} } })
 */
export async function labelRandomization(build: () => tf.LayersModel, images: tf.Tensor4D, labels: tf.Tensor1D, input: tf.Tensor, options: LabelRandomizationOptions): Promise<LabelRandomizationResult> {
  const fn = "labelRandomization";
  if (typeof build !== "function") throw new TypeError(`camlab.${fn}: build must be a function that returns a fresh, untrained model (e.g. () => camlab.buildShapesClassifier({ seed: 1 })), got ${typeof build}`);
  if (options == null || typeof options !== "object") throw new TypeError(`camlab.${fn}: options must be { explain, train?, seed? }`);
  checkExplainer(fn, options.explain);
  if (!(images instanceof tf.Tensor) || images.rank !== 4) throw new Error(`camlab.${fn}: images must be a training batch [n, H, W, C], got ${images instanceof tf.Tensor ? `shape [${images.shape.join(", ")}]` : typeof images}`);
  if (!(labels instanceof tf.Tensor) || labels.rank !== 1 || labels.shape[0] !== images.shape[0]) throw new Error(`camlab.${fn}: labels must be one class per training image, [${images.shape[0]}], got ${labels instanceof tf.Tensor ? `shape [${labels.shape.join(", ")}]` : typeof labels}`);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new TypeError(`camlab.${fn}: seed must be an integer, got ${options.seed}`);
  return guardBackend(fn, async () => {
    const shuffled = shuffleInPlace(Array.from(await labels.data()), seededRandom(options.seed ?? 0));
    const models: tf.LayersModel[] = [];
    const maps: tf.Tensor3D[] = [];
    let randomLabels: tf.Tensor1D | null = null;
    let x: tf.Tensor4D | null = null;
    try {
      randomLabels = tf.tensor1d(shuffled, labels.dtype === "int32" ? "int32" : "float32");
      const trained = build(), randomized = build();
      models.push(trained, randomized);
      for (const m of models) if (!isLayersModel(m)) throw new TypeError(`camlab.${fn}: build must return a tf.LayersModel, got ${typeof m}`);
      x = (await checkModelInput(trained, input, fn, { addBatchAxis: false })) as tf.Tensor4D;
      const train = { epochs: 5, ...options.train };
      await trainClassifier(trained, images, labels, train);
      await trainClassifier(randomized, images, randomLabels, train);
      const a = await explainOnce(options.explain, trained, x, null, fn);
      maps.push(a.map);
      const b = await explainOnce(options.explain, randomized, x, a.classes, fn);
      maps.push(b.map);
      const similarity = await similarityStep(a.map, b.map, fn);
      const acc = { trained: await accuracy(trained, images, labels), randomized: await accuracy(randomized, images, randomLabels) };
      const kept = options.keepMaps ? maps.splice(0) : [];
      let disposed = false;
      return {
        similarity,
        accuracy: acc,
        maps: kept,
        dispose: () => {
          if (disposed) return;
          disposed = true;
          for (const m of kept) m.dispose();
        },
      };
    } finally {
      for (const m of maps) m.dispose();
      for (const m of models) {
        if (!isLayersModel(m)) continue;
        // trainClassifier hands compile() an optimizer instance, which the model does not own:
        // its slot variables (Adam's moments) go with it here.
        m.optimizer?.dispose();
        m.dispose();
      }
      randomLabels?.dispose();
      if (x != null && x !== input) x.dispose();
    }
  });
}
