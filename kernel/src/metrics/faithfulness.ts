// Faithfulness metrics for saliency maps, on a batch, returning plain numbers:
//  * deletion / insertion curves and their AUC (Petsiuk et al., RISE, BMVC 2018): remove (or
//    insert) pixels in order of decreasing saliency and follow the class probability; the
//    batch's (steps + 1) · images modified inputs need only the model's output, so they run as
//    one stream of batches on the folded model and its replicas (scoring.ts scoreRows);
//  * average drop and increase in confidence (Chattopadhay et al., Grad-CAM++, WACV 2018,
//    Sec. 5.1): the probability on the input masked by the heatmap vs on the full input.
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkModelArg, checkModelInput } from "../engine/inputContract";
import { checkpoint } from "../engine/work";
import type { AnyModel } from "../engine/model";
import { pixelRanks } from "./maps";
import { checkInputs, checkScoreOptions, classProbability, readClassesAndRows, scoreRows, targetClasses, type ScoreOptions } from "./scoring";

/** What removed pixels become: zeros, a blurred copy, the image mean, or a constant. */
export type Baseline = "zero" | "blur" | "mean" | number;

/** Options of the deletion / insertion curves. */
export interface CurveOptions extends ScoreOptions {
  /** Number of steps from 0 to all pixels (default 20). */
  steps?: number;
  /** What removed pixels become: deletion default "zero", insertion default "blur". */
  baseline?: Baseline;
}

/** A deletion or insertion curve per image, with its AUC. */
export interface CurveResult {
  /** Area under each image's curve (trapezoid rule over the fraction of pixels, 0–1). */
  auc: number[];
  mean: number;
  /** Class probability per image at each step, [batch][steps + 1]. */
  curves: number[][];
  /** Fraction of pixels removed/inserted at each step. */
  fractions: number[];
  /** The class scored per image (null for a target function). */
  classes: (number | null)[];
}

function gaussianBlur(x: tf.Tensor4D): tf.Tensor4D {
  // RISE blurs with σ = 5 px at 224 px; scale σ with the image.
  const sigma = Math.max(1, (5 * x.shape[1]) / 224);
  const r = Math.ceil(2 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = k.reduce((a, b) => a + b, 0);
  const c = x.shape[3];
  return tf.tidy(() => {
    const kernel = tf.tensor1d(k.map((v) => v / s));
    const kx = tf.tile(tf.reshape(kernel, [1, 2 * r + 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const ky = tf.tile(tf.reshape(kernel, [2 * r + 1, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    return tf.depthwiseConv2d(tf.depthwiseConv2d(x, kx, 1, "same"), ky, 1, "same");
  });
}

function baselineOf(x: tf.Tensor4D, baseline: Baseline): tf.Tensor4D {
  if (typeof baseline === "number") return tf.fill(x.shape, baseline) as tf.Tensor4D;
  if (baseline === "zero") return tf.zerosLike(x);
  if (baseline === "mean") return tf.broadcastTo(tf.mean(x, [1, 2], true), x.shape) as tf.Tensor4D;
  if (baseline === "blur") return gaussianBlur(x);
  throw new Error(`camlab metrics: baseline must be "zero", "blur", "mean" or a number, got ${JSON.stringify(baseline)}`);
}

async function curve(kind: "deletion" | "insertion", model: AnyModel, input: tf.Tensor, heatmaps: tf.Tensor, options: CurveOptions): Promise<CurveResult> {
  const fn = kind === "deletion" ? "deletionCurve" : "insertionCurve";
  checkModelArg(model, fn);
  return guardBackend(fn, () => curveOnBackend(kind, fn, model, input, heatmaps, options));
}

async function curveOnBackend(kind: "deletion" | "insertion", fn: string, model: AnyModel, input: tf.Tensor, heatmaps: tf.Tensor, options: CurveOptions): Promise<CurveResult> {
  const steps = options.steps ?? 20;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`camlab.${fn}: steps must be a positive integer, got ${steps}`);
  checkScoreOptions(fn, options);
  // Metrics take batches (one heatmap per image): no batch axis is added here.
  const x = (await checkModelInput(model, input, fn, { addBatchAxis: false })) as tf.Tensor4D;
  const held: tf.Tensor[] = x !== input ? [x] : [];
  try {
    checkInputs(fn, x, heatmaps);
    const [b, h, w] = x.shape;
    const hw = h * w;
    const counts = Array.from({ length: steps + 1 }, (_, s) => Math.round((s * hw) / steps));
    const label = `${fn}: images`;
    await checkpoint(label, 0, b);
    const rowsPerImage = steps + 1;
    const [classes, base, thresholds, ranks] = tf.tidy(() => [
      targetClasses(model, x, options),
      baselineOf(x, options.baseline ?? (kind === "deletion" ? "zero" : "blur")),
      tf.tensor1d(counts, "int32"),
      // Rank of every pixel by decreasing saliency (0 = most salient), [b, h·w].
      pixelRanks(heatmaps as tf.Tensor3D),
    ]);
    held.push(classes, base, thresholds, ranks);
    // Row r is image ⌊r / (steps + 1)⌋ at step r mod (steps + 1): the first counts[step] pixels
    // in saliency order taken from the other picture (the baseline, or for insertion the image).
    const rowIndex = (r0: number, m: number, of: (r: number) => number) => tf.tensor1d(Array.from({ length: m }, (_, k) => of(r0 + k)), "int32");
    const imageOf = (r0: number, m: number) => rowIndex(r0, m, (r) => Math.floor(r / rowsPerImage));
    const make = (r0: number, m: number) => tf.tidy(() => {
      const images = imageOf(r0, m);
      const limits = tf.reshape(tf.gather(thresholds, rowIndex(r0, m, (r) => r % rowsPerImage)), [m, 1]);
      const chosen = tf.reshape(tf.cast(tf.less(tf.gather(ranks, images), limits), "float32"), [m, h, w, 1]);
      const [from, to] = kind === "deletion" ? [tf.gather(x, images), tf.gather(base, images)] : [tf.gather(base, images), tf.gather(x, images)];
      return tf.add(tf.mul(from, tf.sub(1, chosen)), tf.mul(to, chosen)) as tf.Tensor4D;
    });
    const scores = await scoreRows(model, b * rowsPerImage, hw * x.shape[3], options, make, (r0, m) => tf.gather(classes, imageOf(r0, m)) as tf.Tensor1D,
      // Progress in whole images; Cancelled here if interrupted.
      (rows) => checkpoint(label, Math.floor(rows / rowsPerImage), b));
    const table = tf.reshape(scores, [b, rowsPerImage]) as tf.Tensor2D;
    held.push(scores, table);
    const v = await readClassesAndRows(classes, table);
    return summarise(v, b, steps, counts, hw);
  } finally {
    for (const t of held) t.dispose();
  }
}

function summarise(v: Float32Array, b: number, steps: number, counts: number[], hw: number): CurveResult {
  const curves: number[][] = [], classes: (number | null)[] = [], auc: number[] = [];
  for (let i = 0; i < b; i++) {
    const row = Array.from(v.subarray(i * (steps + 2), (i + 1) * (steps + 2)));
    classes.push(row[0] < 0 ? null : row[0]);
    const c = row.slice(1);
    curves.push(c);
    let area = 0;
    for (let s = 0; s < steps; s++) area += (c[s] + c[s + 1]) / 2 / steps;
    auc.push(area);
  }
  return { auc, mean: auc.reduce((s, a) => s + a, 0) / b, curves, fractions: counts.map((c) => c / hw), classes };
}

/** Deletion: remove the most salient pixels first; a faithful map makes the probability fall fast (low AUC is good). */
export function deletionCurve(model: AnyModel, input: tf.Tensor, heatmaps: tf.Tensor, options: CurveOptions = {}): Promise<CurveResult> {
  return curve("deletion", model, input, heatmaps, options);
}

/** Insertion: reveal the most salient pixels first on a blurred image; high AUC is good. */
export function insertionCurve(model: AnyModel, input: tf.Tensor, heatmaps: tf.Tensor, options: CurveOptions = {}): Promise<CurveResult> {
  return curve("insertion", model, input, heatmaps, options);
}

/** Average drop / increase in confidence for a batch (Grad-CAM++ Sec. 5.1). */
export interface ConfidenceChange {
  /** Average drop, %: mean over images of max(0, Y − O) / Y × 100 (lower is better). */
  averageDrop: number;
  /** Increase in confidence, %: share of images with O > Y (higher is better). */
  increaseInConfidence: number;
  /** Y: class probability on the full input, per image. */
  original: number[];
  /** O: class probability on the input multiplied by its heatmap, per image. */
  explained: number[];
  /** The class scored per image (null for a target function). */
  classes: (number | null)[];
}

/** Average drop / increase in confidence (Grad-CAM++ Sec. 5.1) for a batch of heatmaps in [0, 1]. */
export async function confidenceChange(model: AnyModel, input: tf.Tensor, heatmaps: tf.Tensor, options: ScoreOptions = {}): Promise<ConfidenceChange> {
  checkModelArg(model, "confidenceChange");
  return guardBackend("confidenceChange", () => confidenceOnBackend(model, input, heatmaps, options));
}

async function confidenceOnBackend(model: AnyModel, input: tf.Tensor, heatmaps: tf.Tensor, options: ScoreOptions): Promise<ConfidenceChange> {
  checkScoreOptions("confidenceChange", options);
  const x = (await checkModelInput(model, input, "confidenceChange", { addBatchAxis: false })) as tf.Tensor4D;
  try {
    checkInputs("confidenceChange", x, heatmaps);
    return await confidenceOf(model, x, heatmaps, options);
  } finally {
    if (x !== input) x.dispose();
  }
}

async function confidenceOf(model: AnyModel, x: tf.Tensor4D, heatmaps: tf.Tensor, options: ScoreOptions): Promise<ConfidenceChange> {
  const b = x.shape[0];
  const packed = tf.tidy(() => {
    const classes = targetClasses(model, x, options);
    const explained = tf.mul(x, tf.expandDims(heatmaps, -1)) as tf.Tensor4D;
    const per = (t: tf.Tensor4D) => tf.stack(Array.from({ length: b }, (_, i) => classProbability(model, tf.slice(t, [i, 0, 0, 0], [1, -1, -1, -1]), tf.slice(classes, [i], [1]), options).reshape([])));
    return tf.stack([tf.cast(classes, "float32"), per(x), per(explained)]);
  });
  const v = await packed.data();
  packed.dispose();
  const classes = Array.from(v.subarray(0, b), (c) => (c < 0 ? null : c)), original = Array.from(v.subarray(b, 2 * b)), explained = Array.from(v.subarray(2 * b, 3 * b));
  const drops = original.map((y, i) => Math.max(0, y - explained[i]) / y);
  return {
    averageDrop: (100 * drops.reduce((s, d) => s + d, 0)) / b,
    increaseInConfidence: (100 * original.filter((y, i) => explained[i] > y).length) / b,
    original,
    explained,
    classes,
  };
}
