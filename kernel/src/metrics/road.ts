// ROAD — RemOve And Debias (Rong et al., "A Consistent and Efficient Evaluation Strategy for
// Attribution Methods", ICML 2022): remove a percentile of the pixels in the order a map gives,
// most relevant first (MoRF: the score should fall fast, low area is good) or least relevant first
// (LeRF: the score should hold, high area is good), fill them by noisy linear imputation
// (imputation.ts) so the shape of the removed region leaks no class information, and score the
// model on the result — without retraining (ROAR's cost), and with MoRF and LeRF ranking methods
// consistently, which zero or blur fills do not (the paper's Sec. 3).
import * as tf from "@tensorflow/tfjs";
import { guardBackend } from "../engine/backend";
import { checkModelArg, checkModelInput } from "../engine/inputContract";
import type { AnyModel } from "../engine/model";
import { checkpoint } from "../engine/work";
import { checkImputationOptions, imputeOnBackend, type ImputationOptions } from "./imputation";
import { checkPercentiles, pixelRanks } from "./maps";
import { checkInputs, checkScoreOptions, classProbability, readClassesAndRows, targetClasses, type ScoreOptions } from "./scoring";

/** Options of `road()`. */
export interface RoadOptions extends ScoreOptions, ImputationOptions {
  /** Percent of pixels removed at each point of the curves, each in [0, 100] (default 10, 20, …, 90, as the paper). */
  percentiles?: readonly number[];
}

/** One order's curves. */
export interface RoadCurves {
  /** Score per image at each percentile, [batch][percentiles]. */
  curves: number[][];
  /**
   * Area under each image's curve over the removed fraction (trapezoid rule) divided by the span
   * of fractions covered: the curve's mean height (a probability for class targets); one
   * percentile gives its score.
   */
  auc: number[];
  mean: number;
}

/** What `road()` returns. */
export interface RoadResult {
  /** The percentiles, ascending. */
  percentiles: number[];
  /** Most relevant first: low is faithful. */
  morf: RoadCurves;
  /** Least relevant first: high is faithful. */
  lerf: RoadCurves;
  /** LeRF area − MoRF area per image: the larger, the more faithful the map. */
  gap: number[];
  /** The class scored per image (null for a target function). */
  classes: (number | null)[];
  /** The imputation solver's work: most conjugate-gradient iterations and largest relative residual over images. */
  imputation: { iterations: number; residual: number };
}

/**
 * ROAD (Rong et al., ICML 2022): for each percentile p, remove p% of each image's pixels — most
 * relevant first (MoRF) and least relevant first (LeRF) by its map — fill them by noisy linear
 * imputation, and score the model (the explained class's probability, or any target); every
 * percentile and both orders of one image are imputed in one batch on the backend. Checks every
 * argument before any kernel runs; reports progress per image and stops at an interrupt
 * (`Cancelled`), leaking nothing.
 * @param model the classifier.
 * @param input images [batch, H, W, C].
 * @param heatmaps one map per image at input resolution, [batch, H, W] (e.g. `cam(…).heatmap`).
 * @returns MoRF and LeRF curves with their areas, and their gap (LeRF − MoRF).
 * @example const r = await camlab.road(net, x, (await camlab.cam(net, x)).heatmap); r.morf.mean
 */
export async function road(model: AnyModel, input: tf.Tensor, heatmaps: tf.Tensor, options: RoadOptions = {}): Promise<RoadResult> {
  checkModelArg(model, "road");
  const percentiles = checkPercentiles("road", options.percentiles ?? [10, 20, 30, 40, 50, 60, 70, 80, 90]);
  checkScoreOptions("road", options);
  checkImputationOptions("road", options);
  // The map shape is checked against a given batch now, before any kernel (the input check runs some).
  if (input instanceof tf.Tensor && input.rank === 4) checkInputs("road", input, heatmaps);
  return guardBackend("road", () => roadOnBackend(model, input, heatmaps, percentiles, options));
}

async function roadOnBackend(model: AnyModel, input: tf.Tensor, heatmaps: tf.Tensor, percentiles: number[], options: RoadOptions): Promise<RoadResult> {
  const x = (await checkModelInput(model, input, "road", { addBatchAxis: false })) as tf.Tensor4D;
  const held: tf.Tensor[] = x !== input ? [x] : [];
  try {
    checkInputs("road", x, heatmaps);
    const [b, h, w] = x.shape;
    const hw = h * w, P = percentiles.length;
    const counts = percentiles.map((p) => Math.round((p / 100) * hw));
    const label = "road: images";
    await checkpoint(label, 0, b);
    const [classes, thresholds] = tf.tidy(() => [targetClasses(model, x, options), tf.reshape(tf.tensor1d(counts, "int32"), [P, 1])]);
    held.push(classes, thresholds);
    const rows: tf.Tensor1D[] = [];
    let iterations = 0, residual = 0;
    try {
      for (let i = 0; i < b; i++) {
        const [removed, images] = tf.tidy(() => {
          const ranks = tf.reshape(pixelRanks(tf.slice(heatmaps, [i, 0, 0], [1, -1, -1]) as tf.Tensor3D), [1, hw]);
          // MoRF removes the `count` best-ranked pixels, LeRF the `count` worst-ranked.
          const morf = tf.less(ranks, thresholds);
          const lerf = tf.greaterEqual(ranks, tf.sub(hw, thresholds));
          const m = tf.reshape(tf.cast(tf.concat([morf, lerf], 0), "float32"), [2 * P, h, w, 1]) as tf.Tensor4D;
          return [m, tf.tile(tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]), [2 * P, 1, 1, 1]) as tf.Tensor4D];
        });
        let filled: tf.Tensor4D;
        try {
          const r = await imputeOnBackend(images, removed, { ...options, seed: (options.seed ?? 0) + i }, `road: imputation of image ${i + 1} of ${b}`);
          filled = r.filled;
          iterations = Math.max(iterations, r.iterations);
          residual = Math.max(residual, r.residual);
        } finally {
          removed.dispose();
          images.dispose();
        }
        try {
          rows.push(tf.tidy(() => classProbability(model, filled, tf.slice(classes, [i], [1]), options)));
        } finally {
          filled.dispose();
        }
        await checkpoint(label, i + 1, b);
      }
      const v = await readClassesAndRows(classes, rows);
      return summarise(v, b, percentiles, iterations, residual);
    } finally {
      for (const r of rows) r.dispose();
    }
  } finally {
    for (const t of held) t.dispose();
  }
}

function meanHeight(c: number[], fractions: number[]): number {
  if (c.length === 1) return c[0];
  let area = 0;
  for (let s = 0; s + 1 < c.length; s++) area += ((c[s] + c[s + 1]) / 2) * (fractions[s + 1] - fractions[s]);
  const span = fractions[fractions.length - 1] - fractions[0];
  // Repeated percentiles only (span 0): the curve is flat at its mean.
  return span > 0 ? area / span : c.reduce((a, q) => a + q, 0) / c.length;
}

function summarise(v: Float32Array, b: number, percentiles: number[], iterations: number, residual: number): RoadResult {
  const P = percentiles.length, fractions = percentiles.map((p) => p / 100);
  const morf: RoadCurves = { curves: [], auc: [], mean: 0 }, lerf: RoadCurves = { curves: [], auc: [], mean: 0 };
  const classes: (number | null)[] = [];
  for (let i = 0; i < b; i++) {
    const row = Array.from(v.subarray(i * (2 * P + 1), (i + 1) * (2 * P + 1)));
    classes.push(row[0] < 0 ? null : row[0]);
    morf.curves.push(row.slice(1, 1 + P));
    lerf.curves.push(row.slice(1 + P));
  }
  for (const o of [morf, lerf]) {
    o.auc = o.curves.map((c) => meanHeight(c, fractions));
    o.mean = o.auc.reduce((s, a) => s + a, 0) / b;
  }
  return { percentiles, morf, lerf, gap: lerf.auc.map((a, i) => a - morf.auc[i]), classes, imputation: { iterations, residual } };
}
