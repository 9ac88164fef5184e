// The three forms a labelled dataset may take for the explorer — tensors `{x, y}`, a tf.data
// Dataset, or an (async) iterable of batches — read as ONE stream of checked batches: inputs the
// model takes, labels as host class indices. Only one batch is alive at a time, so a stream of
// any length costs the memory of one batch. Labels are checked (range, count) before the model
// sees the batch they belong to; inputs go through the input contract (engine/inputContract.ts).
import * as tf from "@tensorflow/tfjs";
import { checkModelInput, describeSignature, inputSignature } from "../engine/inputContract";
import type { AnyModel } from "../engine/model";

/** Labels: class indices [n] (int or float holding integers), or one-hot / probability rows [n, classes]. */
export type Labels = tf.Tensor | readonly number[];

/** A labelled batch (or a whole labelled set): inputs [n, …] the model takes, and their labels. */
export interface LabelledBatch {
  x: tf.Tensor;
  y: Labels;
}

/**
 * Labelled data for `confusions()`: tensors `{x, y}` (batched here, never copied), a tf.data
 * Dataset, or an async/sync iterable (an array of batches too). Elements of the last two are `{x, y}`, `{xs, ys}` (the
 * form `model.fitDataset` takes) or `[x, y]`, each a batch or a single example (single examples
 * are stacked into batches of `batchSize`). Streamed elements are consumed: their tensors are
 * disposed once used, as fitDataset does, so a generator can make each batch fresh.
 */
export type ConfusionData = LabelledBatch | tf.data.Dataset<tf.TensorContainer> | AsyncIterable<unknown> | Iterable<unknown>;

/** One checked batch: `x` is owned by the reader (disposed by `release`), `y` host class indices. */
export interface CheckedBatch {
  x: tf.Tensor;
  y: Int32Array;
  release(): void;
}

const isTensor = (v: unknown): v is tf.Tensor => v instanceof tf.Tensor;

function isLabelledTensors(data: unknown): data is LabelledBatch {
  return typeof data === "object" && data !== null && !Array.isArray(data) && isTensor((data as LabelledBatch).x) && !(data instanceof tf.data.Dataset);
}

/** "a Map", "a number", "undefined": what was given instead of data. */
function given(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (isTensor(v)) return `a tf.Tensor of shape [${v.shape.join(", ")}]`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === "object" ? `an object with keys ${Object.keys(v).slice(0, 6).map((k) => `"${k}"`).join(", ") || "(none)"}` : typeof v;
}

const FORMS = "{x, y} tensors, a tf.data Dataset, or an async iterable of {x, y} batches";

/**
 * The number of classes the model outputs, when its signature says so (LayersModel: the last
 * axis of its first output); null when only running it would tell (most GraphModels).
 */
export function staticClassCount(model: AnyModel): number | null {
  if (model instanceof tf.LayersModel) {
    const shape = model.outputs[0]?.shape;
    if (shape && shape.length === 2 && typeof shape[1] === "number") return shape[1];
  }
  return null;
}

/**
 * Labels as class indices on the host, checked: one per input, integers in [0, classes). `fn`
 * and `where` ("batch 3") name the call and the place in messages.
 */
export async function labelIndices(y: Labels, n: number, classes: number | null, fn: string, where: string): Promise<Int32Array> {
  let values: Int32Array;
  if (isTensor(y)) {
    if (y.isDisposed) throw new Error(`camlab.${fn}: the labels y of ${where} were already disposed; keep them alive until the call is done`);
    if (y.rank === 2) {
      if (classes != null && y.shape[1] !== classes) {
        throw new Error(`camlab.${fn}: y of ${where} has shape [${y.shape.join(", ")}] (one-hot rows of ${y.shape[1]}), but the model has ${classes} classes; give rows of ${classes} or class indices of shape [${y.shape[0]}]`);
      }
      const am = tf.argMax(y, 1);
      try {
        values = Int32Array.from(await am.data());
      } finally {
        am.dispose();
      }
    } else if (y.rank === 1 || y.rank === 0) {
      const raw = await y.data();
      values = new Int32Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const v = Number(raw[i]);
        if (!Number.isInteger(v)) throw new Error(`camlab.${fn}: y of ${where} holds ${v} at [${i}], not a class index; labels must be integers from 0 to ${classes == null ? "classes − 1" : classes - 1} (or one-hot rows)`);
        values[i] = v;
      }
    } else {
      throw new Error(`camlab.${fn}: y of ${where} has shape [${y.shape.join(", ")}]; labels must be class indices [n] or one-hot rows [n, classes]`);
    }
  } else if (Array.isArray(y)) {
    values = new Int32Array(y.length);
    y.forEach((v, i) => {
      if (typeof v !== "number" || !Number.isInteger(v)) throw new Error(`camlab.${fn}: y of ${where} holds ${JSON.stringify(v)} at [${i}], not a class index; labels must be integers from 0 to ${classes == null ? "classes − 1" : classes - 1}`);
      values[i] = v;
    });
  } else {
    throw new TypeError(`camlab.${fn}: y of ${where} must be a tf.Tensor or an array of class indices, got ${given(y)}`);
  }
  if (values.length !== n) {
    throw new Error(`camlab.${fn}: ${where} has ${n} input${n === 1 ? "" : "s"} but ${values.length} label${values.length === 1 ? "" : "s"}; x and y need one label per input`);
  }
  if (classes != null) {
    for (let i = 0; i < values.length; i++) {
      if (values[i] < 0 || values[i] >= classes) {
        throw new RangeError(`camlab.${fn}: label ${values[i]} at [${i}] of ${where} is out of range; the model has ${classes} classes, so labels go from 0 to ${classes - 1}`);
      }
    }
  }
  return values;
}

/** The x and y of one stream element, whichever of the accepted shapes it has. */
function elementParts(e: unknown, fn: string, where: string): { x: tf.Tensor; y: Labels | number } {
  let x: unknown, y: unknown;
  if (Array.isArray(e) && e.length === 2) [x, y] = e;
  else if (typeof e === "object" && e !== null && "xs" in e) ({ xs: x, ys: y } = e as { xs: unknown; ys: unknown });
  else if (typeof e === "object" && e !== null) ({ x, y } = e as { x: unknown; y: unknown });
  if (!isTensor(x)) throw new TypeError(`camlab.${fn}: ${where} must be {x, y}, {xs, ys} or [x, y] with x a tf.Tensor, got ${given(e)}`);
  if (!isTensor(y) && !Array.isArray(y) && typeof y !== "number") throw new TypeError(`camlab.${fn}: ${where} has no labels: y (or ys) must be a tf.Tensor, a class index or an array of them, got ${given(y)}`);
  return { x, y: y as Labels | number };
}

/** The rank of the model's input batch ([batch, h, w, c] → 4); 4 when the model does not say. */
function inputRank(model: AnyModel): number {
  return inputSignature(model).shape?.length ?? 4;
}

async function checked(model: AnyModel, x: tf.Tensor, y: Labels, classes: number | null, fn: string, where: string, ownX: boolean): Promise<CheckedBatch> {
  // Labels first (a host read of n numbers), then the input contract: nothing of the model runs on a bad batch.
  let labels: Int32Array;
  let input: tf.Tensor;
  try {
    labels = await labelIndices(y, x.rank === inputRank(model) ? x.shape[0] : 1, classes, fn, where);
    input = await checkModelInput(model, x, fn);
  } catch (e) {
    if (ownX) x.dispose();
    throw e;
  }
  return {
    x: input,
    y: labels,
    release: () => {
      if (input !== x) input.dispose();
      if (ownX) x.dispose();
    },
  };
}

/** An async iterator over the elements of a Dataset or an (async) iterable. */
async function* elementsOf(data: unknown, fn: string): AsyncGenerator<unknown> {
  if (data instanceof tf.data.Dataset) {
    const it = await data.iterator();
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  if (typeof data === "object" && data !== null && Symbol.asyncIterator in data) {
    yield* data as AsyncIterable<unknown>;
    return;
  }
  if (typeof data === "object" && data !== null && Symbol.iterator in data) {
    yield* data as Iterable<unknown>;
    return;
  }
  throw new TypeError(`camlab.${fn}: data must be ${FORMS}; got ${given(data)}`);
}

/** Whether `data` is in a form `batches()` reads (without reading it). */
export function isConfusionData(data: unknown): data is ConfusionData {
  if (isLabelledTensors(data) || data instanceof tf.data.Dataset) return true;
  return typeof data === "object" && data !== null && (Symbol.asyncIterator in data || Symbol.iterator in data);
}

/**
 * Reads `data` as checked batches of at most `batchSize` inputs, one alive at a time: the caller
 * calls `release()` on each before asking for the next. Tensors `{x, y}` are sliced (the user's
 * tensors stay theirs); streamed elements are disposed once read; single examples are stacked.
 * Every error names the batch it found and what the model wants.
 */
export async function* batches(model: AnyModel, data: ConfusionData, batchSize: number, classes: number | null, fn: string): AsyncGenerator<CheckedBatch> {
  if (isLabelledTensors(data)) {
    const { x, y } = data;
    const rank = inputRank(model);
    if (x.rank !== rank) {
      // The contract's message for one example would say "add the batch axis"; a data set is a batch.
      throw new Error(`camlab.${fn}: data.x has shape [${x.shape.join(", ")}] (rank ${x.rank}) but this model takes batches ${describeSignature(inputSignature(model).shape ?? [null, null, null, null])} (rank ${rank}); data.x must hold the inputs along its first axis`);
    }
    const n = x.shape[0];
    // All labels at once, before any batch: a bad label fails before the first model run.
    const all = await labelIndices(y, n, classes, fn, "data.y");
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      const slice = tf.slice(x, start, count);
      let input: tf.Tensor;
      try {
        input = await checkModelInput(model, slice, fn);
      } catch (e) {
        slice.dispose();
        throw e;
      }
      yield {
        x: input,
        y: all.subarray(start, start + count),
        release: () => {
          if (input !== slice) input.dispose();
          slice.dispose();
        },
      };
    }
    return;
  }
  const rank = inputRank(model);
  // Single examples waiting to be stacked into a batch (x of rank − 1, y one class).
  let pendingX: tf.Tensor[] = [];
  let pendingY: number[] = [];
  let element = 0;
  const flush = async (): Promise<CheckedBatch> => {
    const xs = pendingX, ys = pendingY;
    pendingX = [];
    pendingY = [];
    let stacked: tf.Tensor;
    try {
      stacked = tf.stack(xs);
    } finally {
      tf.dispose(xs);
    }
    return checked(model, stacked, ys, classes, fn, `examples ${element - ys.length}–${element - 1}`, true);
  };
  try {
    for await (const e of elementsOf(data, fn)) {
      const where = `element ${element} of the stream`;
      let parts: { x: tf.Tensor; y: Labels | number };
      try {
        parts = elementParts(e, fn, where);
      } catch (err) {
        tf.dispose(e as tf.TensorContainer);
        throw err;
      }
      if (parts.x.rank === rank - 1) {
        // One example: keep a copy of x, take its label, free the element.
        let label: number;
        try {
          const one = typeof parts.y === "number" ? [parts.y] : await labelIndices(parts.y, 1, classes, fn, where);
          label = one[0];
          if (!Number.isInteger(label) || label < 0 || (classes != null && label >= classes)) {
            throw new RangeError(`camlab.${fn}: label ${label} of ${where} is out of range; labels go from 0 to ${classes == null ? "classes − 1" : classes - 1}`);
          }
          pendingX.push(tf.clone(parts.x));
        } finally {
          tf.dispose(e as tf.TensorContainer);
        }
        pendingY.push(label);
        element++;
        if (pendingX.length >= batchSize) yield await flush();
        continue;
      }
      if (pendingX.length > 0) yield await flush();
      // A batch: its x stays the element's until the caller releases the batch.
      let b: CheckedBatch;
      try {
        b = await checked(model, parts.x, typeof parts.y === "number" ? [parts.y] : parts.y, classes, fn, where, false);
      } catch (err) {
        tf.dispose(e as tf.TensorContainer);
        throw err;
      }
      const release = b.release;
      b.release = () => {
        release();
        tf.dispose(e as tf.TensorContainer);
      };
      element++;
      yield b;
    }
    if (pendingX.length > 0) yield await flush();
  } finally {
    tf.dispose(pendingX);
  }
}
