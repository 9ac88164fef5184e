import * as tf from "@tensorflow/tfjs";
import type { CamMethod } from "../method";

/** Grad-CAM: channel weights = spatial mean of the gradient. */
export const gradCam: CamMethod = {
  name: "gradcam",
  paper: "Selvaraju et al., Grad-CAM, ICCV 2017",
  weigh: ({ gradients }) => ({
    // Eq. 1: α_k = 1/Z Σ_ij ∂S/∂A^k_ij (global average of the gradient over positions)
    weights: tf.mean(gradients, [1, 2]) as tf.Tensor2D,
  }),
};
