// A CAM request resolved once against the model, before any tensor exists: the method (by name
// or object), the layers (found, and checked to have a map a CAM can weigh), the mask batch and
// the Faster Score-CAM channel count. `cam()` and `camLayers()` take options and plan them; the
// session plans each widget request once at its boundary and hands the plan on, so nothing below
// checks the method or the layer again.
import type * as tf from "@tensorflow/tfjs";
import { defaultCamLayer, findLayer, isGraphModel, layerOutputShape, modelInputNames, spatialLayerNames, type AnyModel, type HookTarget } from "../engine/model";
import { explainedInputIndex } from "../engine/modelInputs";
import type { CamOptions } from "./base";
import type { CamMethod } from "./method";
import { resolveMethod } from "./registry";
import type { LayerReshape } from "./reshape";

/**
 * Masked inputs per model run for Score-CAM / Ablation-CAM by default. An interrupt or Cancel
 * lands between runs, so this bounds how long stopping takes: 8 is ~0.85 s a run for MobileNetV2
 * on wasm here (32 was ~3 s), for ~12% more total time.
 */
export const DEFAULT_MASK_BATCH = 8;

/** What `planCam()` resolved: everything `cam()` needs to know before it runs the model. */
export interface CamPlan {
  readonly method: CamMethod;
  /** The layer names, in the order asked for. */
  readonly layers: readonly string[];
  /** The layer objects (or graph nodes) the hooks attach to, one per name. */
  readonly hookTargets: readonly HookTarget[];
  /** The model's input is [batch, time, features]: its maps are [batch, 1, time]. */
  readonly sequence: boolean;
  /** Index of the input explained (multi-input models; 0 otherwise). */
  readonly inputIndex: number;
  readonly batchSize: number;
  /** The options as given (target, labels, topK, channels, …). */
  readonly options: CamOptions;
}

/** True when `x` came from `planCam()` (a plan passed where options are accepted). */
export function isCamPlan(x: unknown): x is CamPlan {
  return typeof x === "object" && x != null && PLANNED.has(x as CamPlan);
}

const PLANNED = new WeakSet<CamPlan>();

/**
 * Resolves and checks a CAM request against `model` once: the method, the layers, the mask batch
 * and `channels`. Throws, before any kernel runs, an error naming what is wrong and what would be
 * right (`caller` prefixes it: "camlab.cam", "cam.compute", …).
 *
 * @example
 * const plan = planCam(model, { method: "scorecam", layer: "out_relu", channels: 32 });
 * const maps = await camLayers(model, x, plan); // no second check of method or layer
 */
export function planCam(model: AnyModel, options: CamOptions = {}, caller = "camlab.cam"): CamPlan {
  const method = resolveMethod(options.method, caller);
  const batchSize = options.batchSize ?? DEFAULT_MASK_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${caller}: batchSize must be a positive integer, got ${batchSize}`);
  checkChannels(method, options.channels, caller);
  for (const flag of ["eigenSmooth", "augSmooth"] as const) {
    if (options[flag] != null && typeof options[flag] !== "boolean") throw new Error(`${caller}: ${flag} must be true or false, got ${JSON.stringify(options[flag])}`);
  }
  if (options.eigenSmooth && method.formsOwnMap) {
    throw new Error(`${caller}: eigenSmooth projects the per-channel terms of a map on their first principal component; method "${method.name}" forms its map otherwise, so there is nothing to project — leave eigenSmooth out, or use a method such as gradcam, gradcampp, hirescam, layercam, scorecam`);
  }
  if (options.reshape != null) {
    const r = options.reshape as Partial<LayerReshape>;
    if (typeof r !== "object" || typeof r.toMap !== "function") throw new Error(`${caller}: reshape must be a LayerReshape ({ name, toMap(t), fromMap?(map, like) }), e.g. camlab.tokenGrid(); got ${typeof r === "function" ? "a function (wrap it: { name: \"mine\", toMap: fn })" : JSON.stringify(r)}`);
    if (method.feedsActivationsBack && typeof r.fromMap !== "function") {
      throw new Error(`${caller}: method "${method.name}" runs the model again with the layer's output replaced, so its reshape needs \`fromMap(map, like)\` too (tokenGrid() has it); reshape "${r.name}" has none`);
    }
  }
  method.check?.(options);
  const inputIndex = explainedInputIndex(model, options.input, caller);
  const sequence = isSequenceModel(model, inputIndex);
  if (options.augSmooth && modelInputNames(model).length > 1) throw new Error(`${caller}: augSmooth on a model with several inputs is not supported yet (which inputs would flip with the image?); leave augSmooth out`);
  if (options.augSmooth && sequence) throw new Error(`${caller}: augSmooth flips images left-right; this model takes sequences [batch, time, features], where a flip reverses time — leave augSmooth out`);
  const { names, targets } = resolveLayers(model, options.layer, sequence, caller, options.reshape);
  const plan: CamPlan = Object.freeze({ method, layers: Object.freeze(names), hookTargets: Object.freeze(targets), sequence, inputIndex, batchSize, options });
  PLANNED.add(plan);
  return plan;
}

/**
 * The same plan for another target (class index, one per image, or a function): what a widget
 * switching class needs, without resolving the method and layers again.
 * @example const forDog = planForTarget(plan, 207);
 */
export function planForTarget(plan: CamPlan, target: CamOptions["target"]): CamPlan {
  if (!isCamPlan(plan)) throw new Error("camlab.planForTarget: expected a plan made by planCam()");
  const next: CamPlan = Object.freeze({ ...plan, options: { ...plan.options, target } });
  PLANNED.add(next);
  return next;
}

function checkChannels(method: CamMethod, channels: number | undefined, caller: string): void {
  if (channels == null) return;
  if (method.name !== "scorecam") throw new Error(`${caller}: \`channels\` (Faster Score-CAM) applies to method "scorecam" only, got method "${method.name}"; leave it out for other methods`);
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`${caller}: channels must be a positive integer (how many channels Score-CAM scores), got ${channels}`);
}

/** The error for a layer whose output has no spatial map; lists the spatial layers near the output. */
export function spatialError(model: AnyModel, name: string, shape: readonly (number | null)[], caller = "camlab.cam"): Error {
  const near = spatialLayerNames(model).slice(-5);
  return new Error(`${caller}: layer "${name}" outputs shape [${shape.map((d) => (d == null ? "batch" : d)).join(", ")}] (rank ${shape.length}); a CAM needs a spatial map [batch, height, width, channels] to weigh. ${near.length ? `Spatial layers near the output: ${near.join(", ")}` : "This model has no layer with such an output (a model whose input is [batch, time, features] may also use [batch, time, channels] layers)"}`);
}

function resolveLayers(model: AnyModel, layer: CamOptions["layer"], sequence: boolean, caller: string, reshape?: LayerReshape): { names: string[]; targets: HookTarget[] } {
  const names = layer == null ? [sequence ? lastTimeLayer(model) : defaultCamLayer(model)] : typeof layer === "string" ? [layer] : [...layer];
  if (names.length === 0) throw new Error(`${caller}: \`layer\` is an empty list; give at least one layer name`);
  const targets = names.map((n) => findLayer(model, n));
  targets.forEach((t, i) => {
    const s = layerOutputShape(t);
    if (reshape) {
      // The reshape says what it can lay out as a map; ask it now, before any kernel runs.
      if (s != null) {
        try {
          reshape.check?.(s);
        } catch (e) {
          throw new Error(`${caller}: layer "${names[i]}" with reshape ${reshape.name}: ${(e as Error).message}`);
        }
      }
      return;
    }
    if (s != null && s.length !== 4 && !(sequence && s.length === 3)) throw spatialError(model, names[i], s, caller);
  });
  return { names, targets };
}

/** True for a model over sequences: its (explained) input is [batch, time, features]. */
function isSequenceModel(model: AnyModel, index: number): boolean {
  const shape = isGraphModel(model) ? model.inputs[index]?.shape : (model as tf.LayersModel).inputs[index]?.shape;
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
