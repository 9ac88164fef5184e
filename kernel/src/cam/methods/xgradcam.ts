import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

/** XGrad-CAM: gradients weighted by the normalised activations. */
export const xGradCam: CamMethod = {
  name: "xgradcam",
  paper: "Fu et al., Axiom-based Grad-CAM (XGrad-CAM), BMVC 2020 (arXiv:2008.02312)",
  weigh: ({ activations: a, gradients: g }) => ({
    // α_k = Σ_ij (A^k_ij / Σ_ab A^k_ab) · ∂S/∂A^k_ij   (the weights that satisfy sensitivity and conservation)
    weights: tf.div(tf.sum(tf.mul(a, g), [1, 2]), tf.add(tf.sum(a, [1, 2]), 1e-7)) as tf.Tensor2D,
  }),
};
