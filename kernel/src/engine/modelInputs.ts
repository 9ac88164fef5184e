// Models with several inputs (an image and a caption, an image and a time series): the inputs of
// one call, given as one tensor, an array in the model's order, or a map by input name — checked
// each against its own input signature, with matching batch sizes — and the one input a CAM
// explains (the map is laid on it; Score-CAM masks it), chosen with `input`.
import * as tf from "@tensorflow/tfjs";
import { checkModelInput, type InputCheckOptions } from "./inputContract";
import { modelInputNames, type AnyModel } from "./model";

/** What a model call takes: one tensor, one per model input in order, or a map by input name. */
export type ModelInputs = tf.Tensor | readonly tf.Tensor[] | { readonly [inputName: string]: tf.Tensor };

/**
 * The index of the input named by `input` (an index or a name; default 0), checked against the
 * model's inputs, with an error listing them.
 * @example explainedInputIndex(twoBranch, "image", "cam") // 0
 */
export function explainedInputIndex(model: AnyModel, input: number | string | undefined, fn: string): number {
  const names = modelInputNames(model);
  if (input == null) return 0;
  const list = names.map((n, i) => `${i} "${n}"`).join(", ");
  if (typeof input === "number") {
    if (!Number.isInteger(input) || input < 0 || input >= names.length) throw new Error(`${fn}: input ${input} does not exist; this model has ${names.length} input${names.length === 1 ? "" : "s"}: ${list}`);
    return input;
  }
  const i = names.indexOf(input);
  if (i < 0) throw new Error(`${fn}: the model has no input "${input}"; its inputs: ${list}`);
  return i;
}

/** Checked inputs in the model's order; `dispose()` frees the ones the check made (casts, batch axes). */
export interface CheckedInputs {
  feeds: tf.Tensor[];
  dispose(): void;
}

/**
 * Checks every input of a call against the model's input signatures (shape, dtype, finite
 * values; `checkModelInput`) and their batch sizes against each other; returns them in the
 * model's order. Throws, before any kernel runs, naming the input that is wrong.
 */
export async function checkModelInputs(model: AnyModel, inputs: ModelInputs, fn: string, options: InputCheckOptions = {}): Promise<CheckedInputs> {
  const names = modelInputNames(model);
  let given: tf.Tensor[];
  if (inputs instanceof tf.Tensor) given = [inputs];
  // An array of tensors is one per input; any other array is a wrong single input (a nested JS array), which checkModelInput describes.
  else if (Array.isArray(inputs) && inputs.length > 0 && inputs.every((t) => t instanceof tf.Tensor)) given = [...inputs];
  else if (Array.isArray(inputs)) given = [inputs as unknown as tf.Tensor];
  else if (inputs != null && typeof inputs === "object") {
    const map = inputs as { [k: string]: tf.Tensor };
    const unknown = Object.keys(map).filter((k) => !names.includes(k));
    if (unknown.length) throw new Error(`camlab.${fn}: the model has no input ${unknown.map((u) => `"${u}"`).join(", ")}; its inputs: ${names.map((n) => `"${n}"`).join(", ")}`);
    const missing = names.filter((n) => !(n in map));
    if (missing.length) throw new Error(`camlab.${fn}: input ${missing.map((m) => `"${m}"`).join(", ")} missing; this model takes ${names.map((n) => `"${n}"`).join(", ")}`);
    given = names.map((n) => map[n]);
  } else {
    given = [inputs as unknown as tf.Tensor]; // checkModelInput says what was wrong with it
  }
  if (given.length !== names.length) {
    throw new Error(`camlab.${fn}: this model takes ${names.length} input${names.length === 1 ? "" : "s"} (${names.map((n) => `"${n}"`).join(", ")}), got ${given.length}; pass ${names.length === 1 ? "one tensor" : `[${names.join(", ")}] in this order, or { ${names.map((n) => `${n}: …`).join(", ")} }`}`);
  }
  const feeds: tf.Tensor[] = [];
  const dispose = () => feeds.forEach((f, i) => f !== given[i] && f.dispose());
  try {
    for (let i = 0; i < given.length; i++) feeds.push(await checkModelInput(model, given[i], fn, names.length > 1 ? { ...options, input: i } : options));
    const batches = feeds.map((f) => f.shape[0]);
    if (batches.some((b) => b !== batches[0])) {
      throw new Error(`camlab.${fn}: the inputs hold different batch sizes (${names.map((n, i) => `"${n}" ${batches[i]}`).join(", ")}); every input needs one row per example`);
    }
  } catch (e) {
    dispose();
    throw e;
  }
  return { feeds, dispose };
}
