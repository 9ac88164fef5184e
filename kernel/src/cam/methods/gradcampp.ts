import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

/** Grad-CAM++: positive gradients weighted by the second/third-order α. */
export const gradCamPlusPlus: CamMethod = {
  name: "gradcampp",
  paper: "Chattopadhay et al., Grad-CAM++, WACV 2018 (arXiv:1710.11063)",
  weigh: ({ activations: a, gradients: g }) => {
    const g2 = tf.square(g);
    const g3 = tf.mul(g2, g);
    const sumA = tf.sum(a, [1, 2], true);
    // Eq. 19: α^kc_ij = g² / (2g² + Σ_ab A^k_ab · g³)   (exponential score; eps keeps 0/0 at 0)
    const alpha = tf.div(g2, tf.add(tf.add(tf.mul(2, g2), tf.mul(sumA, g3)), 1e-6));
    const alphaWhereGrad = tf.where(tf.notEqual(g, 0), alpha, tf.zerosLike(alpha));
    // w^c_k = Σ_ij α^kc_ij · ReLU(∂S/∂A^k_ij)
    return { weights: tf.sum(tf.mul(alphaWhereGrad, tf.relu(g)), [1, 2]) as tf.Tensor2D };
  },
};
