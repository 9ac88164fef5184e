import * as tf from "@tensorflow/tfjs";
import { withTapeCleanup } from "../../engine/tape";
import { explainSecondOrderError, withSecondOrderGradients } from "../secondOrder";
import type { CamMethod } from "../method";

/** ShapleyCAM: Grad-CAM's gradient corrected by the second-order term −½·H·A of the score's Taylor expansion. */
export const shapleyCam: CamMethod = {
  name: "shapleycam",
  feedsActivationsBack: true,
  paper: "Cai, CAMs as Shapley Value-based Explainers, arXiv:2501.06261 (2025)",
  weigh: (ctx) => {
    const { activations, gradients } = ctx;
    const b = activations.shape[0];
    const hvps: tf.Tensor4D[] = [];
    for (let i = 0; i < b; i++) {
      const a = tf.slice(activations, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      const gradAt = tf.grad((aa: tf.Tensor) => tf.sum(ctx.scoreActivations(aa as tf.Tensor4D, i)) as tf.Scalar);
      // H·A = ∂/∂A ⟨∇_A S, A₀⟩ with A₀ held fixed (a Hessian-vector product, H symmetric).
      // A₀ is a copy: the same tensor object as the argument would be differentiated too.
      const a0 = tf.clone(a);
      // (+ Σ 0·A keeps A on the tape where the tail is linear and the gradient does not depend on it: H = 0.)
      try {
        hvps.push(withSecondOrderGradients(() => withTapeCleanup(() => tf.grad((aa: tf.Tensor) => tf.add(tf.sum(tf.mul(gradAt(aa), a0)), tf.sum(tf.mul(aa, 0))) as tf.Scalar)(a))) as tf.Tensor4D);
      } catch (e) {
        throw explainSecondOrderError(e, "shapleycam", ctx.layer);
      }
    }
    const hvp = tf.concat(hvps);
    // w_k = 1/Z Σ_ij (∂S/∂A^k_ij − ½ (H·A)^k_ij): the Shapley value's second-order Taylor approximation.
    return { weights: tf.mean(tf.sub(gradients, tf.mul(0.5, hvp)), [1, 2]) as tf.Tensor2D };
  },
};
