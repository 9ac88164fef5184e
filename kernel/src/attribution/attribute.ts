// The entry point of the gradient family on the input: `attribute(model, input, { method })`.
// It fixes each image's target once (top-1 on the unmodified input unless given), so every
// gradient a method takes — along an integration path, on noisy copies — explains the same class.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkModelArg, checkModelInput } from "../engine/inputContract";
import type { AnyModel } from "../engine/model";
import { resolveTarget, type Target, type TargetFn } from "../engine/targets";
import { withTapeCleanup } from "../engine/tape";
import { runModel } from "../hooks/run";
import type { AttributionContext, AttributionMethod } from "./method";
import { resolveAttributionMethod, type AttributionMethodName } from "./registry";
import { smoothGrad, varGrad, type SmoothOptions } from "./smooth";

/** Options of `attribute()`. */
export interface AttributionOptions {
  /** Default "saliency". */
  method?: AttributionMethodName | AttributionMethod;
  /** Class index (all images), one per image, a function output → score[batch]; default top-1. */
  target?: Target;
  /** Integrated Gradients: the reference input x′, a number or a tensor [1 or batch, H, W, C] (default 0, a black image). */
  baseline?: number | tf.Tensor;
  /** Integrated Gradients: path steps m (default 64). */
  steps?: number;
  /**
   * Most input rows per gradient pass (default 8): a backward pass to the input holds every
   * layer's activations for each row — 32 rows of 224² through MobileNetV2 ran the wasm backend
   * out of memory (it crashed and was replaced); 8 ran.
   */
  batchSize?: number;
  /** Wrap the method in SmoothGrad (mean) or VarGrad (variance) over noisy copies. */
  smooth?: SmoothOptions & { kind?: "smoothgrad" | "vargrad" };
}

/** What `attribute()` returns; `dispose()` frees its tensors. */
export interface AttributionResult {
  method: string;
  /** One attribution per input value, [batch, H, W, C]. */
  attributions: tf.Tensor4D;
  /** Per pixel, [batch, H, W]: the method's channel reduction (max |·| for saliency, Σ for the others); not normalised. */
  map: tf.Tensor3D;
  /** The class explained per image (null entries for a target function). */
  targets: (number | null)[];
  /** Target score per image on the unmodified input. */
  scores: number[];
  /** Frees every tensor of the result; idempotent. */
  dispose(): void;
  [Symbol.dispose](): void;
}

function positiveInt(name: string, v: number | undefined, fallback: number, what: string): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`camlab.attribute: ${name} must be a positive integer (${what}), got ${v}`);
  return n;
}

/** Validates every option before any kernel runs; returns the method to run. */
function checkOptions(options: AttributionOptions): AttributionMethod {
  let method = resolveAttributionMethod(options.method);
  const uses = method.uses ?? [];
  for (const key of ["steps", "baseline"] as const) {
    if (options[key] !== undefined && !uses.includes(key)) throw new Error(`camlab.attribute: \`${key}\` applies to method "integratedgradients" only, got method "${method.name}"; leave it out or use method: "integratedgradients"`);
  }
  positiveInt("steps", options.steps, 64, "Integrated Gradients' path points, e.g. 64");
  positiveInt("batchSize", options.batchSize, 8, "input rows per gradient pass");
  if (typeof options.baseline === "number" && !Number.isFinite(options.baseline)) throw new Error(`camlab.attribute: baseline must be a finite number or a tensor, got ${options.baseline}`);
  if (options.baseline !== undefined && typeof options.baseline !== "number" && !(options.baseline instanceof tf.Tensor)) throw new TypeError(`camlab.attribute: baseline must be a number or a tf.Tensor [1 or batch, H, W, C], got ${typeof options.baseline}`);
  if (options.smooth) {
    const kind = options.smooth.kind ?? "smoothgrad";
    if (kind !== "smoothgrad" && kind !== "vargrad") throw new Error(`camlab.attribute: smooth.kind must be "smoothgrad" or "vargrad", got ${JSON.stringify(kind)}`);
    method = kind === "smoothgrad" ? smoothGrad(method, options.smooth) : varGrad(method, options.smooth);
  }
  return method;
}

function checkBaseline(baseline: tf.Tensor, x: tf.Tensor4D): void {
  const [b, H, W, C] = x.shape;
  const s = baseline.shape;
  if (s.length !== 4 || (s[0] !== 1 && s[0] !== b) || s[1] !== H || s[2] !== W || s[3] !== C) {
    throw new Error(`camlab.attribute: baseline must be a number or a tensor [1 or ${b}, ${H}, ${W}, ${C}] (the input's shape), got shape [${s.join(", ")}]`);
  }
}

/**
 * Attributions on the input by the gradient family — vanilla saliency (default), Gradient ×
 * Input, Integrated Gradients (`baseline`, `steps`) — optionally under SmoothGrad / VarGrad
 * (`smooth`), for any target. Options are checked before any kernel runs; long methods yield
 * between batches, so an interrupt cancels them (`Cancelled`), with nothing leaked. Results stay
 * on the backend; dispose them when done.
 */
export async function attribute(model: AnyModel, input: tf.Tensor, options: AttributionOptions = {}): Promise<AttributionResult> {
  checkModelArg(model, "attribute");
  const method = checkOptions(options);
  return guardBackend("attribute", () => attributeOnBackend(model, input, method, options));
}

async function attributeOnBackend(model: AnyModel, input: tf.Tensor, method: AttributionMethod, options: AttributionOptions): Promise<AttributionResult> {
  if (input instanceof tf.Tensor && input.rank !== 4) throw new Error(`camlab.attribute: input must be an image batch [batch, height, width, channels], got shape [${input.shape.join(", ")}]`);
  if (options.baseline instanceof tf.Tensor) checkBaseline(options.baseline, input as tf.Tensor4D);
  const x = (await checkModelInput(model, input, "attribute")) as tf.Tensor4D;
  const b = x.shape[0];
  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => (owned.push(t), t);
  let attributions: tf.Tensor4D | null = null;
  try {
    // The target of each image, once, on the unmodified input.
    const first = tf.tidy(() => {
      const r = resolveTarget(options.target, runModel(model, x));
      return [r.scores, r.classes ?? tf.zeros([0])];
    });
    first.forEach(own);
    const [scores, classes] = await Promise.all([first[0].data(), first[1].data()]);
    const classList = first[1].size === b ? Array.from(classes) : null;
    const fn = typeof options.target === "function" ? (options.target as TargetFn) : null;
    // A copy-major stack of n batches: the classes repeat per copy; a function sees one batch at a time.
    const score = (out: tf.Tensor, n: number): tf.Tensor => {
      if (fn == null) {
        const k = out.shape[1] as number;
        const classesTiled = tf.tensor1d(Array.from({ length: n * b }, (_, r) => classList![r % b]), "int32");
        return tf.sum(tf.mul(out, tf.oneHot(classesTiled, k)));
      }
      const parts = n === 1 ? [out] : tf.split(out, n, 0);
      return tf.addN(parts.map((p) => tf.sum(resolveTarget(fn, p).scores)));
    };
    const baseline = own(options.baseline instanceof tf.Tensor ? options.baseline.clone() : tf.scalar(options.baseline ?? 0));
    const ctx: AttributionContext = {
      input: x,
      baseline,
      steps: options.steps ?? 64,
      batchSize: options.batchSize ?? 8,
      gradient: (inputs) => {
        const rows = inputs.shape[0];
        if (rows % b !== 0) throw new Error(`camlab.attribute (internal): a gradient batch must stack whole copies of the ${b}-image batch, got ${rows} rows`);
        return withTapeCleanup(() => tf.tidy(() => tf.grad((xx: tf.Tensor) => score(runModel(model, xx), rows / b) as tf.Scalar)(inputs))) as tf.Tensor4D;
      },
    };
    attributions = await method.attribute(ctx);
    const a = attributions;
    const map = tf.tidy(() => (method.reduce === "maxAbs" ? tf.max(tf.abs(a), -1) : tf.sum(a, -1)) as tf.Tensor3D);
    let disposed = false;
    const dispose = () => {
      if (disposed) return;
      disposed = true;
      a.dispose();
      map.dispose();
    };
    return {
      method: method.name,
      attributions: a,
      map,
      targets: Array.from({ length: b }, (_, i) => (classList ? classList[i] : null)),
      scores: Array.from(scores),
      dispose,
      [Symbol.dispose]: dispose,
    };
  } catch (e) {
    attributions?.dispose();
    throw e;
  } finally {
    for (const t of owned) t.dispose();
    if (x !== input) x.dispose();
  }
}
