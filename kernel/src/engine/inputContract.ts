// The input contract, in one home: every public engine call that runs a model checks its input
// here, against the model's own input signature, before any of the model's kernels runs. A bad
// input must fail with a sentence a person can act on — what was given, what the model takes,
// the usual fix — and never reach a kernel: on wasm a mismatched shape is not an exception but an
// out-of-bounds access that corrupts the backend's heap (`RuntimeError: memory access out of
// bounds`), and on every backend a NaN input silently turns a CAM into a NaN map.
import * as tf from "@tensorflow/tfjs";
import { isGraphModel, isLayersModel, modelInputNames, type AnyModel } from "./model";

/**
 * Most input bytes (as float32) one call takes: 256 MiB, about 440 MobileNetV2 images of
 * 224×224×3. A CAM keeps several activations and gradients of that batch alive at once (roughly
 * 10–30× the input for a MobileNet), so a larger batch would exhaust the wasm heap (4 GiB at most)
 * or a GPU's memory halfway through, after minutes of work. Split larger batches.
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** What a model says it takes at one input (default the first). */
export interface InputSignature {
  /** With the batch axis; null entries are free (batch, or any size). Null when the model does not say. */
  shape: (number | null)[] | null;
  dtype: tf.DataType;
}

/** Options of `checkModelInput`. */
export interface InputCheckOptions {
  /**
   * "any" (default): a batch of any size; 1: exactly one example (displays explain one input).
   * An example without the batch axis gets one in both cases.
   */
  batch?: "any" | 1;
  /** Add the batch axis to a single example (default true). Metrics take batches only: false there. */
  addBatchAxis?: boolean;
  /** Also reject non-finite values (default true; one small read). False for sync callers. */
  finite?: boolean;
  /** Which of a multi-input model's inputs this tensor is for (default 0); messages name it. */
  input?: number;
}

/** A value range a model was trained on, declared by whoever loaded it (models/mobilenet.ts). */
interface InputRange {
  lo: number;
  hi: number;
  /** How to get there, e.g. "net.preprocess(img) divides by 255 and resizes to 224×224". */
  fix: string;
}

const declaredRanges = new WeakMap<object, InputRange>();

/**
 * Inputs whose values passed the finite test, with their min and max when a range check read
 * them. A tensor's values never change (a Variable's do: those are checked every time), and a
 * widget asks about the same held input on every click: the check's sum and read were 1.2 ms of
 * a 7 ms class switch on MobileNetV2.
 */
const checkedValues = new WeakMap<tf.Tensor, { lo: number; hi: number } | null>();

/**
 * Declares the values `model` takes (e.g. [0, 1] for a MobileNetV2 fed ÷255 pixels), so the input
 * check can refuse a raw 0–255 image with the fix instead of explaining garbage. Only loaders
 * that know their model's preprocessing declare one; other models get no range check.
 */
export function declareInputRange(model: AnyModel, range: [number, number], fix: string): void {
  declaredRanges.set(model, { lo: range[0], hi: range[1], fix });
}

/** The model's input signature at input `index` (default 0); a GraphModel without shape info gives `shape: null`. */
export function inputSignature(model: AnyModel, index = 0): InputSignature {
  if (isGraphModel(model)) {
    const info = model.inputs[index];
    // Converted graphs write free dimensions as -1 (or leave the shape out entirely).
    const shape = info?.shape ? info.shape.map((d) => (d == null || d < 0 ? null : d)) : null;
    return { shape, dtype: (info?.dtype as tf.DataType) ?? "float32" };
  }
  const input = (model as tf.LayersModel).inputs[index];
  return { shape: input ? [...input.shape] : null, dtype: input?.dtype ?? "float32" };
}

/** Image models: [batch, h, w, c]; anything else of rank 3 is a sequence [batch, time, features]. */
function axisNames(rank: number): string[] {
  if (rank === 4) return ["batch", "height", "width", "channels"];
  if (rank === 3) return ["batch", "time", "features"];
  return ["batch", ...Array.from({ length: rank - 1 }, (_, i) => `d${i + 1}`)];
}

/** "[batch, 224, 224, 3]": fixed sizes as numbers, free ones by their axis name. */
export function describeSignature(shape: readonly (number | null)[]): string {
  const names = axisNames(shape.length);
  return `[${shape.map((d, i) => (d == null ? names[i] : String(d))).join(", ")}]`;
}

const shapeText = (s: readonly number[]) => `[${s.join(", ")}]`;

function describeGiven(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return `a JavaScript array of length ${input.length}`;
  if (ArrayBuffer.isView(input)) return `a ${input.constructor.name}`;
  return typeof input === "object" ? `an object (${(input as object).constructor?.name ?? "Object"})` : typeof input;
}

/** The usual fix for a shape that does not fit a fixed signature. */
function shapeFix(given: readonly number[], want: readonly (number | null)[], dtype: tf.DataType): string {
  const rank = want.length;
  const hint: string[] = [];
  if (rank === 4) {
    const [, h, w, c] = want;
    const [, gh, gw, gc] = given;
    if ((h != null && gh !== h) || (w != null && gw !== w)) {
      const size = `[${h ?? gh}, ${w ?? gw}]`;
      // An int32 image straight from loadImage is 0–255; most models take values scaled for them.
      if (dtype === "int32") hint.push(`this looks like a raw 0–255 image (int32, as loadImage gives): use net.preprocess(img), which scales it and resizes it to ${size}, or tf.image.resizeBilinear(x, ${size}) plus the model's own scaling`);
      else hint.push(`resize with tf.image.resizeBilinear(x, ${size}) or use net.preprocess(img)`);
    }
    if (c != null && gc !== c) {
      if (c === 3 && gc === 1) hint.push("repeat the grey channel: tf.tile(x, [1, 1, 1, 3])");
      else if (c === 3 && gc === 4) hint.push("drop the alpha channel: tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 3])");
      else hint.push(`the model takes ${c} channels, the input has ${gc}`);
    }
  } else if (rank === 3) {
    const [, t, f] = want;
    if (t != null && given[1] !== t) hint.push(`the model takes sequences of exactly ${t} steps: pad or crop the time axis`);
    if (f != null && given[2] !== f) hint.push(`each step must have ${f} features, the input has ${given[2]}`);
  }
  return hint.length > 0 ? hint.join("; ") : "reshape the input to the model's input shape";
}

/**
 * Checks the input's type, rank, fixed dimensions, size and dtype against the model's input
 * signature — synchronously, without running any kernel. Returns the batch the model takes: the
 * input itself, or a new tensor (batch axis added, int/bool cast to float32) that the caller
 * disposes when it is not `input`. `fn` names the public call in messages ("cam").
 *
 * Callers that can await use `checkModelInput`, which also rejects NaN/Inf values.
 */
export function checkInputShape(model: AnyModel, input: tf.Tensor, fn: string, options: InputCheckOptions = {}): tf.Tensor {
  const sig = inputSignature(model, options.input ?? 0);
  // Messages of a multi-input model name the input ("input "tokens" has shape …").
  if (options.input != null && modelInputNames(model).length > 1) fn = `${fn}: input "${modelInputNames(model)[options.input]}"`;
  // A model that does not say (some GraphModels): CAMs and hooks work on images, so expect [b, h, w, c].
  const want = sig.shape ?? [null, null, null, null];
  const wanted = describeSignature(want);
  if (!(input instanceof tf.Tensor)) {
    throw new TypeError(`camlab.${fn}: input must be a tf.Tensor shaped ${wanted}, got ${describeGiven(input)}; make one with tf.tensor(values, shape), or camlab.loadImage(path) then net.preprocess(img)`);
  }
  if (input.isDisposed) throw new Error(`camlab.${fn}: the input tensor was already disposed (shape ${shapeText(input.shape)}); make it again, or keep it out of tf.tidy/dispose until the call is done`);
  if (input.dtype === "string" || input.dtype === "complex64") {
    throw new TypeError(`camlab.${fn}: input has dtype ${input.dtype} but this model takes ${sig.dtype} ${wanted}; convert it, e.g. tf.cast(x, "float32") for numbers`);
  }
  const rank = want.length;
  const addBatch = options.addBatchAxis !== false;
  let shape = input.shape;
  if (input.rank === rank - 1 && addBatch) shape = [1, ...shape];
  else if (input.rank === rank - 1) {
    throw new Error(`camlab.${fn}: input has shape ${shapeText(input.shape)} (rank ${input.rank}) but this model takes ${wanted} (rank ${rank}); add the batch axis: x.expandDims(0)`);
  } else if (input.rank !== rank) {
    const fix = input.rank === rank + 1 && input.shape[0] === 1 ? "drop the extra leading axis: x.squeeze([0])"
      : rank === 4 && input.rank === 2 ? "a grey image [h, w] needs a channel axis too: x.expandDims(-1).expandDims(0)"
      : "reshape it to the model's input shape";
    throw new Error(`camlab.${fn}: input has shape ${shapeText(input.shape)} (rank ${input.rank}) but this model takes ${wanted} (rank ${rank}${addBatch ? `, or ${rank - 1} for one example` : ""}); ${fix}`);
  }
  if (shape.some((d) => d === 0)) throw new Error(`camlab.${fn}: input has shape ${shapeText(input.shape)}, which holds no values; this model takes ${wanted}`);
  const mismatch = want.some((d, i) => i > 0 && d != null && shape[i] !== d);
  if (mismatch) {
    throw new Error(`camlab.${fn}: input has shape ${shapeText(shape)}${shape !== input.shape ? ` (given as ${shapeText(input.shape)})` : ""} but this model takes ${wanted}; ${shapeFix(shape, want, input.dtype)}`);
  }
  if (options.batch === 1 && shape[0] !== 1) {
    throw new Error(`camlab.${fn}: a display explains ONE input, got a batch of ${shape[0]} (shape ${shapeText(shape)}); pick one, e.g. tf.slice(batch, [i], [1])`);
  }
  const bytes = shape.reduce((a, b) => a * b, 1) * 4;
  if (bytes > MAX_INPUT_BYTES) {
    const per = (bytes / shape[0]);
    const fits = Math.max(1, Math.floor(MAX_INPUT_BYTES / per));
    throw new RangeError(`camlab.${fn}: input of shape ${shapeText(shape)} is ${(bytes / 2 ** 20).toFixed(0)} MiB as float32; one call takes at most ${MAX_INPUT_BYTES / 2 ** 20} MiB (camlab.MAX_INPUT_BYTES: activations and gradients of the batch must fit too). ${fits < shape[0] && per <= MAX_INPUT_BYTES ? `Split it into batches of at most ${fits}: tf.split(x, ${Math.ceil(shape[0] / fits)})` : "Resize the input to the model's size first"}`);
  }
  // The model's float layers take float32; an int or bool tensor (a raw loadImage result, a mask) is cast, as before.
  const cast = (input.dtype === "int32" || input.dtype === "bool") && sig.dtype === "float32";
  if (shape === input.shape && !cast) return input;
  return tf.tidy(() => {
    const batch = shape === input.shape ? input : tf.expandDims(input, 0);
    return cast ? tf.cast(batch, "float32") : batch.clone();
  });
}

/**
 * Counts the non-finite values of `x` and finds the first one — only called once the cheap test
 * in `checkModelInput` has failed. One read of two numbers.
 */
async function describeNonFinite(x: tf.Tensor): Promise<{ count: number; first: number[] }> {
  // Float ops only (1 − isFinite as a float sum): bool reductions misbehave on tfjs-webgpu 4.22.
  const stats = tf.tidy(() => {
    const bad = tf.sub(1, tf.cast(tf.isFinite(tf.reshape(x, [-1])), "float32"));
    return tf.stack([tf.sum(bad), tf.cast(tf.argMax(bad), "float32")]);
  });
  let v: Float32Array;
  try {
    v = (await stats.data()) as Float32Array;
  } finally {
    stats.dispose();
  }
  // Flat index → coordinates (row-major), so the message can say where the first one sits.
  let rest = Math.round(v[1]);
  const first = new Array<number>(x.rank);
  for (let i = x.rank - 1; i >= 0; i--) {
    first[i] = rest % x.shape[i];
    rest = Math.floor(rest / x.shape[i]);
  }
  return { count: Math.round(v[0]), first };
}

/**
 * The input contract of every engine call that runs a model: `checkInputShape`, then finite
 * values. A NaN or Inf input is an ERROR, not a warning: it makes every score, gradient and map
 * NaN (a CAM of NaN min-max-scales to NaN everywhere; a deletion curve of NaN has no AUC), so any
 * result would be silently meaningless — and a notebook shows a warning far less reliably than it
 * stops on an exception. The test costs one multiply-and-sum and a 4-byte read: Σ x·0 is 0 exactly
 * when every value is finite (Inf·0 = NaN), with no overflow whatever the values' size.
 *
 * Returns the batch the model takes; the caller disposes it when it is not `input`. On a failure
 * nothing is left allocated.
 */
export async function checkModelInput(model: AnyModel, input: tf.Tensor, fn: string, options: InputCheckOptions = {}): Promise<tf.Tensor> {
  const x = checkInputShape(model, input, fn, options);
  if (options.finite === false) return x;
  try {
    const range = declaredRanges.get(model);
    const known = input instanceof tf.Variable ? undefined : checkedValues.get(input);
    let ok: boolean, lo = 0, hi = 0;
    if (known !== undefined && (known !== null || !range)) {
      ok = true;
      if (known) ({ lo, hi } = known);
    } else {
      // One read: Σ x·0, and with a declared range also min and max (two more numbers).
      const probe = tf.tidy(() => {
        const finite = tf.sum(tf.mul(x, 0));
        return range ? tf.stack([finite, tf.min(x), tf.max(x)]) : finite;
      });
      try {
        const v = await probe.data();
        ok = v[0] === 0;
        [lo, hi] = [v[1], v[2]];
      } finally {
        probe.dispose();
      }
      if (ok && !(input instanceof tf.Variable)) checkedValues.set(input, range ? { lo, hi } : null);
    }
    if (!ok) {
      const { count, first } = await describeNonFinite(x);
      throw new RangeError(`camlab.${fn}: input has ${count} non-finite value${count === 1 ? "" : "s"} (NaN or ±Inf) of ${x.size}, the first at [${first.join(", ")}]; the model takes finite numbers (${describeSignature(inputSignature(model).shape ?? [null, null, null, null])}). Find where they come from (a division by zero, log of 0, a failed decode), or replace them: tf.where(tf.isFinite(x), x, tf.zerosLike(x))`);
    }
    // Outside the declared range by more than half its width: not noise or augmentation, a
    // different scale (a raw 0–255 image into a model trained on 0–1). An error for the same
    // reason as NaN: the CAM would explain an input the model was never meant to see.
    if (range && (lo < range.lo - (range.hi - range.lo) / 2 || hi > range.hi + (range.hi - range.lo) / 2)) {
      const raw = hi > 2 * range.hi && hi <= 255.5 && lo >= -0.5 ? "; this looks like a raw 0–255 image" : "";
      throw new RangeError(`camlab.${fn}: input values span ${lo.toPrecision(4)} to ${hi.toPrecision(4)} but this model takes values in [${range.lo}, ${range.hi}]${raw}: ${range.fix}`);
    }
    return x;
  } catch (e) {
    if (x !== input) x.dispose();
    throw e;
  }
}

/** True for a tf.LayersModel or tf.GraphModel (the models every engine call takes). */
export function checkModelArg(model: unknown, fn: string): asserts model is AnyModel {
  if (!isLayersModel(model) && !isGraphModel(model)) {
    const given = model === null ? "null" : typeof model === "object" && model != null && "model" in model ? "an object with a `model` field (a PretrainedModel? pass net.model)" : typeof model;
    throw new TypeError(`camlab.${fn}: expected a tf.LayersModel or tf.GraphModel as the model, got ${given}`);
  }
}
