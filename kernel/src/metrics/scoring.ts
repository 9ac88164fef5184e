// How the faithfulness metrics score a batch of (modified) inputs: the probability of the
// explained class — or whatever a target function says — computed on the backend in chunks.
// The target is the same `Target` that cam() and attribute() take (engine/targets.ts).
import * as tf from "@tensorflow/tfjs";
import { foldModel } from "../engine/folded";
import type { AnyModel } from "../engine/model";
import { runBatches } from "../engine/replicas";
import { resolveTarget, type Target, type TargetFn } from "../engine/targets";
import { runModel } from "../hooks/run";

/** How the metrics score the explained class. */
export interface ScoreOptions {
  /**
   * What to score: a class (all images) or one per image — its probability — or any target
   * function (`softmaxProbability(k)`, `segmentationTarget(…)`, output → score[batch]), scored as
   * it returns; default: the top-1 class of the unmodified input.
   */
  target?: Target;
  /** For class targets, what the model outputs: "logits" (default, softmax applied) or "probabilities". */
  outputs?: "logits" | "probabilities";
  /** Modified inputs per model run (default 32). */
  batchSize?: number;
}

/** Class probabilities of the model for a batch (softmax applied to logits). */
export function probabilities(model: AnyModel, inputs: tf.Tensor4D, outputs: ScoreOptions["outputs"]): tf.Tensor2D {
  return probabilitiesOf(runModel(model, inputs), outputs);
}

/** A model output as class probabilities [batch, classes] (softmax applied to logits). */
function probabilitiesOf(output: tf.Tensor, outputs: ScoreOptions["outputs"]): tf.Tensor2D {
  if (output.rank !== 2) throw new Error(`camlab metrics: the model must output [batch, classes], got shape [${output.shape.join(", ")}]`);
  return outputs === "probabilities" ? (output as tf.Tensor2D) : (tf.softmax(output) as tf.Tensor2D);
}

/**
 * The scores of `total` modified inputs ("rows"), in row order: `make(r0, m)` builds rows r0 …
 * r0 + m − 1 (a fresh tensor), `classOf(r0, m)` gives each row's class ([m] int32 on the backend;
 * unused for a target function), and `done(rows)` runs after each batch (a checkpoint: progress,
 * Interrupt). The rows need only the model's output, so they run `options.batchSize` at a time on
 * the folded model (engine/folded.ts) and, for large work, on the model's replicas too
 * (engine/replicas.ts) — a batch may mix rows of several images, so a batch of images fills
 * whole batches. Returns [total] scores; frees everything else, also when it throws.
 */
export async function scoreRows(
  model: AnyModel,
  total: number,
  rowValues: number,
  options: ScoreOptions,
  make: (r0: number, m: number) => tf.Tensor4D,
  classOf: (r0: number, m: number) => tf.Tensor1D,
  done: (rows: number) => Promise<void>,
): Promise<tf.Tensor1D> {
  const size = options.batchSize ?? 32;
  const fn = targetFn(options);
  const folded = foldModel(model);
  const parts: tf.Tensor1D[] = [];
  try {
    const run = (x: tf.Tensor) => (folded ? folded.run(x) : runModel(model, x));
    const rowsOf = (j: number) => [j * size, Math.min(size, total - j * size)] as const;
    await runBatches(model, Math.ceil(total / size), size * rowValues, (j) => make(...rowsOf(j)), run, async (j, out) => {
      const [r0, m] = rowsOf(j);
      try {
        parts.push(tf.tidy(() => {
          if (fn) return resolveTarget(fn, out).scores;
          const p = probabilitiesOf(out, options.outputs);
          return tf.sum(tf.mul(p, tf.oneHot(classOf(r0, m), p.shape[1])), -1) as tf.Tensor1D;
        }));
      } finally {
        out.dispose();
      }
      await done(r0 + m);
    });
    return tf.concat(parts) as tf.Tensor1D;
  } finally {
    tf.dispose(parts);
    folded?.dispose();
  }
}

function targetFn(options: ScoreOptions): TargetFn | null {
  return typeof options.target === "function" ? (options.target as TargetFn) : null;
}

/** Checks the scoring options before any kernel runs. */
export function checkScoreOptions(fn: string, options: ScoreOptions): void {
  if (options.outputs !== undefined && options.outputs !== "logits" && options.outputs !== "probabilities") throw new Error(`camlab.${fn}: outputs must be "logits" or "probabilities", got ${JSON.stringify(options.outputs)}`);
  if (targetFn(options) && options.outputs !== undefined) throw new Error(`camlab.${fn}: \`outputs\` applies to class targets only; a target function is scored as it returns (use softmaxProbability(k) for a probability)`);
  const size = options.batchSize ?? 32;
  if (!Number.isInteger(size) || size < 1) throw new Error(`camlab.${fn}: batchSize must be a positive integer, got ${size}`);
}

/** Class per image: the given target(s) or the top-1 of the unmodified inputs (backend, [b] int32); −1 for a target function. */
export function targetClasses(model: AnyModel, x: tf.Tensor4D, options: ScoreOptions): tf.Tensor1D {
  const b = x.shape[0];
  if (targetFn(options)) return tf.fill([b], -1, "int32") as tf.Tensor1D;
  return tf.tidy(() => {
    const p = probabilities(model, x, options.outputs);
    const k = p.shape[1];
    if (options.target == null) return tf.cast(tf.argMax(p, -1), "int32") as tf.Tensor1D;
    const list = typeof options.target === "number" ? new Array(b).fill(options.target) : [...(options.target as readonly number[])];
    if (list.length !== b) throw new Error(`camlab metrics: ${list.length} targets for ${b} images; give one per image or a single class`);
    for (const c of list) if (!Number.isInteger(c) || c < 0 || c >= k) throw new RangeError(`camlab metrics: class index ${c} is out of range; the model has ${k} classes`);
    return tf.tensor1d(list, "int32");
  });
}

/** Score of every row of `inputs` (all rows of one image): class `cls`'s probability (a [1] int tensor), or the target function's score; in chunks. */
export function classProbability(model: AnyModel, inputs: tf.Tensor4D, cls: tf.Tensor, options: ScoreOptions): tf.Tensor1D {
  const n = inputs.shape[0], size = options.batchSize ?? 32;
  if (!Number.isInteger(size) || size < 1) throw new Error(`camlab metrics: batchSize must be a positive integer, got ${size}`);
  const fn = targetFn(options);
  return tf.tidy(() => {
    const parts: tf.Tensor1D[] = [];
    for (let i = 0; i < n; i += size) {
      const m = Math.min(size, n - i);
      parts.push(tf.tidy(() => {
        const rows = tf.slice(inputs, [i, 0, 0, 0], [m, -1, -1, -1]);
        if (fn) return resolveTarget(fn, runModel(model, rows)).scores;
        const p = probabilities(model, rows, options.outputs);
        return tf.sum(tf.mul(p, tf.oneHot(cls as tf.Tensor1D, p.shape[1])), -1) as tf.Tensor1D;
      }));
    }
    return tf.concat(parts) as tf.Tensor1D;
  });
}

/** The heatmaps must be one per image of the (already checked) input, at its resolution. */
export function checkInputs(fn: string, input: tf.Tensor, heatmaps: tf.Tensor): void {
  if (input.rank !== 4) throw new Error(`camlab.${fn}: input must be [batch, height, width, channels], got shape [${input.shape.join(", ")}]`);
  const [b, h, w] = input.shape;
  if (heatmaps.rank !== 3 || heatmaps.shape[0] !== b || heatmaps.shape[1] !== h || heatmaps.shape[2] !== w) {
    throw new Error(`camlab.${fn}: heatmaps must be [${b}, ${h}, ${w}] (one per image, at input resolution), got [${heatmaps.shape.join(", ")}]`);
  }
}

/**
 * The explained class of each image and its score rows (one per image, or [b, steps] at once), in one read: [b × (1 + steps)] values,
 * image i's class at i·(1 + steps), then its scores. The curves (deletion, insertion, ROAD) read
 * everything they computed on the backend once, at the end.
 */
export async function readClassesAndRows(classes: tf.Tensor, rows: tf.Tensor[] | tf.Tensor2D): Promise<Float32Array> {
  const b = classes.shape[0];
  const packed = tf.tidy(() => tf.concat([tf.reshape(tf.cast(classes, "float32"), [b, 1]), Array.isArray(rows) ? tf.stack(rows) : rows], 1));
  try {
    return (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }
}
