// The confusion sweep beneath the dataset explorer: run the model over labelled data in batches
// (progress, cancellable between batches), and keep per example only what the explorer shows —
// true class, predicted class, their probabilities and the margin between them — plus host
// copies of the inputs the model got wrong. Backend memory is one batch at any time, whatever
// the length of the stream; nothing of the result lives on the backend.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkModelArg } from "../engine/inputContract";
import type { AnyModel } from "../engine/model";
import { checkpoint, reportProgress } from "../engine/work";
import { runModel } from "../hooks/run";
import { batches, isConfusionData, staticClassCount, type ConfusionData } from "./batches";

/** Default inputs per model run of the sweep: an interrupt lands between two runs. */
export const DEFAULT_SWEEP_BATCH = 64;

/**
 * Default bytes of mistaken inputs kept on the host (64 MiB: ~21,000 MNIST digits, ~330
 * MobileNet inputs). Mistakes past it are still counted, with their probabilities; only their
 * pixels are dropped (`kept` says which), so a bad model on a large set cannot fill memory.
 */
export const DEFAULT_KEEP_BYTES = 64 * 1024 * 1024;

/** Options of `confusions()`. */
export interface ConfusionOptions {
  /** Class names, one per model output class (default "class <i>"). */
  labels?: readonly string[];
  /** Inputs per model run (default 64). */
  batchSize?: number;
  /** How many examples the data holds, when known and not tensors: the progress then shows a fraction. */
  total?: number;
  /** Which inputs to keep on the host for galleries and CAMs: "mistakes" (default), "all" or "none". */
  keep?: "mistakes" | "all" | "none";
  /** Most bytes (float32) of kept inputs (default DEFAULT_KEEP_BYTES). */
  keepBytes?: number;
}

/** One (true, predicted) pair of the matrix with its count. */
export interface ConfusionPair {
  truth: number;
  predicted: number;
  count: number;
}

/** What `confusions()` returns: plain host data, nothing to dispose. */
export interface Confusions {
  /** Number of classes (the model's output width). */
  classes: number;
  /** Class names (given, or "class <i>"). */
  labels: string[];
  /** Examples swept. */
  total: number;
  /** counts[t][p]: examples of true class t predicted as p. */
  counts: number[][];
  /** Fraction predicted right. */
  accuracy: number;
  /** Per class: counts[c][c] / Σ_t counts[t][c]; null for a class never predicted. */
  precision: (number | null)[];
  /** Per class: counts[c][c] / Σ_p counts[c][p]; null for a class absent from the data. */
  recall: (number | null)[];
  /** Per example, in data order: true class, predicted class (argmax). */
  truth: Int32Array;
  predicted: Int32Array;
  /** Per example: the model's probability of the true class and of the predicted class. */
  pTrue: Float32Array;
  pPredicted: Float32Array;
  /**
   * Per example, the confidence margin: p(predicted) − p(true) for a mistake (how sure the model
   * was of the wrong class), p(true) − p(runner-up) for a right answer (how close it came to a
   * mistake). Never negative.
   */
  margin: Float32Array;
  /** The shape of one input (without the batch axis). */
  inputShape: number[];
  /** Which inputs the sweep was asked to keep ("mistakes", "all" or "none"). */
  keep: "mistakes" | "all" | "none";
  /** Per example: its row in the kept inputs, or −1 when its input was not kept. */
  kept: Int32Array;
  /** Bytes of kept inputs (host memory). */
  keptBytes: number;
  /**
   * Indices of the examples of true class `truth` predicted as `predicted`, sorted by margin:
   * mistakes most confident first; right answers (truth = predicted) closest call first.
   */
  cell(truth: number, predicted: number): number[];
  /** The `k` most frequent mistakes (off-diagonal cells), most frequent first, ties by class. */
  topConfusions(k?: number): ConfusionPair[];
  /** The kept input of example `i` as float32 values, or null when it was not kept. */
  input(i: number): Float32Array | null;
  /** The kept input of example `i` as a new tensor [1, …input shape] (the caller disposes it), or null. */
  inputTensor(i: number): tf.Tensor | null;
}

/** Probabilities of one output row: the row itself when it already is a distribution, else its softmax. */
function probabilities(row: Float32Array): Float32Array {
  let sum = 0, inUnit = true;
  for (const v of row) {
    sum += v;
    if (!(v >= 0 && v <= 1)) inUnit = false;
  }
  // The same rule as topK (cam/predictions.ts): a softmax head already gives a distribution.
  if (inUnit && Math.abs(sum - 1) < 1e-3) return row;
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  const e = new Float32Array(row.length);
  let z = 0;
  for (let j = 0; j < row.length; j++) z += e[j] = Math.exp(row[j] - m);
  for (let j = 0; j < row.length; j++) e[j] /= z;
  return e;
}

/** Growable typed arrays for per-example values of a stream of unknown length. */
class Column<T extends Int32Array | Float32Array> {
  private data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

function checkOptions(options: ConfusionOptions, fn: string): { batchSize: number; keep: "mistakes" | "all" | "none"; keepBytes: number } {
  const batchSize = options.batchSize ?? DEFAULT_SWEEP_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`camlab.${fn}: batchSize must be a positive integer (inputs per model run), got ${batchSize}`);
  const keep = options.keep ?? "mistakes";
  if (!["mistakes", "all", "none"].includes(keep)) throw new Error(`camlab.${fn}: keep must be "mistakes", "all" or "none", got ${JSON.stringify(keep)}`);
  const keepBytes = options.keepBytes ?? DEFAULT_KEEP_BYTES;
  if (!(keepBytes >= 0)) throw new Error(`camlab.${fn}: keepBytes must be a number of bytes ≥ 0, got ${keepBytes}`);
  if (options.total !== undefined && !(Number.isInteger(options.total) && options.total >= 0)) throw new Error(`camlab.${fn}: total must be the number of examples (an integer ≥ 0), got ${options.total}`);
  if (options.labels !== undefined && (!Array.isArray(options.labels) || options.labels.some((l) => typeof l !== "string"))) {
    throw new TypeError(`camlab.${fn}: labels must be an array of class names (strings), got ${JSON.stringify(options.labels)?.slice(0, 80)}`);
  }
  return { batchSize, keep, keepBytes };
}

function labelsMismatch(fn: string, labels: readonly string[], classes: number): Error {
  return new Error(`camlab.${fn}: labels has ${labels.length} name${labels.length === 1 ? "" : "s"} but the model outputs ${classes} classes; give one name per class (${classes})`);
}

/**
 * Sweeps `model` over labelled `data` and returns the confusion matrix with, per example, the
 * true and predicted class, their probabilities and the confidence margin, and host copies of
 * the mistaken inputs (for galleries and CAMs). Labels, class names and input shapes are checked
 * before the model runs on them; the sweep reports progress and stops at the next batch on an
 * interrupt or Cancel (`Cancelled`), leaving no tensor behind.
 * @param model a classifier whose output is [batch, classes] (logits or probabilities)
 * @param data tensors `{x, y}`, a tf.data Dataset, or an async iterable of `{x, y}` batches (y: class indices or one-hot rows)
 * @param options labels, batchSize (default 64), total (for progress of a stream), keep ("mistakes" default, "all", "none"), keepBytes
 * @returns counts, precision/recall, per-example predictions and margins, `cell(t, p)` indices and kept inputs
 * @example const c = await camlab.confusions(net, { x: test.images, y: test.labels }); c.counts[3][5]; c.cell(3, 5)
 */
export async function confusions(model: AnyModel, data: ConfusionData, options: ConfusionOptions = {}): Promise<Confusions> {
  checkModelArg(model, "confusions");
  return guardBackend("confusions", () => sweep(model, data, options, "confusions"));
}

/** The sweep itself (shared with showConfusion, which names itself in messages). */
export async function sweep(model: AnyModel, data: ConfusionData, options: ConfusionOptions, fn: string): Promise<Confusions> {
  const { batchSize, keep, keepBytes } = checkOptions(options, fn);
  if (!isConfusionData(data)) throw new TypeError(`camlab.${fn}: data must be {x, y} tensors, a tf.data Dataset, or an async iterable of {x, y} batches; got ${data === null ? "null" : typeof data}`);
  let classes = staticClassCount(model);
  if (classes != null && options.labels && options.labels.length !== classes) throw labelsMismatch(fn, options.labels, classes);
  const total = (data as { x?: unknown }).x instanceof tf.Tensor ? (data as { x: tf.Tensor }).x.shape[0] : options.total;
  const label = `${fn}: images`;
  const truth = new Column((n) => new Int32Array(n)), predicted = new Column((n) => new Int32Array(n));
  const pTrue = new Column((n) => new Float32Array(n)), pPred = new Column((n) => new Float32Array(n)), margin = new Column((n) => new Float32Array(n));
  const kept = new Column((n) => new Int32Array(n));
  const keptRows: Float32Array[] = [];
  let keptBytes = 0;
  let inputShape: number[] | null = null;
  let done = 0;
  await checkpoint(label, 0, total ?? 0);
  for await (const batch of batches(model, data, batchSize, classes, fn)) {
    try {
      const n = batch.x.shape[0];
      inputShape ??= batch.x.shape.slice(1);
      const out = tf.tidy(() => runModel(model, batch.x));
      let values: Float32Array;
      try {
        if (out.rank !== 2) throw new Error(`camlab.${fn}: the model outputs shape [${out.shape.join(", ")}]; a confusion matrix needs a classifier output [batch, classes]`);
        values = (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
      const k = values.length / n;
      if (classes == null) {
        classes = k; // a model that did not say: its first output decides, checked like the rest
        if (options.labels && options.labels.length !== classes) throw labelsMismatch(fn, options.labels, classes);
        for (const t of batch.y) if (t >= classes) throw new RangeError(`camlab.${fn}: label ${t} is out of range; the model has ${classes} classes, so labels go from 0 to ${classes - 1}`);
      }
      const toKeep: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = probabilities(values.subarray(i * k, (i + 1) * k));
        let best = 0;
        for (let j = 1; j < k; j++) if (p[j] > p[best]) best = j;
        const t = batch.y[i];
        let runnerUp = 0;
        for (let j = 0; j < k; j++) if (j !== best && p[j] > runnerUp) runnerUp = p[j];
        truth.push(t);
        predicted.push(best);
        pTrue.push(p[t]);
        pPred.push(p[best]);
        margin.push(best === t ? p[t] - runnerUp : p[best] - p[t]);
        const wanted = keep === "all" || (keep === "mistakes" && best !== t);
        const rowBytes = 4 * (batch.x.size / n);
        if (wanted && keptBytes + rowBytes <= keepBytes) {
          kept.push(keptRows.length + toKeep.length);
          toKeep.push(i);
          keptBytes += rowBytes;
        } else {
          kept.push(-1);
        }
      }
      if (toKeep.length > 0) {
        // One read of just the rows kept (the batch's mistakes), never the whole batch.
        const rows = tf.tidy(() => tf.cast(tf.gather(batch.x, tf.tensor1d(toKeep, "int32")), "float32"));
        let flat: Float32Array;
        try {
          flat = (await rows.data()) as Float32Array;
        } finally {
          rows.dispose();
        }
        const per = flat.length / toKeep.length;
        for (let r = 0; r < toKeep.length; r++) keptRows.push(flat.slice(r * per, (r + 1) * per));
      }
      done += n;
    } finally {
      batch.release();
    }
    await checkpoint(label, done, total ?? done);
  }
  reportProgress(label, done, done);
  if (classes == null || inputShape == null) throw new Error(`camlab.${fn}: the data held no examples; give at least one labelled input`);
  return summarise({
    classes,
    labels: Array.from({ length: classes }, (_, i) => options.labels?.[i] ?? `class ${i}`),
    truth: truth.done(),
    predicted: predicted.done(),
    pTrue: pTrue.done(),
    pPredicted: pPred.done(),
    margin: margin.done(),
    inputShape,
    keep,
    kept: kept.done(),
    keptRows,
    keptBytes,
  });
}

/** What a sweep collects: the per-example columns of Confusions, and the kept inputs' rows. */
type SweepColumns = Pick<Confusions, "classes" | "labels" | "truth" | "predicted" | "pTrue" | "pPredicted" | "margin" | "inputShape" | "keep" | "kept" | "keptBytes"> & {
  keptRows: Float32Array[];
};

/** The matrix, rates and cell index from the per-example columns. */
function summarise(c: SweepColumns): Confusions {
  const k = c.classes, total = c.truth.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const cells = new Map<number, number[]>();
  for (let i = 0; i < total; i++) {
    counts[c.truth[i]][c.predicted[i]]++;
    const key = c.truth[i] * k + c.predicted[i];
    let list = cells.get(key);
    if (!list) cells.set(key, (list = []));
    list.push(i);
  }
  for (const [key, list] of cells) {
    const diagonal = Math.floor(key / k) === key % k;
    // Stable on ties (data order), so a cell's pages do not reshuffle between calls.
    list.sort((a, b) => (diagonal ? c.margin[a] - c.margin[b] : c.margin[b] - c.margin[a]) || a - b);
  }
  let right = 0;
  for (let j = 0; j < k; j++) right += counts[j][j];
  const colSum = (j: number) => counts.reduce((s, row) => s + row[j], 0);
  const rowSum = (j: number) => counts[j].reduce((s, v) => s + v, 0);
  const shape = c.inputShape;
  return {
    classes: k,
    labels: c.labels,
    total,
    counts,
    accuracy: total > 0 ? right / total : 0,
    precision: counts.map((row, j) => (colSum(j) > 0 ? row[j] / colSum(j) : null)),
    recall: counts.map((row, j) => (rowSum(j) > 0 ? row[j] / rowSum(j) : null)),
    truth: c.truth,
    predicted: c.predicted,
    pTrue: c.pTrue,
    pPredicted: c.pPredicted,
    margin: c.margin,
    inputShape: shape,
    keep: c.keep,
    kept: c.kept,
    keptBytes: c.keptBytes,
    cell(truth: number, predicted: number): number[] {
      if (!Number.isInteger(truth) || !Number.isInteger(predicted) || truth < 0 || predicted < 0 || truth >= k || predicted >= k) {
        throw new RangeError(`camlab.confusions: cell(${truth}, ${predicted}) is outside the ${k}×${k} matrix; classes go from 0 to ${k - 1}`);
      }
      return [...(cells.get(truth * k + predicted) ?? [])];
    },
    topConfusions(n = 5): ConfusionPair[] {
      const pairs: ConfusionPair[] = [];
      for (let t = 0; t < k; t++) for (let p = 0; p < k; p++) if (t !== p && counts[t][p] > 0) pairs.push({ truth: t, predicted: p, count: counts[t][p] });
      return pairs.sort((a, b) => b.count - a.count || a.truth - b.truth || a.predicted - b.predicted).slice(0, n);
    },
    input(i: number): Float32Array | null {
      const row = Number.isInteger(i) && i >= 0 && i < total ? c.kept[i] : -1;
      return row >= 0 ? c.keptRows[row] : null;
    },
    inputTensor(i: number): tf.Tensor | null {
      const row = Number.isInteger(i) && i >= 0 && i < total ? c.kept[i] : -1;
      return row >= 0 ? tf.tensor(c.keptRows[row], [1, ...shape], "float32") : null;
    },
  };
}
