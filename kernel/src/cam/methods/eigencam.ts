import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

/** Power iterations for the dominant eigenvector (converges as (λ₂/λ₁)^k). */
const ITERATIONS = 150;

function dominantEigenvector(gram: tf.Tensor3D): tf.Tensor3D {
  const [b, n] = gram.shape;
  let v = tf.div(tf.ones([b, n, 1]), Math.sqrt(n)) as tf.Tensor3D;
  for (let i = 0; i < ITERATIONS; i++) {
    const next = tf.tidy(() => {
      const mv = tf.matMul(gram, v);
      return tf.div(mv, tf.add(tf.norm(mv, "euclidean", [1, 2], true), 1e-30)) as tf.Tensor3D;
    });
    v.dispose();
    v = next;
  }
  return v;
}

/**
 * The projection of a map stack [b, h, w, c] (rows = positions, columns = channels, centred per
 * channel, as pytorch-grad-cam's get_2d_projection) on its first principal direction, [b, h, w].
 */
export function firstComponentProjection(activations: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, w, c] = activations.shape;
    const x = tf.reshape(activations, [b, h * w, c]);
    const centred = tf.sub(x, tf.mean(x, 1, true)) as tf.Tensor3D;
    // Eigen-CAM: L = X·v₁, the projection on the first right singular vector of X. Work on the
    // smaller Gram matrix: XᵀX (C×C) gives v₁; XXᵀ (hw×hw) gives u₁ with X·v₁ = σ₁u₁, σ₁ = ‖Xᵀu₁‖.
    let v: tf.Tensor3D; // [b, C, 1]
    if (c <= h * w) {
      v = dominantEigenvector(tf.matMul(centred, centred, true, false));
    } else {
      const u = dominantEigenvector(tf.matMul(centred, centred, false, true));
      const xu = tf.matMul(centred, u, true, false); // Xᵀu₁ = σ₁v₁
      v = tf.div(xu, tf.add(tf.norm(xu, "euclidean", [1, 2], true), 1e-30)) as tf.Tensor3D;
    }
    // A singular vector's sign is arbitrary (the centred projection always sums to 0): choose
    // the one whose channel loadings sum positive, so "more activation" projects positive.
    const sign = tf.sign(tf.add(tf.sum(v, [1, 2], true), 1e-30));
    const projection = tf.matMul(centred, tf.mul(v, sign));
    return tf.reshape(projection, [b, h, w]) as tf.Tensor3D;
  });
}

/** Eigen-CAM: projection on the first principal component of the activations (no gradients). */
export const eigenCam: CamMethod = {
  name: "eigencam",
  formsOwnMap: true,
  paper: "Muhammad & Yeasin, Eigen-CAM, IJCNN 2020 (arXiv:2008.00299)",
  weigh: ({ activations }) => ({ map: firstComponentProjection(activations) }),
};
