import * as tf from "@tensorflow/tfjs";
import { withTapeCleanup } from "../../engine/tape";
import type { CamContext, CamMethod } from "../method";

/** Options of `finerCam()`. */
export interface FinerCamOptions {
  /** How many of the most similar classes to compare against (default 3, as pytorch-grad-cam's comparison_categories [1, 2, 3]; fewer when the model has fewer other classes). */
  compare?: number;
  /** Weight α of the similar classes' scores (default 1; 0 gives Grad-CAM). */
  alpha?: number;
}

function finerWeights(ctx: CamContext, asked: number | undefined, alpha: number): tf.Tensor2D {
  const { activations } = ctx;
  const b = activations.shape[0];
  const rows: tf.Tensor1D[] = [];
  for (let i = 0; i < b; i++) {
    const a = tf.slice(activations, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    const cls = ctx.explained(i)!;
    const out = ctx.outputFromActivations(a, i) as tf.Tensor2D;
    const k = out.shape[1];
    if (k < 2) throw new Error(`camlab.cam: finercam compares the explained class with other classes, but the model has ${k} class`);
    // The default (3) shrinks to what the model has; an explicit `compare` must fit.
    const compare = asked ?? Math.min(3, k - 1);
    if (compare >= k) throw new Error(`camlab.cam: finercam compares against ${compare} similar classes but the model has ${k} classes; give { compare } below ${k}`);
    const own = tf.oneHot(cls, k) as tf.Tensor2D; // [1, k]
    const yc = tf.sum(tf.mul(out, own), -1, true);
    // The most similar classes: the smallest |y_k − y_c|, the explained class itself excluded.
    const distance = tf.where(tf.cast(own, "bool"), tf.fill(own.shape, Infinity), tf.abs(tf.sub(out, yc)));
    const similar = tf.topk(tf.neg(distance), compare).indices.reshape([compare]);
    const others = tf.sum(tf.oneHot(similar, k), 0, true);
    // Finer-CAM's target: Σ_{s ∈ similar} (y_c − α·y_s) (pytorch-grad-cam's FinerWeightedTarget).
    const v = tf.sub(tf.mul(own, compare), tf.mul(others, alpha));
    const g = withTapeCleanup(() => tf.grad((aa: tf.Tensor) => tf.sum(tf.mul(ctx.outputFromActivations(aa as tf.Tensor4D, i), v)) as tf.Scalar)(a));
    // Grad-CAM Eq. 1 on that target: α_k = 1/Z Σ_ij ∂S_finer/∂A^k_ij.
    rows.push(tf.reshape(tf.mean(g, [1, 2]), [-1]) as tf.Tensor1D);
  }
  return tf.stack(rows) as tf.Tensor2D;
}

/**
 * Finer-CAM: Grad-CAM of the explained class's score minus α times the scores of the `compare`
 * classes closest to it in score, so the map shows what tells the class apart from its look-alikes.
 */
export function finerCam(options: FinerCamOptions = {}): CamMethod {
  const compare = options.compare, alpha = options.alpha ?? 1;
  if (compare !== undefined && (!Number.isInteger(compare) || compare < 1)) throw new Error(`camlab.finerCam: compare must be a positive integer (how many similar classes), got ${compare}`);
  if (!Number.isFinite(alpha)) throw new Error(`camlab.finerCam: alpha must be a finite number (the weight of the similar classes, default 1), got ${alpha}`);
  return {
    name: "finercam",
    feedsActivationsBack: true,
    paper: "Zhang et al., Finer-CAM: Spotting the Difference Reveals Finer Details for Visual Explanation, CVPR 2025 (arXiv:2501.11309)",
    check: ({ target }) => {
      if (typeof target === "function") throw new Error("camlab.cam: finercam compares the explained class with similar classes, so it needs a class target (an index, one per image, or none for top-1), not a target function");
    },
    weigh: (ctx) => ({ weights: finerWeights(ctx, compare, alpha) }),
  };
}

/** Finer-CAM with its defaults (3 similar classes, α = 1). */
export const finerCamDefault: CamMethod = finerCam();
